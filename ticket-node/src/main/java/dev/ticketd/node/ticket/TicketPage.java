package dev.ticketd.node.ticket;

import java.util.List;

/** A page of tickets in the list's order; {@code nextCursor} is null on the last page. */
public record TicketPage(List<TicketSummary> tickets, String nextCursor) {
}
