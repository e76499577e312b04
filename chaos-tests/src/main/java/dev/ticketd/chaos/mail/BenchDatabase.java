package dev.ticketd.chaos.mail;

import dev.ticketd.chaos.db.ReplicatedDatabase;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.LocalPostgres;
import dev.ticketd.db.Migrations;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The PostgreSQL the ingest benchmark writes to, started once per benchmark; each run gets a
 * fresh, migrated database of its own on it ({@link #fresh}).
 * <ul>
 *   <li>{@link Local}: one server ({@link LocalPostgres}) with {@code fsync} and
 *       {@code full_page_writes} on — the throwaway server of the tests turns them off;</li>
 *   <li>{@link Replicated}: three Patroni members with strict synchronous replication
 *       ({@link ReplicatedDatabase}, as the chaos suite runs them): every commit waits for a
 *       standby.</li>
 * </ul>
 */
interface BenchDatabase extends AutoCloseable {

    /** A connection pool on a new, migrated database {@code name} ({@code [a-z0-9_]}); the caller closes it. */
    Database fresh(String name);

    /** How the application reaches database {@code name} of this server (for a node's configuration). */
    DatabaseSettings settings(String name);

    /** What it is, for the report. */
    String describe();

    /** The pids whose process trees are the database's servers (for their CPU time). */
    List<Long> serverPids();

    @Override
    void close();

    /** The settings that decide what a commit costs, as the application's session sees them. */
    static Map<String, String> durabilitySettings(Database db) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : List.of("fsync", "synchronous_commit", "full_page_writes", "wal_sync_method", "synchronous_standby_names")) {
            out.put(name, String.valueOf(db.dsl().fetchValue("select current_setting('" + name + "')")));
        }
        return out;
    }

    final class Local implements BenchDatabase {
        private final LocalPostgres pg;

        private Local(LocalPostgres pg) {
            this.pg = pg;
        }

        /**
         * Starts the server in {@code dir} (its parents must be world-traversable: PostgreSQL does not run as root);
         * with {@code statements}, it counts its statements (pg_stat_statements, nested ones too: a trigger's own).
         */
        static Local start(Path dir, boolean statements) throws IOException {
            LocalPostgres pg = LocalPostgres.create(dir).withDurableWrites();
            if (statements) {
                pg = pg.withSettings(List.of("shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track=all"));
            }
            Local local = new Local(pg);
            try {
                pg.startServer();
            } catch (IOException | RuntimeException e) {
                pg.close();
                throw e;
            }
            return local;
        }

        @Override
        public Database fresh(String name) {
            pg.createDatabase(name);
            Database db = Database.open(settings(name).withMaxPoolSize(8), name);
            Migrations.migrate(db.dataSource());
            return db;
        }

        @Override
        public DatabaseSettings settings(String name) {
            return DatabaseSettings.of(pg.jdbcUrl(name), LocalPostgres.SUPERUSER, "");
        }

        @Override
        public String describe() {
            return "one local PostgreSQL (fsync on)";
        }

        @Override
        public List<Long> serverPids() {
            return pg.postmasterPid().map(List::of).orElse(List.of());
        }

        @Override
        public void close() {
            pg.close();
        }
    }

    final class Replicated implements BenchDatabase {
        private final ReplicatedDatabase db;

        private Replicated(ReplicatedDatabase db) {
            this.db = db;
        }

        static Replicated start(Path dir) throws IOException, InterruptedException, SQLException {
            return new Replicated(ReplicatedDatabase.start(dir));
        }

        @Override
        public Database fresh(String name) {
            if (!name.matches("[a-z0-9_]+")) {
                throw new IllegalArgumentException("not a plain database name: " + name);
            }
            int primary = db.patroni().primary().orElseThrow(() -> new IllegalStateException(
                    "the replicated database has no primary to create " + name + " on"));
            try {
                db.patroni().superuser(primary, "create database " + name + " owner " + db.patroni().appUser());
            } catch (SQLException e) {
                throw new IllegalStateException("could not create database " + name + " on the primary: " + e.getMessage(), e);
            }
            Database opened = Database.open(settings(name).withMaxPoolSize(8), name);
            Migrations.migrate(opened.dataSource());
            return opened;
        }

        @Override
        public DatabaseSettings settings(String name) {
            DatabaseSettings app = db.settings();
            return app.withJdbcUrl(app.jdbcUrl().replace("/" + dev.ticketd.chaos.db.PatroniCluster.APP_DATABASE + "?", "/" + name + "?"));
        }

        @Override
        public String describe() {
            return "three PostgreSQL members under Patroni, strict synchronous replication";
        }

        @Override
        public List<Long> serverPids() {
            List<Long> pids = new ArrayList<>();
            for (int i = 0; i < db.patroni().members().size(); i++) {
                db.patroni().postmasterPid(i).ifPresent(pids::add);
            }
            return pids;
        }

        @Override
        public void close() {
            db.close();
        }
    }
}
