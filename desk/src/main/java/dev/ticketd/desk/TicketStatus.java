package dev.ticketd.desk;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The states of {@code ticket.status}. {@link #value()} is what the database stores (its check
 * constraint {@code ticket_status_chk} allows exactly these), what URLs and the JSON API carry and
 * what audit details hold.
 */
public enum TicketStatus {
    OPEN, PENDING, RESOLVED, CLOSED;

    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** A customer's mail to a ticket in this state opens it again. */
    public boolean reopensOnCustomerMail() {
        return this != OPEN;
    }

    /** The status stored as {@code value}, if it is one. */
    public static Optional<TicketStatus> of(String value) {
        return Arrays.stream(values()).filter(s -> s.value().equals(value)).findFirst();
    }

    /** The status read from {@code ticket.status}; the check constraint makes any other value impossible. */
    public static TicketStatus stored(String value) {
        return of(value).orElseThrow(() -> new IllegalStateException("ticket.status holds an unknown value: " + value));
    }
}
