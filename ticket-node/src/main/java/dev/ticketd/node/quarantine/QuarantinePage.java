package dev.ticketd.node.quarantine;

import java.util.List;

/** A page of the quarantine, newest first; {@code nextCursor} is null on the last page. */
public record QuarantinePage(List<QuarantineEntry> entries, String nextCursor) {
}
