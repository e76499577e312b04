package dev.ticketd.node.health;

import dev.ticketd.db.DatabaseStatus;
import dev.ticketd.node.web.Access;
import dev.ticketd.node.web.Pages;
import dev.ticketd.node.web.RouteTable;
import dev.ticketd.node.web.WebFeature;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code /health/live} (the process answers) and {@code /health/ready} (this node can serve staff:
 * a primary of its database answers within {@link #READY_TIMEOUT}). ZooKeeper trouble shows on
 * the cluster page, not here. Answers never contain connection strings or other secrets.
 *
 * <p>Ready shows the database as well: the primary ({@code host:port}), its standbys with state,
 * sync state and lag, and — when no primary answers — whether a standby serves reads meanwhile
 * (the node is then not ready, since nothing can be saved). These details go to logged-in staff only
 * (bearer token or session cookie); anyone else — a load balancer, a monitoring probe — gets the
 * status code and {@code {"status":"ready"}} or {@code {"status":"not ready"}}, which tells an
 * outsider nothing about the database. {@link #close()} stops the probe thread.
 */
public final class HealthHandlers implements WebFeature, AutoCloseable {

    public static final Duration READY_TIMEOUT = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(HealthHandlers.class);

    private final DatabaseHealth database;

    public HealthHandlers(DatabaseHealth database) {
        this.database = database;
    }

    @Override
    public void addRoutes(RouteTable routes) {
        routes.get("/health/live", this::live, Access.PUBLIC)
                .get("/health/ready", this::ready, Access.PUBLIC);
    }

    public void live(Context ctx) {
        ctx.json(Map.of("status", "up"));
    }

    public void ready(Context ctx) {
        DatabaseStatus status = database.status();
        Map<String, Object> body = new LinkedHashMap<>();
        if (status.primaryReachable()) {
            body.put("status", "ready");
            if (Pages.staffIfAny(ctx).isEmpty()) {
                ctx.json(body);
                return;
            }
            body.put("database", "up");
            body.put("primary", status.primary());
            if (status.replicated()) {
                body.put("standbys", status.standbys());
                body.put("replication", status.replicationDetail());
            }
            ctx.json(body);
            return;
        }
        String reason = status.primaryError();
        if (status.readsFromStandby() != null) {
            reason = reason + "; a standby (" + status.readsFromStandby().server() + ") is serving reads, "
                    + "which may be a few seconds old";
        }
        log.warn("not ready reason={}", reason);
        body.put("status", "not ready");
        if (Pages.staffIfAny(ctx).isEmpty()) {
            ctx.status(503).json(body);
            return;
        }
        body.put("reason", reason);
        body.put("database", "no primary");
        if (status.readsFromStandby() != null) {
            body.put("readsFromStandby", status.readsFromStandby());
        }
        ctx.status(503).json(body);
    }

    @Override
    public void close() {
        database.close();
    }
}
