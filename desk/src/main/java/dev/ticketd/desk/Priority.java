package dev.ticketd.desk;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The values of {@code ticket.priority} (check constraint {@code ticket_priority_chk}). Every ticket
 * opens {@link #NORMAL}; staff change it.
 */
public enum Priority {
    LOW, NORMAL, HIGH, URGENT;

    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The priority stored as {@code value}, if it is one. */
    public static Optional<Priority> of(String value) {
        return Arrays.stream(values()).filter(p -> p.value().equals(value)).findFirst();
    }

    /** The priority read from {@code ticket.priority}; the check constraint makes any other value impossible. */
    public static Priority stored(String value) {
        return of(value).orElseThrow(() -> new IllegalStateException("ticket.priority holds an unknown value: " + value));
    }
}
