package dev.ticketd.node.ticket;

import dev.ticketd.desk.InvalidRequestException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;

/**
 * A keyset position in the newest-first ticket list: the (created_at, id) of the last ticket
 * returned. Clients treat the encoded form as opaque.
 */
public record TicketCursor(OffsetDateTime createdAt, long id) {

    private static final String VERSION = "v1";

    public String encode() {
        String plain = VERSION + "|" + createdAt.toInstant() + "|" + id;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    /** Null or blank means "from the start" and returns null. */
    public static TicketCursor decode(String encoded) {
        if (encoded == null || encoded.isBlank()) {
            return null;
        }
        try {
            String plain = new String(Base64.getUrlDecoder().decode(encoded.strip()), StandardCharsets.UTF_8);
            String[] parts = plain.split("\\|");
            if (parts.length != 3 || !VERSION.equals(parts[0])) {
                throw new IllegalArgumentException("unexpected shape");
            }
            return new TicketCursor(OffsetDateTime.ofInstant(Instant.parse(parts[1]), ZoneOffset.UTC),
                    Long.parseLong(parts[2]));
        } catch (RuntimeException e) {
            throw new InvalidRequestException("malformed cursor: pass back the nextCursor of a previous page unchanged");
        }
    }
}
