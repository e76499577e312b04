package dev.ticketd.node.ticket;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * One line of the ticket list; also the JSON shape of the API's list. {@code tags} are sorted. {@code owner} (an address) and
 * {@code ownerName} are null for a ticket nobody owns.
 */
public record TicketSummary(long id, String number, String subject, String status, String priority, String group,
                            String owner, String ownerName, String requester, int messageCount, OffsetDateTime createdAt,
                            List<String> tags) {
}
