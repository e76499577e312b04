package dev.ticketd.node.cluster;

import dev.ticketd.cluster.testing.TestZooKeeperEnsemble;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.Migrations;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.node.intake.MailboxCatalog;
import dev.ticketd.testing.NodeLauncher;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAILBOX_LEASE;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The system under test of the multi-process cluster tests: three ticket nodes as separate
 * processes (the packaged jar, started as production starts it: {@code java -jar ticketd.jar serve
 * --config …}) against a three-server ZooKeeper ensemble (separate JVMs), a real PostgreSQL and
 * GreenMail, with one mailbox {@value #MAILBOX}. Its nemesis methods signal a node's process by
 * pid and fail loudly when the signal could not be delivered.
 *
 * <p>Node configs and logs stay in {@code target/cluster-it/<test>/} for a look after a failure.
 * {@link #close()} kills everything it started, frozen processes included.
 */
final class ThreeNodeCluster implements AutoCloseable {

    static final String MAILBOX = "support";
    static final String SUPPORT = "support@example.test";
    static final String CLUSTER = "ticketd";
    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(4);
    private static final String PASSWORD = "cluster-it-secret";
    private static final List<String> NODE_IDS = List.of("node-1", "node-2", "node-3");
    private static final NodeLauncher NODES = NodeLauncher.of(Path.of("target", "ticketd.jar"));

    private final Path dir;
    private final List<String> extraConfig;
    /** The nodes' names: three, or fewer for a test that needs only a survivor ({@link #start(String, int, List)}). */
    private final List<String> nodeIds;
    private final Map<String, Process> nodes = new LinkedHashMap<>();
    private final Map<String, Integer> httpPorts = new LinkedHashMap<>();
    private TestZooKeeperEnsemble zk;
    private TestMailServer mail;
    private DatabaseSettings dbSettings;
    private Database db;

    private ThreeNodeCluster(Path dir, List<String> extraConfig, List<String> nodeIds) {
        this.dir = dir;
        this.extraConfig = List.copyOf(extraConfig);
        this.nodeIds = List.copyOf(nodeIds);
    }

    /**
     * Starts everything and returns once all three nodes are live in Helix. With
     * {@code simultaneous} the three nodes start at once and race to create the Helix cluster;
     * otherwise the first node is live before the other two start, so a test about something
     * else does not depend on that race.
     */
    static ThreeNodeCluster start(String name, boolean simultaneous) throws IOException {
        return start(name, simultaneous, List.of(), List.of());
    }

    /**
     * @param extraConfig     lines added to every node's configuration; {@code {smtp-port}} in them is the mail server's SMTP port
     * @param extraMailUsers  further accounts on the mail server, as address=password
     */
    static ThreeNodeCluster start(String name, boolean simultaneous, List<String> extraConfig, List<String> extraMailUsers)
            throws IOException {
        return start(name, simultaneous, extraConfig, extraMailUsers, NODE_IDS);
    }

    /** {@code nodes} node processes (2 or 3; the ZooKeeper ensemble keeps its three servers), the first live before the others start. */
    static ThreeNodeCluster start(String name, int nodes, List<String> extraConfig) throws IOException {
        if (nodes < 1 || nodes > NODE_IDS.size()) {
            throw new IllegalArgumentException("1 to " + NODE_IDS.size() + " nodes, not " + nodes);
        }
        return start(name, false, extraConfig, List.of(), NODE_IDS.subList(0, nodes));
    }

    private static ThreeNodeCluster start(String name, boolean simultaneous, List<String> extraConfig, List<String> extraMailUsers,
                                          List<String> nodeIds) throws IOException {
        ThreeNodeCluster c = new ThreeNodeCluster(Files.createDirectories(Path.of("target", "cluster-it", name)).toAbsolutePath(),
                extraConfig, nodeIds);
        try {
            c.zk = TestZooKeeperEnsemble.start();
            c.mail = TestMailServer.start();
            c.mail.addUser(SUPPORT, PASSWORD);
            for (String user : extraMailUsers) {
                c.mail.addUser(user.substring(0, user.indexOf('=')), user.substring(user.indexOf('=') + 1));
            }
            c.dbSettings = TestPostgres.freshDatabaseSettings();
            c.db = Database.open(c.dbSettings.withMaxPoolSize(4), "cluster-it");
            Migrations.migrate(c.db.dataSource());
            new MailboxCatalog(c.db).save(new MailboxCatalog.NewMailbox(MAILBOX, SUPPORT, "127.0.0.1", c.mail.imapPort(),
                    TransportSecurity.NONE, SUPPORT, "support", "INBOX", "Processed"));
            for (String id : c.nodeIds) {
                c.startNode(id);
                if (!simultaneous && id.equals(c.nodeIds.get(0))) {
                    c.awaitLive(1);
                }
            }
            c.awaitLive(c.nodeIds.size());
            return c;
        } catch (IOException | RuntimeException | Error e) {
            c.close();
            throw e;
        }
    }

    Database db() {
        return db;
    }

    TestMailServer mail() {
        return mail;
    }

    TestZooKeeperEnsemble zooKeeper() {
        return zk;
    }

    List<String> nodeIds() {
        return nodeIds;
    }

    /** The port of the node's staff web UI. */
    int httpPort(String nodeId) {
        return httpPorts.get(nodeId);
    }

    Process process(String nodeId) {
        return nodes.get(nodeId);
    }

    boolean isAlive(String nodeId) {
        Process p = nodes.get(nodeId);
        return p != null && p.isAlive();
    }

    // ---- nemesis -------------------------------------------------------------------------------

    /** {@code kill -9}; returns once the process is gone. */
    void kill9(String nodeId) throws InterruptedException {
        Process p = nodes.get(nodeId);
        p.destroyForcibly();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("%s ends after SIGKILL", nodeId).isTrue();
    }

    /** SIGTERM, a planned shutdown; does not wait for the process to end. */
    void terminate(String nodeId) {
        nodes.get(nodeId).destroy();
    }

    /** SIGSTOP: the process is frozen, its sockets stay open. */
    void freeze(String nodeId) throws IOException, InterruptedException {
        signal(nodeId, "STOP");
    }

    /** SIGCONT after {@link #freeze}. */
    void thaw(String nodeId) throws IOException, InterruptedException {
        signal(nodeId, "CONT");
    }

    /**
     * Changes the support mailbox's password on the mail server (an operator rotated it there and not
     * in ticketd), or with {@code null} sets the one the nodes know again.
     */
    void changeMailboxPassword(String password) {
        mail.addUser(SUPPORT, password == null ? PASSWORD : password);
    }

    /** Starts a node that was killed or stopped, with its old configuration. */
    void restart(String nodeId) throws IOException {
        assertThat(isAlive(nodeId)).as("%s must be stopped before a restart", nodeId).isFalse();
        startNode(nodeId);
    }

    private void signal(String nodeId, String signal) throws IOException, InterruptedException {
        Process p = nodes.get(nodeId);
        assertThat(p.isAlive()).as("%s is alive to receive SIG%s", nodeId, signal).isTrue();
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).redirectErrorStream(true).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).as("kill -%s returns", signal).isTrue();
        assertThat(kill.exitValue()).as("kill -%s %d (%s) succeeded", signal, p.pid(), nodeId).isZero();
    }

    // ---- observations --------------------------------------------------------------------------

    record Lease(long epoch, String holder, OffsetDateTime acquiredAt) {
    }

    Lease lease() {
        return db.dsl().select(MAILBOX_LEASE.EPOCH, MAILBOX_LEASE.HOLDER, MAILBOX_LEASE.ACQUIRED_AT).from(MAILBOX_LEASE)
                .where(MAILBOX_LEASE.MAILBOX_ID.eq(MAILBOX))
                .fetchOptional(r -> new Lease(r.value1(), r.value2(), r.value3()))
                .orElse(new Lease(0, null, null));
    }

    /**
     * Waits until the lease is held by a live node other than {@code previous} and has not moved
     * for {@code stableFor} (right after start-up Helix may hand the first leadership on once
     * more nodes join); returns the lease.
     */
    Lease awaitLeader(String previous, Duration stableFor) {
        long[] sinceNanos = {0};
        Lease[] seen = {null};
        return await().atMost(TestTimeouts.seconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            Lease l = lease();
            boolean ok = l.holder() != null && isAlive(l.holder()) && !l.holder().equals(previous);
            if (!ok) {
                seen[0] = null;
                return null;
            }
            if (seen[0] == null || seen[0].epoch() != l.epoch()) {
                seen[0] = l;
                sinceNanos[0] = System.nanoTime();
            }
            return System.nanoTime() - sinceNanos[0] >= stableFor.toNanos() ? l : null;
        }, l -> l != null);
    }

    /** Waits until {@code count} nodes are live instances of the Helix cluster in ZooKeeper. */
    void awaitLive(int count) {
        await().atMost(TestTimeouts.seconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .failFast("a node process exited during start-up (see its log in " + dir + ")",
                        () -> nodes.values().stream().anyMatch(p -> !p.isAlive()))
                .until(() -> liveInstances().size() == count);
    }

    List<String> liveInstances() throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper client = new ZooKeeper(zk.connectString(), 5000, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        try {
            if (!connected.await(TestTimeouts.seconds(5).toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("no ZooKeeper session within " + TestTimeouts.seconds(5));
            }
            return client.getChildren("/" + CLUSTER + "/LIVEINSTANCES", false);
        } finally {
            client.close();
        }
    }

    // ---- load ----------------------------------------------------------------------------------

    /** Sends mails with subjects {@code prefix-from} … {@code prefix-(to-1)} over SMTP. */
    void send(String prefix, int from, int to) {
        List<byte[]> batch = new ArrayList<>();
        for (int i = from; i < to; i++) {
            batch.add(mail.textMail("c" + i + "@example.test", SUPPORT, prefix + "-" + i, "mail " + i));
        }
        mail.send(SUPPORT, batch);
    }

    int ticketCount() {
        return db.dsl().fetchCount(TICKET);
    }

    /** Waits until {@code count} tickets exist and checks that no more than that appeared. */
    void awaitTickets(int count) {
        try {
            await().atMost(TestTimeouts.seconds(60)).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> assertThat(ticketCount()).as("tickets").isGreaterThanOrEqualTo(count));
        } catch (AssertionError | RuntimeException e) {
            dumpThreads();
            throw e;
        }
        assertThat(ticketCount()).isEqualTo(count);
    }

    /** Thread dumps of every live node into its {@code <id>.threads.txt}, for a look at a stall. */
    void dumpThreads() {
        nodes.forEach((id, p) -> {
            if (!p.isAlive()) {
                return;
            }
            try {
                Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
                Process dump = new ProcessBuilder(jcmd.toString(), Long.toString(p.pid()), "Thread.print")
                        .redirectErrorStream(true).redirectOutput(dir.resolve(id + ".threads.txt").toFile()).start();
                dump.waitFor(20, TimeUnit.SECONDS);
                dump.destroyForcibly();
            } catch (IOException e) {
                // a missing dump only makes the failure harder to read
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** Every mail with subject {@code prefix-0} … {@code prefix-(count-1)} is exactly one stored mail and one ticket. */
    void assertEveryMailIsExactlyOneTicket(String prefix, int count) {
        List<String> expected = java.util.stream.IntStream.range(0, count).mapToObj(i -> prefix + "-" + i).toList();
        assertThat(db.dsl().select(INBOUND_MESSAGE.SUBJECT).from(INBOUND_MESSAGE).fetch(INBOUND_MESSAGE.SUBJECT))
                .as("stored mails").containsExactlyInAnyOrderElementsOf(expected);
        assertThat(db.dsl().select(TICKET.SUBJECT).from(TICKET).fetch(TICKET.SUBJECT))
                .as("tickets").containsExactlyInAnyOrderElementsOf(expected);
        assertThat(mail.uids(SUPPORT, PASSWORD, "INBOX")).as("mails left in the INBOX").isEmpty();
    }

    private void startNode(String id) throws IOException {
        Path config = dir.resolve(id + ".properties");
        if (!nodes.containsKey(id)) { // first start in this run: a fresh config (ports, database)
            httpPorts.put(id, freePort());
            Files.writeString(config, String.join("\n",
                    "node.id=" + id,
                    "http.host=127.0.0.1",
                    "http.port=" + httpPorts.get(id),
                    "db.url=" + dbSettings.jdbcUrl(),
                    "db.user=" + dbSettings.user(),
                    "db.password=" + dbSettings.password(),
                    "db.pool-size=4",
                    "cluster.name=" + CLUSTER,
                    "zk.address=" + zk.connectString(),
                    "zk.session-timeout=" + SESSION_TIMEOUT.toSeconds() + "s",
                    "mail.poll-interval=500ms",
                    "secret.support=" + PASSWORD,
                    String.join("\n", extraConfig).replace("{smtp-port}", Integer.toString(mail.smtpPort())), ""));
        }
        boolean restart = nodes.containsKey(id);
        nodes.put(id, NODES.serve(config, dir.resolve(id + ".log"), restart));
    }

    @Override
    public void close() {
        for (Process p : nodes.values()) {
            p.destroyForcibly(); // SIGKILL also ends a frozen process
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
        if (mail != null) {
            mail.close();
        }
        if (zk != null) {
            zk.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
