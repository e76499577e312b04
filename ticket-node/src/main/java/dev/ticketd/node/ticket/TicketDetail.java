package dev.ticketd.node.ticket;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * A ticket with its whole thread, oldest message first. {@code mailboxId} is null for tickets no mailbox answers;
 * {@code lifecycle} holds its pending time, resolved time and linked ticket.
 */
public record TicketDetail(long id, String number, String subject, String status, String priority, String requester,
                           String mailboxId, OffsetDateTime createdAt, List<ThreadMessage> messages,
                           List<HistoryEntry> history, TicketLifecycle lifecycle) {
}
