package dev.ticketd.chaos.db;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A steady write load with a ledger: one thread inserts rows {@code 1, 2, 3, ...} into
 * {@code chaos_write}, one transaction each, through the multi-host URL (writes go to the primary).
 * A row counts as acknowledged only when its commit returned without error and without the
 * synchronous-replication cancel warning; a failed attempt is retried with the same id (the
 * insert is idempotent) after a short pause, on a new connection. Afterwards {@link #lostAcknowledged}
 * says which acknowledged rows the database no longer has.
 */
public final class AckedWriter implements AutoCloseable {

    /** One acknowledged write: row id, when its attempt that succeeded started and when its commit returned. */
    public record Ack(long id, Instant startedAt, Instant ackedAt) {
    }

    private static final Logger log = LoggerFactory.getLogger(AckedWriter.class);

    private final String url;
    private final Properties props = new Properties();
    private final long pauseMillis;
    private final List<Ack> acks = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;
    private long failedAttempts;

    /** {@code url} is the multi-host JDBC URL; {@code pauseMillis} between writes sets the rate. */
    public AckedWriter(String url, String user, String password, long pauseMillis) throws SQLException {
        this.url = url;
        this.pauseMillis = pauseMillis;
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "2");
        props.setProperty("loginTimeout", "3");
        props.setProperty("socketTimeout", "5");
        props.setProperty("tcpKeepAlive", "true");
        try (Connection c = DriverManager.getConnection(url, props); Statement s = c.createStatement()) {
            s.execute("create table if not exists chaos_write (id bigint primary key, written_at timestamptz not null default now())");
        }
        thread = new Thread(this::loop, "acked-writer");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        long next = 1;
        Connection c = null;
        while (running) {
            Instant started = Instant.now();
            try {
                if (c == null) {
                    c = DriverManager.getConnection(url, props);
                    c.setAutoCommit(false);
                }
                try (PreparedStatement insert = c.prepareStatement("insert into chaos_write (id) values (?) on conflict do nothing")) {
                    insert.setLong(1, next);
                    insert.executeUpdate();
                }
                c.clearWarnings();
                c.commit();
                for (var w = c.getWarnings(); w != null; w = w.getNextWarning()) {
                    if (w.getMessage() != null && w.getMessage().contains("canceling wait for synchronous replication")) {
                        throw new SQLException("commit not durable: " + w.getMessage());
                    }
                }
                synchronized (this) {
                    acks.add(new Ack(next, started, Instant.now()));
                    failedAttempts = 0;
                }
                next++;
                sleep(pauseMillis);
            } catch (SQLException e) {
                synchronized (this) {
                    failedAttempts++;
                }
                if (failedAttempts == 1 || failedAttempts % 20 == 0) {
                    log.info("write {} failed (attempt {}): {} {}", next, failedAttempts, e.getSQLState(), e.getMessage());
                }
                closeQuietly(c);
                c = null;
                sleep(100);
            }
        }
        closeQuietly(c);
    }

    public synchronized List<Ack> acks() {
        return List.copyOf(acks);
    }

    /** The first write acknowledged after {@code t}, if any yet. */
    public synchronized java.util.Optional<Ack> firstAckAfter(Instant t) {
        return acks.stream().filter(a -> a.ackedAt().isAfter(t)).findFirst();
    }

    /** The first acknowledged write whose successful attempt began after {@code t}: writes work again. */
    public synchronized java.util.Optional<Ack> firstAckStartedAfter(Instant t) {
        return acks.stream().filter(a -> a.startedAt().isAfter(t)).findFirst();
    }

    /** Acknowledged ids that the database (read through {@code url}) does not have. */
    public List<Long> lostAcknowledged() throws SQLException {
        List<Long> lost = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, props);
             PreparedStatement q = c.prepareStatement("select 1 from chaos_write where id = ?")) {
            for (Ack a : acks()) {
                q.setLong(1, a.id());
                try (var rs = q.executeQuery()) {
                    if (!rs.next()) {
                        lost.add(a.id());
                    }
                }
            }
        }
        return lost;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(TimeUnit.SECONDS.toMillis(15));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the connection is being thrown away
            }
        }
    }
}
