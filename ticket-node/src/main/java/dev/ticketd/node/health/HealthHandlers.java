package dev.ticketd.node.health;

import dev.ticketd.db.Database;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code /health/live} (the process answers) and {@code /health/ready} (this node can serve staff:
 * its database answers {@code select 1} within {@link #READY_TIMEOUT}). ZooKeeper trouble shows on
 * the cluster page, not here. Answers never contain connection strings or other secrets.
 *
 * <p>The probe runs on one dedicated thread so a hanging database cannot pile up request threads;
 * probes arriving while one hangs queue briefly and then report not ready. {@link #close()} stops it.
 */
public final class HealthHandlers implements AutoCloseable {

    public static final Duration READY_TIMEOUT = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(HealthHandlers.class);

    private final Database db;
    private final ThreadPoolExecutor probes;

    public HealthHandlers(Database db) {
        this.db = db;
        this.probes = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(8), r -> {
            Thread t = new Thread(r, "health-ready-probe");
            t.setDaemon(true);
            return t;
        });
    }

    public void live(Context ctx) {
        ctx.json(Map.of("status", "up"));
    }

    public void ready(Context ctx) {
        String problem = databaseProblem();
        Map<String, Object> body = new LinkedHashMap<>();
        if (problem == null) {
            body.put("status", "ready");
            body.put("database", "up");
            ctx.json(body);
        } else {
            log.warn("not ready reason={}", problem);
            body.put("status", "not ready");
            body.put("reason", problem);
            ctx.status(503).json(body);
        }
    }

    /** Null when the database answered in time, else a reason fit for an operator (no secrets). */
    String databaseProblem() {
        Future<?> probe;
        try {
            probe = probes.submit(() -> db.dsl().selectOne().fetch());
        } catch (RejectedExecutionException e) {
            return "database checks are backed up: earlier checks have not answered";
        }
        try {
            probe.get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (TimeoutException e) {
            probe.cancel(true);
            return "database did not answer select 1 within " + READY_TIMEOUT.toMillis() + " ms";
        } catch (ExecutionException e) {
            return "database check failed: " + e.getCause().getClass().getSimpleName();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while checking the database";
        }
    }

    @Override
    public void close() {
        probes.shutdownNow();
    }
}
