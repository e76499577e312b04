package dev.ticketd.testing;

import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.LocalPostgres;
import dev.ticketd.db.Migrations;
import org.awaitility.Awaitility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.function.BooleanSupplier;

/**
 * A replicated PostgreSQL on loopback for failover tests: a primary and a streaming hot standby
 * ({@code pg_basebackup -R}), each its own postmaster on its own port, no Patroni. The test plays
 * Patroni: it stops the primary ({@code -m immediate}), starts it again, or promotes the standby.
 *
 * <p>The database {@value #DATABASE} is migrated. {@link #settings()} gives a multi-host URL
 * listing the primary first and the standby second, with short timeouts. Needs the system's
 * PostgreSQL binaries (see {@link #available()}). {@link #close()} stops both and deletes their files.
 */
public final class TestReplicatedPostgres implements AutoCloseable {

    public static final String DATABASE = "ticketd";
    private static final Logger log = LoggerFactory.getLogger(TestReplicatedPostgres.class);

    private final Path dir;
    private final LocalPostgres primary;
    private final LocalPostgres standby;

    private TestReplicatedPostgres(Path dir, LocalPostgres primary, LocalPostgres standby) {
        this.dir = dir;
        this.primary = primary;
        this.standby = standby;
    }

    /** Whether this machine can run the fixture (it needs the system's binaries, e.g. pg_basebackup). */
    public static boolean available() {
        String override = System.getenv("TICKETD_PG_BIN");
        if ("embedded".equals(override)) {
            return false;
        }
        Path bin = override != null && !override.isBlank() ? Path.of(override) : null;
        if (bin == null) {
            try (var versions = Files.list(Path.of("/usr/lib/postgresql"))) {
                bin = versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("pg_basebackup")))
                        .max(Comparator.naturalOrder()).orElse(null);
            } catch (IOException e) {
                return false;
            }
        }
        return bin != null && Files.isExecutable(bin.resolve("pg_basebackup"));
    }

    public static TestReplicatedPostgres start() {
        Path dir = null;
        LocalPostgres primary = null;
        LocalPostgres standby = null;
        try {
            dir = Files.createTempDirectory("ticketd-test-repl-");
            // as root the servers run as an unprivileged user, which must be able to enter this folder
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            primary = LocalPostgres.start(dir.resolve("primary"));
            primary.createDatabase(DATABASE);
            try (Database db = Database.open(DatabaseSettings.of(primary.jdbcUrl(DATABASE), LocalPostgres.SUPERUSER, "")
                    .withMaxPoolSize(2), "test-repl-migrate")) {
                Migrations.migrate(db.dataSource());
            }
            standby = LocalPostgres.standbyOf(primary, dir.resolve("standby"), "standby1");
            standby.startServer();
            TestReplicatedPostgres pair = new TestReplicatedPostgres(dir, primary, standby);
            pair.awaitStandbyCaughtUp();
            log.info("replicated test postgres primary={} standby={}", primary.port(), standby.port());
            return pair;
        } catch (IOException | RuntimeException e) {
            if (standby != null) {
                standby.close();
            }
            if (primary != null) {
                primary.close();
            }
            if (dir != null) {
                deleteQuietly(dir);
            }
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    public LocalPostgres primary() {
        return primary;
    }

    public LocalPostgres standby() {
        return standby;
    }

    /** The production shape of the URL: both servers, writes to the primary. */
    public String multiHostUrl() {
        return "jdbc:postgresql://127.0.0.1:" + primary.port() + ",127.0.0.1:" + standby.port() + "/" + DATABASE
                + "?targetServerType=primary";
    }

    /** Settings for the multi-host URL with test-sized timeouts and the given retry budget. */
    public DatabaseSettings settings(Duration retryBudget) {
        return new DatabaseSettings(multiHostUrl(), LocalPostgres.SUPERUSER, "", 4, Duration.ofSeconds(1),
                Duration.ofSeconds(10), retryBudget);
    }

    public DatabaseSettings settings() {
        return settings(TestTimeouts.seconds(30));
    }

    /** Stops the primary as a host loss would: no shutdown checkpoint, every connection cut. */
    public void killPrimary() {
        try {
            primary.stopImmediately();
        } catch (IOException e) {
            throw new UncheckedIOException("could not stop the primary (the fault was not applied)", e);
        }
    }

    public void restartPrimary() {
        try {
            primary.startServer();
        } catch (IOException e) {
            throw new UncheckedIOException("could not restart the primary", e);
        }
    }

    public void killStandby() {
        try {
            standby.stopImmediately();
        } catch (IOException e) {
            throw new UncheckedIOException("could not stop the standby (the fault was not applied)", e);
        }
    }

    public void promoteStandby() {
        try {
            standby.promote();
        } catch (IOException e) {
            throw new UncheckedIOException("could not promote the standby", e);
        }
    }

    /** Waits until the standby has replayed everything the primary has written so far. */
    public void awaitStandbyCaughtUp() {
        String target = queryString(primary, "select pg_current_wal_lsn()::text");
        await("standby replays up to " + target, () -> {
            String sql = "select pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn";
            return "t".equals(queryString(standby, sql));
        });
    }

    /** Waits until the primary lists the standby as streaming in {@code pg_stat_replication}. */
    public void awaitStreaming() {
        await("standby streaming", () -> "streaming".equals(
                queryString(primary, "select state from pg_stat_replication where application_name = 'standby1'")));
    }

    private static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what).atMost(TestTimeouts.seconds(30)).pollInterval(Duration.ofMillis(50))
                .until(condition::getAsBoolean);
    }

    private static String queryString(LocalPostgres server, String sql) {
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(DATABASE), LocalPostgres.SUPERUSER, "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            return null;
        }
    }

    @Override
    public void close() {
        standby.close();
        primary.close();
        deleteQuietly(dir);
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp folder is harmless; the servers are already stopped
        }
    }
}
