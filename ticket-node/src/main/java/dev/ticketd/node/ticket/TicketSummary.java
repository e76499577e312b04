package dev.ticketd.node.ticket;

import java.time.OffsetDateTime;

/** One line of the ticket list; also the JSON shape of the API's list. */
public record TicketSummary(long id, String number, String subject, String status, String requester,
                            int messageCount, OffsetDateTime createdAt) {
}
