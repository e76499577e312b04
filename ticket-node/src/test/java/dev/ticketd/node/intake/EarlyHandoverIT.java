package dev.ticketd.node.intake;

import dev.ticketd.cluster.testing.TestZooKeeperEnsemble;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.Migrations;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.NodeLauncher;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.ticketd.db.generated.Tables.MAILBOX_LEASE;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 17, item 4: a leader cut off from the mail server or the database, while the other node is
 * not, hands the mailbox over in seconds instead of after {@code mail.give-up-after} (60 s here);
 * when the mail server is out of reach for every node, the leader keeps the mailbox.
 *
 * <p>Two node processes (the packaged jar) on a three-server ZooKeeper ensemble, a real PostgreSQL
 * and GreenMail. Each node reaches the mail server through a relay of its own: the mailbox's IMAP
 * host is a name that each node's JVM resolves (its own {@code jdk.net.hosts.file}) to its own
 * loopback address, where its relay listens. Each node reaches the database through a relay of its
 * own too (its {@code db.url}). Cutting a relay stalls its connections and leaves new ones
 * unanswered, like a firewall that drops packets (the chaos suite's {@code leader-mail-cut} and
 * {@code leader-db-cut}).
 */
class EarlyHandoverIT {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "early-handover-it-secret";
    private static final String IMAP_HOST = "imap.early-handover-it.test";
    private static final List<String> NODES = List.of("node-1", "node-2");
    private static final NodeLauncher LAUNCHER = NodeLauncher.of(Path.of("target", "ticketd.jar"));

    private TestZooKeeperEnsemble zk;
    private TestMailServer mail;
    private Database db;
    private final Map<String, CuttableRelay> imapRelays = new LinkedHashMap<>();
    private final Map<String, CuttableRelay> dbRelays = new LinkedHashMap<>();
    private final Map<String, Process> nodes = new LinkedHashMap<>();
    private Path dir;
    private int mailsSent;

