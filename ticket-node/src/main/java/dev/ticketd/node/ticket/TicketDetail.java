package dev.ticketd.node.ticket;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * A ticket with its whole thread, oldest message first. {@code mailboxId} is null for tickets no
 * mailbox answers; {@code owner} (an address) and {@code ownerName} are null when nobody owns it;
 * {@code mayChange} says whether the member of staff who asked may change it (full access to its
 * group); {@code lifecycle} holds its pending time, resolved time and linked ticket; {@code relations} its merges
 * and its parent and child tickets. {@code version}
 * is the id of its newest customer message or staff reply (0 for none): what a reply says it was
 * written against, for the stale-reply guard ({@link HeldReplies}).
 */
public record TicketDetail(long id, String number, String subject, String status, String priority, String group,
                           String owner, String ownerName, String requester, String mailboxId, OffsetDateTime createdAt,
                           boolean mayChange, List<String> tags, List<ThreadMessage> messages, List<HistoryEntry> history,
                           TicketLifecycle lifecycle, TicketRelations relations, long version) {

    /** The version of a thread: its newest customer message's or staff reply's id, 0 for none. */
    static long versionOf(List<ThreadMessage> messages) {
        return messages.stream().filter(m -> !"note".equals(m.kind())).mapToLong(ThreadMessage::id).max().orElse(0);
    }
}
