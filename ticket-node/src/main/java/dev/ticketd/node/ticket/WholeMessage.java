package dev.ticketd.node.ticket;

/** One message of a ticket with its whole bodies ({@code message.cut()} is null), and the ticket it is on. */
public record WholeMessage(long ticketId, String ticketNumber, String ticketSubject, ThreadMessage message) {
}
