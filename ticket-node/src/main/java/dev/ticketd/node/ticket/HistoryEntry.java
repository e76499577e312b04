package dev.ticketd.node.ticket;

import java.time.OffsetDateTime;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One line of a ticket's audit trail: when, who (a staff member's email or {@code mailbox:ID}), what
 * ({@code ticket.status_changed}, …) and the event's details as stored.
 */
public record HistoryEntry(OffsetDateTime at, String actor, String action, Map<String, Object> detail) {

    /** The action as words: {@code ticket.status_changed} reads "status changed". */
    public String what() {
        int dot = action.indexOf('.');
        String verb = dot >= 0 && action.startsWith("ticket.") ? action.substring(dot + 1) : action;
        return verb.replace('_', ' ').replace('.', ' ');
    }

    /** The details as {@code key: value} pairs, for the page. */
    public String details() {
        return detail.entrySet().stream()
                .filter(e -> e.getValue() != null)
                .map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining(", "));
    }
}
