package dev.ticketd.chaos;

import dev.ticketd.cluster.testing.TestZooKeeperEnsemble;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.Migrations;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.NodeLauncher;
import dev.ticketd.testing.TestPostgres;
import org.apache.zookeeper.ZooKeeper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.MAILBOX_LEASE;

/**
 * Three ticket nodes ({@code java -jar ticketd.jar serve}) on one machine against a three-server
 * ZooKeeper ensemble (separate JVMs), a throwaway PostgreSQL and GreenMail, all on 127.0.0.1,
 * with one mailbox {@value #MAILBOX_ID}. The same arrangement as ticket-node's
 * {@code ThreeNodeCluster} test fixture, without JUnit. {@link #close()} kills all it started.
 */
public final class LocalCluster implements AutoCloseable {

    public static final String MAILBOX_ID = "support";
    public static final String SUPPORT = "support@example.test";
    public static final String PASSWORD = "bench-secret";
    static final List<String> NODE_IDS = List.of("node-1", "node-2", "node-3");
    private static final String CLUSTER = "ticketd";

    private final NodeLauncher launcher;
    private final Path dir;
    private final Map<String, Process> nodes = new LinkedHashMap<>();
    private final Map<String, Integer> httpPorts = new LinkedHashMap<>();
    private final Map<String, Integer> starts = new LinkedHashMap<>();
    private TestZooKeeperEnsemble zk;
    private String zkConnect;
    private Map<String, String> extraConfig = Map.of();
    private TestMailServer mail;
    private DatabaseSettings dbSettings;
    private Database db;

    public LocalCluster(Path jar, Path dir) {
        this.launcher = NodeLauncher.of(jar);
        this.dir = dir;
    }

    /** Starts its own ZooKeeper ensemble, GreenMail and PostgreSQL, then the three nodes. */
    void start() throws IOException, InterruptedException {
        zk = TestZooKeeperEnsemble.start();
        mail = TestMailServer.start();
        startNodes(zk.connectString(), mail, TestPostgres.freshDatabaseSettings(), Map.of(), NODE_IDS);
    }

