package dev.ticketd.node.cluster;

import dev.ticketd.cluster.testing.TestZooKeeperEnsemble;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.Migrations;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.node.intake.MailboxCatalog;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAILBOX_LEASE;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three ticket nodes as separate processes (the packaged jar, started as production starts it)
 * against a three-server ZooKeeper ensemble, a real PostgreSQL and GreenMail. One node leads the
 * mailbox; when it is killed another takes over and every mail still becomes exactly one ticket.
 */
class ClusterIT {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "cluster-it-secret";

    private TestZooKeeperEnsemble zk;
    private TestMailServer mail;
    private Database db;
    private DatabaseSettings dbSettings;
    private Path dir;
    private final Map<String, Process> nodes = new LinkedHashMap<>();

    @BeforeEach
    void setUp() throws IOException {
        // node configs and logs stay in the build folder for a look after a failure
        dir = Files.createDirectories(Path.of("target", "cluster-it")).toAbsolutePath();
        zk = TestZooKeeperEnsemble.start();
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        dbSettings = TestPostgres.freshDatabaseSettings();
        db = Database.open(dbSettings.withMaxPoolSize(4), "cluster-it");
        Migrations.migrate(db.dataSource());
        new MailboxCatalog(db).save(new MailboxCatalog.NewMailbox("support", SUPPORT, "127.0.0.1", mail.imapPort(),
                TransportSecurity.NONE, SUPPORT, "support", "INBOX", "Processed"));
        for (String id : List.of("node-1", "node-2", "node-3")) {
            nodes.put(id, startNode(id));
        }
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        for (Process p : nodes.values()) {
            p.destroyForcibly();
        }
        for (Process p : nodes.values()) {
            p.waitFor(20, TimeUnit.SECONDS);
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

    @Test
    void aKilledLeaderIsReplacedAndEveryMailStillBecomesExactlyOneTicket() throws Exception {
        String first = awaitLeader(null);
        sendBatch(0, 5);
        awaitTickets(5);

        Process leader = nodes.get(first);
        long killedAt = System.nanoTime();
        leader.destroyForcibly(); // SIGKILL
        leader.waitFor(10, TimeUnit.SECONDS);
        sendBatch(5, 10);
        String second = awaitLeader(first);
        awaitTickets(10);
        Duration failover = Duration.ofNanos(System.nanoTime() - killedAt);
        System.out.printf("ClusterIT: kill -9 of %s -> %s holds the lease, all mail ticketed after %d ms%n",
                first, second, failover.toMillis());

        Process next = nodes.get(second);
        long stoppedAt = System.nanoTime();
        next.destroy(); // SIGTERM: a planned shutdown hands over at once
        String third = awaitLeader(second);
        System.out.printf("ClusterIT: SIGTERM of %s -> %s holds the lease after %d ms%n",
                second, third, Duration.ofNanos(System.nanoTime() - stoppedAt).toMillis());
        assertThat(next.waitFor(30, TimeUnit.SECONDS)).as("SIGTERM ends the node").isTrue();
        sendBatch(10, 15);
        awaitTickets(15);

        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(15);
        assertThat(db.dsl().selectDistinct(TICKET.SUBJECT).from(TICKET).fetch(TICKET.SUBJECT))
                .containsExactlyInAnyOrderElementsOf(IntStream.range(0, 15).mapToObj(i -> "cluster-" + i).toList());
        assertThat(mail.uids(SUPPORT, PASSWORD, "INBOX")).isEmpty();
    }

    /** Waits until the lease is held by a live node other than {@code previous}; returns its id. */
    private String awaitLeader(String previous) {
        return await().atMost(TestTimeouts.seconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            String holder = db.dsl().select(MAILBOX_LEASE.HOLDER).from(MAILBOX_LEASE)
                    .where(MAILBOX_LEASE.MAILBOX_ID.eq("support")).fetchOptional(MAILBOX_LEASE.HOLDER).orElse(null);
            boolean alive = holder != null && nodes.containsKey(holder) && nodes.get(holder).isAlive();
            return alive && !holder.equals(previous) ? holder : null;
        }, h -> h != null);
    }

    private void sendBatch(int from, int to) {
        List<byte[]> batch = new ArrayList<>();
        for (int i = from; i < to; i++) {
            batch.add(mail.textMail("c" + i + "@example.test", SUPPORT, "cluster-" + i, "mail " + i));
        }
        mail.send(SUPPORT, batch);
    }

    private void awaitTickets(int count) {
        await().atMost(TestTimeouts.seconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> db.dsl().fetchCount(TICKET) >= count);
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(count);
    }

    private Process startNode(String id) throws IOException {
        Path config = dir.resolve(id + ".properties");
        Files.writeString(config, String.join("\n",
                "node.id=" + id,
                "http.host=127.0.0.1",
                "http.port=" + freePort(),
                "db.url=" + dbSettings.jdbcUrl(),
                "db.user=" + dbSettings.user(),
                "db.password=" + dbSettings.password(),
                "db.pool-size=4",
                "zk.address=" + zk.connectString(),
                "zk.session-timeout=4s",
                "mail.poll-interval=500ms",
                "secret.support=" + PASSWORD, ""));
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(java, "-Xmx256m", "-jar", Path.of("target", "ticketd.jar").toAbsolutePath().toString(),
                "serve", "--config", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(id + ".log").toFile())
                .start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
