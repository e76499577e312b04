package dev.ticketd.node.watch;

import dev.ticketd.node.web.Access;
import dev.ticketd.node.web.RouteTable;
import dev.ticketd.node.web.WebFeature;
import io.javalin.http.Context;

import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code GET /health/watch}: whether this node's self-watch looked at the cluster in its latest round,
 * and at how many mailboxes it found the canaries late, as {@code {"watching":true,"canariesLate":0}}.
 * Other nodes ask it when they cannot read the database, to learn whether somebody is watching, and
 * {@code ticketd watch} shows it; it names no mailbox. No login, like the other health routes.
 */
public final class WatchRoutes implements WebFeature {

    /**
     * @param canariesLate mailboxes whose last canaries in a row came back late or not at all (0 when not watching)
     */
    public record Status(boolean watching, int canariesLate) {
        public static final Status NOT_WATCHING = new Status(false, 0);
    }

    private final Supplier<Status> status;

    public WatchRoutes(Supplier<Status> status) {
        this.status = status;
    }

    @Override
    public void addRoutes(RouteTable routes) {
        routes.get("/health/watch", this::watch, Access.PUBLIC);
    }

    private void watch(Context ctx) {
        Status s = status.get();
        ctx.json(Map.of("watching", s.watching(), "canariesLate", s.canariesLate()));
    }
}
