package dev.ticketd.node.ticket;

import dev.ticketd.desk.InvalidRequestException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The order of the ticket list, as {@code ?sort=} takes it. Newest and oldest run through the
 * (created_at, id) indexes, one forwards and one backwards, due through the (sla_due_at, id) index;
 * all page by a keyset cursor ({@link TicketCursor}).
 */
public enum TicketSort {
    /** Newest first: created_at desc, id desc (the default). */
    NEWEST,
    /** Oldest first: created_at asc, id asc. */
    OLDEST,
    /**
     * Earliest SLA due time first: sla_due_at asc, id asc, through {@code ticket_sla_due_idx}; tickets
     * with no running SLA clock are left out. Its cursor's time is the due time.
     */
    DUE;

    /** The sorts as {@code ?sort=} takes them, for messages. */
    public static final String VALUES = Arrays.stream(values()).map(TicketSort::value).collect(Collectors.joining(", "));

    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Blank means the default ({@link #NEWEST}); a value that names no sort is a 400 naming it and the allowed ones. */
    public static TicketSort parse(String value) {
        if (value == null || value.isBlank()) {
            return NEWEST;
        }
        String v = value.strip().toLowerCase(Locale.ROOT);
        for (TicketSort s : values()) {
            if (s.value().equals(v)) {
                return s;
            }
        }
        throw new InvalidRequestException("unknown sort '" + (value.length() <= 40 ? value : value.substring(0, 40) + "…")
                + "'; use one of " + VALUES);
    }
}
