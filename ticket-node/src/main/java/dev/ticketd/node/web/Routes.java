package dev.ticketd.node.web;

import dev.ticketd.node.clusterpage.ClusterHandlers;
import dev.ticketd.node.health.HealthHandlers;
import dev.ticketd.node.quarantine.QuarantineApi;
import dev.ticketd.node.quarantine.QuarantinePages;
import dev.ticketd.node.ticket.TicketApi;
import dev.ticketd.node.ticket.TicketPages;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Handler;
import io.javalin.http.HttpStatus;

import static dev.ticketd.node.web.Access.PUBLIC;
import static dev.ticketd.node.web.Access.STAFF;

/** Every route of the node, in one list. Each names who may use it ({@link Access}). */
final class Routes {

    private Routes() {
    }

    static void register(RoutesConfig routes, LoginHandlers login, TicketPages tickets, TicketApi api,
                         HealthHandlers health, ClusterHandlers cluster, Handler metrics,
                         QuarantinePages quarantine, QuarantineApi quarantineApi) {
        routes.get("/health/live", health::live, PUBLIC);
        routes.get("/health/ready", health::ready, PUBLIC);
        routes.get("/metrics", metrics, STAFF); // bearer token, like the API: for Prometheus
        routes.get("/assets/app.css", Stylesheet::serve, PUBLIC);

        routes.get("/login", login::form, PUBLIC);
        routes.post("/login", login::login, PUBLIC);
        routes.post("/logout", login::logout, STAFF);

        routes.get("/", ctx -> ctx.redirect("/tickets", HttpStatus.SEE_OTHER), STAFF);
        routes.get("/tickets", tickets::list, STAFF);
        routes.get("/tickets/{id}", tickets::detail, STAFF);
        routes.post("/tickets/{id}/reply", tickets::reply, STAFF);
        routes.get("/tickets/{id}/messages/{messageId}", tickets::message, STAFF);
        routes.get("/inbound/{id}/raw", tickets::raw, STAFF);
        routes.get("/attachments/{id}", tickets::attachment, STAFF);
        routes.get("/cluster", cluster::page, STAFF);
        routes.get("/quarantine", quarantine::list, STAFF);
        routes.post("/quarantine/{id}/{action}", quarantine::act, STAFF);

        routes.get("/api/v1/tickets", api::list, STAFF);
        routes.get("/api/v1/tickets/{id}", api::detail, STAFF);
        routes.post("/api/v1/tickets/{id}/replies", api::reply, STAFF);
        routes.get("/api/v1/inbound/{id}/raw", api::raw, STAFF);
        routes.get("/api/v1/cluster", cluster::api, STAFF);
        routes.get("/api/v1/quarantine", quarantineApi::list, STAFF);
        routes.post("/api/v1/quarantine/{id}/{action}", quarantineApi::act, STAFF);
    }
}
