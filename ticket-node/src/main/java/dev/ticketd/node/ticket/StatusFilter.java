package dev.ticketd.node.ticket;

import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.TicketStatus;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The {@code status} filter of the ticket list, as the pages and the API take it. */
final class StatusFilter {

    private StatusFilter() {
    }

    /** Parses a filter value; null or blank means "no filter" and returns null. */
    static TicketStatus parse(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        return TicketStatus.of(value.strip()).orElseThrow(() -> new InvalidRequestException("unknown ticket status '"
                + truncate(value) + "'; use one of "
                + Arrays.stream(TicketStatus.values()).map(TicketStatus::value).collect(Collectors.joining(", "))));
    }

    private static String truncate(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "…";
    }
}
