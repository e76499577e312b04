package dev.ticketd.node.web;

import dev.ticketd.db.Read;
import io.javalin.http.Context;

/**
 * Tells the user when what they see was read from a standby because the primary is out of reach:
 * pages show {@link #NOTICE} (see {@code layout.jte}), and every response carries the header
 * {@value #HEADER}{@code : standby}. Never set while the primary answers.
 */
public final class Freshness {

    public static final String HEADER = "X-Ticketd-Stale";
    public static final String NOTICE = "shown from a standby; may be a few seconds old";
    static final String ATTRIBUTE = "ticketd.stale";

    private Freshness() {
    }

    /** Records where a read came from and returns its value. */
    public static <T> T note(Context ctx, Read<T> read) {
        if (read.fromStandby()) {
            ctx.attribute(ATTRIBUTE, Boolean.TRUE);
            ctx.header(HEADER, "standby");
        }
        return read.value();
    }

    static boolean stale(Context ctx) {
        return Boolean.TRUE.equals(ctx.attribute(ATTRIBUTE));
    }
}
