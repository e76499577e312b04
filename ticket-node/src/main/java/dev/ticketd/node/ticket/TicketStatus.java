package dev.ticketd.node.ticket;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The states of {@code ticket.status}; the lower-case name is the stored and the URL value. */
public enum TicketStatus {
    OPEN, PENDING, RESOLVED, CLOSED;

    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a filter value; null or blank means "no filter" and returns null. */
    public static TicketStatus parseFilter(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        for (TicketStatus status : values()) {
            if (status.value().equals(value.strip())) {
                return status;
            }
        }
        throw new InvalidRequestException("unknown ticket status '" + truncate(value) + "'; use one of "
                + Arrays.stream(values()).map(TicketStatus::value).collect(Collectors.joining(", ")));
    }

    private static String truncate(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "…";
    }
}