    @AfterEach
    void tearDown() throws InterruptedException {
        nodes.values().forEach(Process::destroyForcibly);
        for (Process p : nodes.values()) {
            p.waitFor(20, TimeUnit.SECONDS);
        }
        imapRelays.values().forEach(CuttableRelay::close);
        dbRelays.values().forEach(CuttableRelay::close);
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

    @Test
    void aLeaderCutOffFromTheMailServerHandsTheMailboxToTheNodeThatReachesItWithinSeconds() throws Exception {
        String leader = startTwoNodesAndTakeInAMail("mail-cut");
        String other = otherThan(leader);

        imapRelays.get(leader).cut();
        long cutAt = System.nanoTime();
        sendMail("sent while the leader is cut off");
        await().atMost(TestTimeouts.seconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> other.equals(leaseHolder()));
        Duration handover = Duration.ofNanos(System.nanoTime() - cutAt);
        awaitTickets(2);
        Duration intakeBack = Duration.ofNanos(System.nanoTime() - cutAt);
        System.out.printf("EarlyHandoverIT: %s cut off from IMAP -> %s holds the lease after %d ms, the mail sent meanwhile is a"
                + " ticket after %d ms%n", leader, other, handover.toMillis(), intakeBack.toMillis());

        assertThat(handover).as("well under mail.give-up-after (60 s)").isLessThan(TestTimeouts.seconds(15));
        assertThat(Files.readString(log(leader))).contains("handing mailbox over early mailbox=support")
                .contains("cannot reach the mail server (" + IMAP_HOST)
                .contains(other + " (checked");
        assertThat(nodes.get(leader).isAlive()).as("the cut-off node keeps serving staff").isTrue();
    }

    @Test
    void aLeaderCutOffFromTheDatabaseHandsTheMailboxToTheNodeThatReachesItWithinSeconds() throws Exception {
        String leader = startTwoNodesAndTakeInAMail("db-cut");
        String other = otherThan(leader);

        dbRelays.get(leader).cut();
        long cutAt = System.nanoTime();
        sendMail("sent while the leader has no database");
        await().atMost(TestTimeouts.seconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> other.equals(leaseHolder()));
        Duration handover = Duration.ofNanos(System.nanoTime() - cutAt);
        awaitTickets(2);
        Duration intakeBack = Duration.ofNanos(System.nanoTime() - cutAt);
        System.out.printf("EarlyHandoverIT: %s cut off from the database -> %s holds the lease after %d ms, the mail sent"
                + " meanwhile is a ticket after %d ms%n", leader, other, handover.toMillis(), intakeBack.toMillis());

        assertThat(handover).as("well under mail.give-up-after (60 s)").isLessThan(TestTimeouts.seconds(15));
        assertThat(Files.readString(log(leader))).contains("handing mailbox over early mailbox=support")
                .contains("cannot reach the database (");
    }

    @Test
    void whenTheMailServerIsOutOfReachForEveryNodeTheLeaderKeepsTheMailbox() throws Exception {
        String leader = startTwoNodesAndTakeInAMail("mail-down");
        Lease before = lease();

        imapRelays.values().forEach(CuttableRelay::cut);
        await().during(TestTimeouts.seconds(20)).atMost(TestTimeouts.seconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> lease().equals(before));
        for (String node : NODES) {
            assertThat(Files.readString(log(node))).as(node).doesNotContain("handing mailbox over early").doesNotContain("giving mailbox up");
        }

        imapRelays.values().forEach(CuttableRelay::heal);
        sendMail("sent once the mail server is back");
        awaitTickets(2);
        assertThat(lease()).as("the same leader, under the same epoch, reads the mail again").isEqualTo(before);
        assertThat(before.holder()).isEqualTo(leader);
    }

    // ---- the cluster ---------------------------------------------------------------------------

    /** Starts everything, waits until both nodes publish what they reach and the leader has taken a mail in; returns the leader. */
    private String startTwoNodesAndTakeInAMail(String name) throws Exception {
        dir = Files.createDirectories(Path.of("target", "early-handover-it", name)).toAbsolutePath();
        zk = TestZooKeeperEnsemble.start();
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        DatabaseSettings settings = TestPostgres.freshDatabaseSettings();
        db = Database.open(settings.withMaxPoolSize(4), "early-handover-it");
        Migrations.migrate(db.dataSource());
        int imapPort = relaysOnOnePort(mail.imapPort());
        int pgPort = Integer.parseInt(settings.jdbcUrl().replaceFirst("^jdbc:postgresql://[^:/]+:(\\d+)/.*$", "$1"));
        new MailboxCatalog(db).save(new MailboxCatalog.NewMailbox("support", SUPPORT, IMAP_HOST, imapPort,
                TransportSecurity.NONE, SUPPORT, "support", "INBOX", "Processed"));
        for (String node : NODES) {
            CuttableRelay dbRelay = CuttableRelay.on(InetAddress.getLoopbackAddress(), 0, pgPort);
            dbRelays.put(node, dbRelay);
            nodes.put(node, startNode(node, settings.withJdbcUrl(settings.jdbcUrl().replaceFirst(":" + pgPort + "/", ":" + dbRelay.port() + "/"))));
        }
        await().atMost(TestTimeouts.seconds(90)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .failFast("a node process exited (see its log in " + dir + ")", () -> nodes.values().stream().anyMatch(p -> !p.isAlive()))
                .until(() -> reachReports().containsAll(NODES));
        sendMail("before any fault");
        awaitTickets(1);
        return awaitSteadyLeader();
    }

    /**
     * One relay per node to the mail server, all on one port (the mailbox has one IMAP port), each
     * on the node's own loopback address: 127.0.0.21 for node-1, 127.0.0.22 for node-2.
     */
    private int relaysOnOnePort(int target) throws IOException {
        for (int attempt = 1; ; attempt++) {
            int port = freePort(address(NODES.get(0)));
            List<CuttableRelay> made = new ArrayList<>();
            try {
                for (String node : NODES) {
                    made.add(CuttableRelay.on(address(node), port, target));
                }
                for (int i = 0; i < NODES.size(); i++) {
                    imapRelays.put(NODES.get(i), made.get(i));
                }
                return port;
            } catch (BindException e) {
                made.forEach(CuttableRelay::close);
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    private Process startNode(String node, DatabaseSettings settings) throws IOException {
        Path hosts = dir.resolve(node + ".hosts");
        Files.writeString(hosts, address(node).getHostAddress() + " " + IMAP_HOST + "\n"
                + "127.0.0.1 localhost " + InetAddress.getLocalHost().getHostName() + "\n");
        Path config = dir.resolve(node + ".properties");
        Files.writeString(config, String.join("\n",
                "node.id=" + node,
                "http.host=127.0.0.1",
                "http.port=" + freePort(InetAddress.getLoopbackAddress()),
                "db.url=" + settings.jdbcUrl(),
                "db.user=" + settings.user(),
                "db.password=" + settings.password(),
                "db.pool-size=4",
                "db.socket-timeout=10s",
                "zk.address=" + zk.connectString(),
                "mail.poll-interval=500ms",
                "mail.io-timeout=2s",
                "mail.handover-after=5s",
                "mail.give-up-after=60s",
                "mail.give-up-cooldown=10m",
                "secret.support=" + PASSWORD, ""));
        List<String> jvm = new ArrayList<>(NodeLauncher.NODE_JVM_OPTIONS);
        jvm.add("-Djdk.net.hosts.file=" + hosts);
        return LAUNCHER.processBuilder(jvm, List.of("serve", "--config", config.toString()))
                .redirectErrorStream(true).redirectOutput(log(node).toFile()).start();
    }

    private static InetAddress address(String node) throws IOException {
        return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (21 + NODES.indexOf(node))});
    }

    private Path log(String node) {
        return dir.resolve(node + ".log");
    }

    private static String otherThan(String node) {
        return NODES.stream().filter(n -> !n.equals(node)).findFirst().orElseThrow();
    }

    /** The nodes whose reach report is in ZooKeeper now. */
    private List<String> reachReports() throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper client = new ZooKeeper(zk.connectString(), 5000, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        try {
            if (!connected.await(TestTimeouts.seconds(5).toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("no ZooKeeper session");
            }
            return client.getChildren("/ticketd/PROPERTYSTORE/TICKETD_REACH", false);
        } finally {
            client.close();
        }
    }

    // ---- observations --------------------------------------------------------------------------

    private record Lease(long epoch, String holder) {
    }

    private Lease lease() {
        return db.dsl().select(MAILBOX_LEASE.EPOCH, MAILBOX_LEASE.HOLDER).from(MAILBOX_LEASE)
                .where(MAILBOX_LEASE.MAILBOX_ID.eq("support"))
                .fetchOptional(r -> new Lease(r.value1(), r.value2())).orElse(new Lease(0, null));
    }

    private String leaseHolder() {
        return lease().holder();
    }

    /** Waits until the lease has not moved for 3 s (a node that joins may take the first leadership over once). */
    private String awaitSteadyLeader() {
        Lease[] seen = {null};
        long[] since = {0};
        return await().atMost(TestTimeouts.seconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            Lease l = lease();
            if (seen[0] == null || !seen[0].equals(l)) {
                seen[0] = l;
                since[0] = System.nanoTime();
            }
            return l.holder() != null && System.nanoTime() - since[0] >= Duration.ofSeconds(3).toNanos() ? l.holder() : null;
        }, h -> h != null);
    }

    private void sendMail(String subject) {
        mailsSent++;
        mail.send(SUPPORT, List.of(mail.textMail("c" + mailsSent + "@example.test", SUPPORT, subject, "mail " + mailsSent)));
    }

    private void awaitTickets(int count) {
        await().atMost(TestTimeouts.seconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> db.dsl().fetchCount(TICKET) >= count);
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(count);
    }

    private static int freePort(InetAddress address) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, address)) {
            return s.getLocalPort();
        }
    }
}
