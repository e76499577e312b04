package dev.ticketd.chaos.db;

import dev.ticketd.chaos.Procs;
import dev.ticketd.chaos.Reaper;
import dev.ticketd.cluster.testing.TestZooKeeperEnsemble;
import dev.ticketd.db.DatabaseSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A real replicated database on one machine: a three-server ZooKeeper ensemble (separate JVMs) and
 * three Patroni-managed PostgreSQL members using it, all on 127.0.0.1. {@link #start} returns once
 * a primary and a synchronous standby are up and the application's database exists;
 * {@link #jdbcUrl()} is the multi-host URL a node uses. {@link #close()} stops all it started.
 *
 * <p>{@code main} starts one and keeps it until Ctrl-C, for trying a node against it by hand.
 */
public final class ReplicatedDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReplicatedDatabase.class);
    static final Duration BOOTSTRAP_TIMEOUT = Duration.ofSeconds(120);

    private final TestZooKeeperEnsemble zk;
    private final PatroniCluster patroni;

    private ReplicatedDatabase(TestZooKeeperEnsemble zk, PatroniCluster patroni) {
        this.zk = zk;
        this.patroni = patroni;
    }

    public static ReplicatedDatabase start(Path dir) throws IOException, InterruptedException, SQLException {
        PatroniCluster.requireRoot();
        long t0 = System.nanoTime();
        TestZooKeeperEnsemble zk = Reaper.register(TestZooKeeperEnsemble.start());
        PatroniCluster patroni = null;
        try {
            patroni = PatroniCluster.startOnLoopback(dir.resolve("patroni"), zk.connectString());
            patroni.awaitWhole(BOOTSTRAP_TIMEOUT);
            patroni.createAppDatabase();
            log.info("replicated database ready in {} ms url={}", (System.nanoTime() - t0) / 1_000_000, patroni.jdbcUrl());
            Reaper.unregister(zk);
            Reaper.unregister(patroni);
            return Reaper.register(new ReplicatedDatabase(zk, patroni));
        } catch (IOException | InterruptedException | SQLException | RuntimeException e) {
            if (patroni != null) {
                patroni.close();
            }
            zk.close();
            Reaper.unregister(zk);
            throw e;
        }
    }

    public TestZooKeeperEnsemble zooKeeper() {
        return zk;
    }

    public PatroniCluster patroni() {
        return patroni;
    }

    public String jdbcUrl() {
        return patroni.jdbcUrl();
    }

    /** The application's connection settings (multi-host URL, its own role), with the project's default timeouts. */
    public DatabaseSettings settings() {
        return DatabaseSettings.of(patroni.jdbcUrl(), patroni.appUser(), patroni.appPassword());
    }

    @Override
    public void close() {
        Reaper.unregister(this);
        patroni.close();
        zk.close();
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("ticketd-replicated-db-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        Reaper.register(() -> Procs.deleteTree(dir));
        try (ReplicatedDatabase db = start(dir)) {
            System.out.println("db.url=" + db.jdbcUrl());
            System.out.println("db.user=" + db.patroni.appUser());
            System.out.println("db.password=" + db.patroni.appPassword());
            System.out.println("zk.address=" + db.zk.connectString());
            System.out.println("Ctrl-C stops it.");
            new CountDownLatch(1).await(); // until the shutdown hook (Reaper) stops everything
        }
    }
}
