package dev.ticketd.node.health;

import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseStatus;
import dev.ticketd.db.DatabaseStatusProbe;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The database as this node sees it ({@link DatabaseStatus}), asked on one dedicated thread with a
 * deadline, so a hanging or frozen server can neither pile up request threads nor hang a page.
 * Probes arriving while one hangs queue briefly and then report the database as not answering.
 * Used by {@code /health/ready} and the cluster page. {@link #close()} stops the thread.
 */
public final class DatabaseHealth implements AutoCloseable {

    private final Database db;
    private final DatabaseStatusProbe probe;
    private final Duration timeout;
    private final ThreadPoolExecutor probes;

    public DatabaseHealth(Database db, Duration timeout) {
        this.db = db;
        this.probe = new DatabaseStatusProbe(db);
        this.timeout = timeout;
        this.probes = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(8), r -> {
            Thread t = new Thread(r, "health-db-probe");
            t.setDaemon(true);
            return t;
        });
    }

    /** Never throws; a database that does not answer in time is reported as such (no secrets). */
    public DatabaseStatus status() {
        Future<DatabaseStatus> future;
        try {
            future = probes.submit(probe::probe);
        } catch (RejectedExecutionException e) {
            return failed("database checks are backed up: earlier checks have not answered");
        }
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            return failed("database did not answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            return failed("database check failed: " + e.getCause().getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed("interrupted while checking the database");
        }
    }

    private DatabaseStatus failed(String reason) {
        String known = db.primaryState().filter(s -> !s.reachable())
                .map(s -> "no primary reachable: " + s.lastError() + " (" + reason + ")")
                .orElse(reason);
        return new DatabaseStatus(db.replicated(), null, known, List.of(), "unknown", null);
    }

    @Override
    public void close() {
        probes.shutdownNow();
    }
}
