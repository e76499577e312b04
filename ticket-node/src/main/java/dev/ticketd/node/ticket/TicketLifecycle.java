package dev.ticketd.node.ticket;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/**
 * The time-based part of a ticket's state: how long a pending ticket waits and for whom, when a
 * resolved ticket was resolved (it closes by itself after {@code tickets.close-resolved-after}), and
 * the ticket it is linked to (the closed ticket a follow-up continues, or the ticket a stranger's mail
 * matched). Each is null when it does not apply.
 */
public record TicketLifecycle(OffsetDateTime pendingUntil, String pendingKind, OffsetDateTime resolvedAt, Long linkedTicketId,
                              String linkedTicketNumber) {

    /** The pending time as the status form's {@code datetime-local} input shows it (UTC, to the minute), or "". */
    public String pendingUntilForForm() {
        return pendingUntil == null ? ""
                : pendingUntil.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime().truncatedTo(ChronoUnit.MINUTES).toString();
    }
}
