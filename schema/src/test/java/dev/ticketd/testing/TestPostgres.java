package dev.ticketd.testing;

import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.LocalPostgres;
import dev.ticketd.db.Migrations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL server for tests, one per test JVM, from (in this order):
 * <ol>
 *   <li>{@code TICKETD_TEST_JDBC_URL} (+ {@code TICKETD_TEST_DB_USER}, {@code TICKETD_TEST_DB_PASSWORD}):
 *       an existing server whose user may create databases;</li>
 *   <li>Testcontainers, when a Docker engine answers;</li>
 *   <li>a throwaway {@link LocalPostgres}.</li>
 * </ol>
 * Each test gets its own freshly migrated database from {@link #freshDatabase()}, so tests never
 * see each other's rows. The migrations run once per test JVM, into a template database; every
 * fresh database is a copy of it ({@code create database … template …}: a file copy of tens of
 * milliseconds, where applying every migration took over a second a test).
 */
public final class TestPostgres {

    private static final Logger log = LoggerFactory.getLogger(TestPostgres.class);
    private static final AtomicInteger counter = new AtomicInteger();
    private static Server server;
    private static String template;

    private TestPostgres() {
    }

    /** A connection pool on a new, migrated database. The caller closes it. */
    public static Database freshDatabase() {
        DatabaseSettings settings = createDatabase(migratedTemplate());
        return Database.open(settings.withMaxPoolSize(8), "test-" + counter.get());
    }

    /** Settings for a new, empty (not migrated) database. */
    public static DatabaseSettings freshDatabaseSettings() {
        return createDatabase(null);
    }

    /**
     * The template every {@link #freshDatabase()} copies, migrated on first use. PostgreSQL copies
     * a template only while nobody is connected to it, so its pool is closed before the first copy.
     */
    private static synchronized String migratedTemplate() {
        if (template == null) {
            DatabaseSettings settings = createDatabase(null);
            try (Database db = Database.open(settings.withMaxPoolSize(2), "test-template")) {
                Migrations.migrate(db.dataSource());
            }
            template = databaseName(settings.jdbcUrl());
        }
        return template;
    }

    private static DatabaseSettings createDatabase(String fromTemplate) {
        Server s = server();
        String name = "t" + ProcessHandle.current().pid() + "_" + counter.incrementAndGet();
        try (Connection c = DriverManager.getConnection(s.adminUrl, s.user, s.password);
             Statement st = c.createStatement()) {
            st.execute("create database " + name + (fromTemplate == null ? "" : " template " + fromTemplate));
        } catch (SQLException e) {
            throw new IllegalStateException("could not create test database " + name + ": " + e.getMessage(), e);
        }
        return DatabaseSettings.of(s.urlFor(name), s.user, s.password);
    }

    private static String databaseName(String jdbcUrl) {
        return jdbcUrl.replaceAll("^jdbc:postgresql://[^/]+/([^/?]+).*$", "$1");
    }

    private static synchronized Server server() {
        if (server == null) {
            server = startServer();
        }
        return server;
    }

    private static Server startServer() {
        String url = System.getenv("TICKETD_TEST_JDBC_URL");
        if (url != null && !url.isBlank()) {
            log.info("test postgres source=environment url={}", DatabaseSettings.masked(url));
            String user = System.getenv().getOrDefault("TICKETD_TEST_DB_USER", "postgres");
            String password = System.getenv().getOrDefault("TICKETD_TEST_DB_PASSWORD", "");
            return new Server(url, user, password);
        }
        if (dockerAnswers()) {
            log.info("test postgres source=testcontainers");
            PostgreSQLContainer container = new PostgreSQLContainer("postgres:15-alpine");
            container.start();
            Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "test-postgres-stop"));
            return new Server(container.getJdbcUrl(), container.getUsername(), container.getPassword());
        }
        try {
            Path dir = Files.createTempDirectory("ticketd-test-pg-");
            LocalPostgres pg = LocalPostgres.start(dir);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                pg.close();
                deleteQuietly(dir);
            }, "test-postgres-stop"));
            log.info("test postgres source=local port={}", pg.port());
            return new Server(pg.jdbcUrl("postgres"), LocalPostgres.SUPERUSER, "");
        } catch (IOException e) {
            throw new UncheckedIOException("could not start a local PostgreSQL for the tests", e);
        }
    }

    private static boolean dockerAnswers() {
        if ("true".equalsIgnoreCase(System.getenv("TICKETD_TEST_NO_DOCKER"))) {
            return false;
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp folder is harmless; the server is already stopped
        }
    }

    private record Server(String adminUrl, String user, String password) {
        String urlFor(String database) {
            // replace the database part of jdbc:postgresql://host:port/db?params
            int slash = adminUrl.indexOf('/', "jdbc:postgresql://".length());
            int query = adminUrl.indexOf('?', slash);
            return adminUrl.substring(0, slash + 1) + database + (query < 0 ? "" : adminUrl.substring(query));
        }
    }
}
