package dev.ticketd.db;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A cheap, always current answer to "is a primary reachable, and which server is it?", so that
 * reads go straight to a standby while the primary is known to be down instead of each waiting a
 * full connect timeout. A background thread opens a short-lived connection (primary only, short
 * timeouts, outside the pool) every {@code interval}; the read path may also report a failure it
 * saw, which takes effect at once.
 *
 * <p>Lifecycle: the constructor does no I/O; {@link #start()} checks once and schedules the
 * checks; {@link #close()} stops them. Thread-safe.
 */
public final class PrimaryWatch implements AutoCloseable {

    /**
     * @param reachable whether the last check (or read) reached a primary
     * @param server    that primary's {@code host:port} as the server sees itself, or null
     * @param since     when this state began
     * @param lastError why the last check failed (no secrets), or null
     */
    public record State(boolean reachable, String server, Instant since, String lastError) {
    }

    private static final Logger log = LoggerFactory.getLogger(PrimaryWatch.class);

    private final String url;
    private final Properties login;
    private final Duration interval;
    private final AtomicReference<State> state;
    private ScheduledExecutorService checker;

    /** @param primaryUrl a URL whose {@code targetServerType} is {@code primary} */
    PrimaryWatch(String primaryUrl, String user, String password, Duration interval, Duration timeout) {
        this.url = primaryUrl;
        this.interval = interval;
        this.login = new Properties();
        login.setProperty("user", user);
        login.setProperty("password", password);
        long seconds = Math.max(1, timeout.toSeconds());
        login.setProperty("connectTimeout", Long.toString(seconds));
        login.setProperty("loginTimeout", Long.toString(seconds));
        login.setProperty("socketTimeout", Long.toString(seconds));
        login.setProperty("ApplicationName", "ticketd-primary-watch");
        // the driver otherwise remembers a host's role for 10 s, which would hide a promotion
        login.setProperty("hostRecheckSeconds", "1");
        this.state = new AtomicReference<>(new State(true, null, Instant.now(), null));
    }

    synchronized void start() {
        if (checker != null) {
            throw new IllegalStateException("already started");
        }
        check();
        checker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "db-primary-watch");
            t.setDaemon(true);
            return t;
        });
        checker.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    public State state() {
        return state.get();
    }

    public boolean primaryReachable() {
        return state.get().reachable();
    }

    /** A read or write just failed to reach the primary: route reads to the standby at once. */
    void reportFailure(Throwable failure) {
        update(false, null, RetryableFailures.describe(failure));
    }

    /** Checks now (on the caller's thread, within the watch's short timeouts) and returns the new state. */
    State check() {
        try (Connection c = DriverManager.getConnection(url, login);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select host(inet_server_addr()), inet_server_port(), pg_is_in_recovery()")) {
            rs.next();
            if (rs.getBoolean(3)) {
                update(false, null, "the server found is in recovery (a standby)");
            } else {
                update(true, rs.getString(1) + ":" + rs.getInt(2), null);
            }
        } catch (SQLException | RuntimeException e) {
            update(false, null, RetryableFailures.describe(e) + (String.valueOf(e.getMessage()).contains("targetServerType")
                    ? " (every server that answered is a standby, or a primary whose sessions are read-only)" : ""));
        }
        return state.get();
    }

    private void update(boolean reachable, String server, String error) {
        State previous = state.getAndUpdate(old -> old.reachable() == reachable
                ? new State(reachable, reachable ? server : old.server(), old.since(), error)
                : new State(reachable, reachable ? server : old.server(), Instant.now(), error));
        if (previous.reachable() != reachable) {
            if (reachable) {
                log.warn("database primary reachable again server={}", server);
            } else {
                log.warn("database primary unreachable; reads go to a standby reason={}", error);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (checker != null) {
            checker.shutdownNow();
        }
    }
}
