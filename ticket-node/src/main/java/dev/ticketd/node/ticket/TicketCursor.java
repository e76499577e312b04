package dev.ticketd.node.ticket;

import dev.ticketd.desk.InvalidRequestException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Locale;

/**
 * A keyset position in a list ordered by (created_at, id): the (created_at, id) of the last row
 * returned, and the order the list runs in, so that a cursor of one order is refused by the other.
 * Clients treat the encoded form as opaque. A newest-first cursor encodes as it always did, so
 * cursors handed out before sorts existed keep working.
 */
public record TicketCursor(OffsetDateTime createdAt, long id, TicketSort sort) {

    private static final String VERSION = "v1";

    public TicketCursor {
        sort = sort == null ? TicketSort.NEWEST : sort;
    }

    /** A position in a newest-first list. */
    public TicketCursor(OffsetDateTime createdAt, long id) {
        this(createdAt, id, TicketSort.NEWEST);
    }

    public String encode() {
        String plain = VERSION + "|" + createdAt.toInstant() + "|" + id + (sort == TicketSort.NEWEST ? "" : "|" + sort.value());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    /** A cursor of a newest-first list; null or blank means "from the start" and returns null. */
    public static TicketCursor decode(String encoded) {
        return decode(encoded, TicketSort.NEWEST);
    }

    /**
     * A cursor of a list sorted {@code expected}; null or blank means "from the start" and returns null.
     * A cursor of the other order is a 400 that says which order it came from.
     */
    public static TicketCursor decode(String encoded, TicketSort expected) {
        if (encoded == null || encoded.isBlank()) {
            return null;
        }
        TicketCursor cursor;
        try {
            String plain = new String(Base64.getUrlDecoder().decode(encoded.strip()), StandardCharsets.UTF_8);
            String[] parts = plain.split("\\|");
            if (parts.length < 3 || parts.length > 4 || !VERSION.equals(parts[0])) {
                throw new IllegalArgumentException("unexpected shape");
            }
            TicketSort sort = parts.length == 3 ? TicketSort.NEWEST : TicketSort.valueOf(parts[3].toUpperCase(Locale.ROOT));
            cursor = new TicketCursor(OffsetDateTime.ofInstant(Instant.parse(parts[1]), ZoneOffset.UTC), Long.parseLong(parts[2]), sort);
        } catch (RuntimeException e) {
            throw new InvalidRequestException("malformed cursor: pass back the nextCursor of a previous page unchanged");
        }
        if (cursor.sort() != expected) {
            throw new InvalidRequestException("this cursor is of a list sorted " + cursor.sort().value() + " first, not "
                    + expected.value() + " first: pass it back with sort=" + cursor.sort().value());
        }
        return cursor;
    }
}
