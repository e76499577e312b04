package dev.ticketd.node.watch;

import dev.ticketd.node.web.Access;
import dev.ticketd.node.web.RouteTable;
import dev.ticketd.node.web.WebFeature;
import io.javalin.http.Context;

import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * {@code GET /health/watch}: whether this node's self-watch looked at the cluster in its latest round,
 * as {@code {"watching":true}}. Other nodes ask it when they cannot read the database, to learn whether
 * somebody is watching; it tells an outsider nothing else. No login, like the other health routes.
 */
public final class WatchRoutes implements WebFeature {

    private final BooleanSupplier watching;

    public WatchRoutes(BooleanSupplier watching) {
        this.watching = watching;
    }

    @Override
    public void addRoutes(RouteTable routes) {
        routes.get("/health/watch", this::watch, Access.PUBLIC);
    }

    private void watch(Context ctx) {
        ctx.json(Map.of("watching", watching.getAsBoolean()));
    }
}
