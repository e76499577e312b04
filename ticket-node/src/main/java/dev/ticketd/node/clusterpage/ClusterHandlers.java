package dev.ticketd.node.clusterpage;

import dev.ticketd.node.web.Access;
import dev.ticketd.node.web.Freshness;
import dev.ticketd.node.web.Pages;
import dev.ticketd.node.web.RouteTable;
import dev.ticketd.node.web.WebFeature;
import io.javalin.http.Context;

import java.util.Map;

/** The cluster page and {@code GET /api/v1/cluster}: who runs, who leads which mailbox, how fresh intake is. */
public final class ClusterHandlers implements WebFeature {

    private final ClusterStatusService service;

    public ClusterHandlers(ClusterStatusService service) {
        this.service = service;
    }

    @Override
    public void addRoutes(RouteTable routes) {
        routes.get("/cluster", this::page, Access.ADMIN)
                .get("/api/v1/cluster", this::api, Access.ADMIN);
    }

    public void page(Context ctx) {
        Pages.render(ctx, "cluster.jte", Map.of("cluster", Freshness.note(ctx, service.status())));
    }

    public void api(Context ctx) {
        ctx.json(Freshness.note(ctx, service.status()));
    }
}
