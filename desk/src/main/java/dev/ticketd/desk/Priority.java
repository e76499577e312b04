package dev.ticketd.desk;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * The values of {@code ticket.priority} (check constraint {@code ticket_priority_chk}). Every ticket
 * opens {@link #NORMAL}; nothing changes a priority yet.
 */
public enum Priority {
    LOW, NORMAL, HIGH, URGENT;

    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }
}