    /**
     * Starts {@code nodeIds} against infrastructure somebody else runs (and closes): the ZooKeeper
     * ensemble at {@code zkConnect}, the mail server, the (migrated here) database. Each node's
     * configuration gets {@code extraConfig} on top of the defaults.
     */
    public void startNodes(String zkConnect, TestMailServer mailServer, DatabaseSettings database,
                    Map<String, String> extraConfig, List<String> nodeIds) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        this.zkConnect = zkConnect;
        this.mail = mailServer;
        this.dbSettings = database;
        this.extraConfig = Map.copyOf(extraConfig);
        mail.addUser(SUPPORT, PASSWORD);
        db = Database.open(dbSettings.withMaxPoolSize(4), "chaos-harness");
        Migrations.migrate(db.dataSource());
        db.dsl().insertInto(MAILBOX)
                .set(MAILBOX.ID, MAILBOX_ID).set(MAILBOX.ADDRESS, SUPPORT)
                .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, mail.imapPort()).set(MAILBOX.IMAP_SECURITY, "none")
                .set(MAILBOX.IMAP_USER, SUPPORT).set(MAILBOX.SECRET_REF, "support")
                .set(MAILBOX.INBOX_FOLDER, "INBOX").set(MAILBOX.PROCESSED_FOLDER, "Processed")
                .execute();
        // the first node creates the Helix cluster alone, then the others join
        startNode(nodeIds.get(0));
        awaitLive(1, Duration.ofSeconds(60));
        for (String id : nodeIds.subList(1, nodeIds.size())) {
            startNode(id);
        }
        awaitLive(nodeIds.size(), Duration.ofSeconds(60));
    }

    /** How many times {@code nodeId} was started in this run. */
    public int starts(String nodeId) {
        return starts.getOrDefault(nodeId, 0);
    }

    /** The node's web address. */
    public String httpUrl(String nodeId) {
        return "http://127.0.0.1:" + httpPorts.get(nodeId);
    }

    public Path configFile(String nodeId) {
        return dir.resolve(nodeId + ".properties");
    }

    public Database db() {
        return db;
    }

    TestMailServer mail() {
        return mail;
    }

    Process process(String nodeId) {
        return nodes.get(nodeId);
    }

    public boolean isAlive(String nodeId) {
        Process p = nodes.get(nodeId);
        return p != null && p.isAlive();
    }

    void kill9(String nodeId) {
        nodes.get(nodeId).destroyForcibly();
    }

    void terminate(String nodeId) {
        nodes.get(nodeId).destroy();
    }

    record Lease(long epoch, String holder, OffsetDateTime acquiredAt) {
    }

    Lease lease() {
        return db.dsl().select(MAILBOX_LEASE.EPOCH, MAILBOX_LEASE.HOLDER, MAILBOX_LEASE.ACQUIRED_AT).from(MAILBOX_LEASE)
                .where(MAILBOX_LEASE.MAILBOX_ID.eq(MAILBOX_ID))
                .fetchOptional(r -> new Lease(r.value1(), r.value2(), r.value3()))
                .orElse(new Lease(0, null, null));
    }

    /** Waits until {@code count} nodes are live instances in Helix; fails when a node process exits meanwhile. */
    void awaitLive(int count, Duration timeout) throws InterruptedException {
        Poll.until("live Helix instances == " + count, timeout, () -> {
            for (Map.Entry<String, Process> e : nodes.entrySet()) {
                if (!e.getValue().isAlive()) {
                    throw new IllegalStateException(e.getKey() + " exited, see " + dir.resolve(e.getKey() + ".log"));
                }
            }
            return liveInstances().size() == count;
        });
    }

    List<String> liveInstances() {
        try {
            ZooKeeper client = new ZooKeeper(zkConnect, 5000, event -> { });
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (client.getState() != ZooKeeper.States.CONNECTED && System.nanoTime() < deadline) {
                    TimeUnit.MILLISECONDS.sleep(20);
                }
                return client.getChildren("/" + CLUSTER + "/LIVEINSTANCES", false);
            } finally {
                client.close();
            }
        } catch (Exception e) {
            return List.of();
        }
    }

    public void startNode(String id) throws IOException {
        if (isAlive(id)) {
            throw new IllegalStateException(id + " is still running");
        }
        Path configFile = configFile(id);
        if (!nodes.containsKey(id)) { // first start in this run: a fresh config (ports, database)
            httpPorts.put(id, Procs.freePort());
            Map<String, String> config = new LinkedHashMap<>();
            config.put("node.id", id);
            config.put("http.host", "127.0.0.1");
            config.put("http.port", Integer.toString(httpPorts.get(id)));
            config.put("db.url", dbSettings.jdbcUrl());
            config.put("db.user", dbSettings.user());
            config.put("db.password", dbSettings.password());
            config.put("db.pool-size", "4");
            config.put("cluster.name", CLUSTER);
            config.put("zk.address", zkConnect);
            config.put("zk.session-timeout", "4s");
            config.put("mail.poll-interval", "500ms");
            config.put("secret.support", PASSWORD);
            config.putAll(extraConfig);
            StringBuilder text = new StringBuilder();
            config.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
            Files.writeString(configFile, text.toString());
        }
        boolean restart = nodes.containsKey(id);
        starts.merge(id, 1, Integer::sum);
        nodes.put(id, launcher.serve(configFile, dir.resolve(id + ".log"), restart));
    }

    @Override
    public void close() {
        for (Process p : nodes.values()) {
            p.destroyForcibly();
        }
        for (Process p : nodes.values()) {
            try {
                p.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (db != null) {
            db.close();
        }
        if (zk != null) { // infrastructure of its own (start()), not given to startNodes
            mail.close();
            zk.close();
        }
    }
}
