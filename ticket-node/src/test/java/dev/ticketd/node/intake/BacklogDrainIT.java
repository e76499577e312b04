package dev.ticketd.node.intake;

import dev.ticketd.cluster.ClusterAdmin;
import dev.ticketd.cluster.ClusterView;
import dev.ticketd.cluster.testing.TestZooKeeperEnsemble;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.Migrations;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.NodeLauncher;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.jooq.Record2;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.ticketd.db.generated.Tables.MAILBOX_LEASE;
import static dev.ticketd.db.generated.Tables.MAILBOX_STATUS;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The morning after an outage: a night's mail waits in the INBOX, and the pass that takes it in
 * lasts many times {@code mail.give-up-after}. Three nodes run; the leader keeps committing mail
 * throughout, so it keeps the mailbox — one lease epoch for the whole drain, no give-up, no
 * handover — and tells the cluster it is working while the pass lasts.
 */
class BacklogDrainIT {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "backlog-it-secret";
    /** Enough mail for one pass to outlast {@link #GIVE_UP_AFTER} several times at this machine's intake rate. */
    private static final int BACKLOG = 6_000; // taken in by the set, 3,000 drained in 12 s on a quiet machine
    private static final Duration GIVE_UP_AFTER = Duration.ofSeconds(5);

    private TestZooKeeperEnsemble zk;
    private TestMailServer mail;
    private Database db;
    private final List<Process> nodes = new ArrayList<>();

    @AfterEach
    void tearDown() throws InterruptedException {
        nodes.forEach(Process::destroyForcibly);
        for (Process p : nodes) {
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
    void aLeaderDrainingABacklogLongerThanTheGiveUpTimeKeepsTheMailboxUnderOneEpoch() throws Exception {
        zk = TestZooKeeperEnsemble.start();
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        List<byte[]> night = new ArrayList<>();
        for (int i = 0; i < BACKLOG; i++) {
            night.add(mail.textMail("customer" + (i % 37) + "@example.test", SUPPORT, "overnight " + i, "mail number " + i));
        }
        mail.deliverInProcess(SUPPORT, night);
        DatabaseSettings settings = TestPostgres.freshDatabaseSettings();
        db = Database.open(settings.withMaxPoolSize(4), "backlog-drain-it");
        Migrations.migrate(db.dataSource());
        Path dir = Files.createDirectories(Path.of("target", "backlog-drain-it")).toAbsolutePath();
        for (String id : List.of("a", "b", "c")) {
            nodes.add(startNode(dir, id, settings));
        }
        // the mailbox comes once all three nodes are in, as `ticketd mailbox add` brings it: its
        // leader is then chosen among all three and is not moved by a node joining late
        await().atMost(TestTimeouts.seconds(90)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
            try (ClusterAdmin admin = ClusterAdmin.open(zk.connectString(), "ticketd")) { // made by the first node
                return admin.status().nodes().stream().filter(ClusterView.Node::live).count() == 3;
            }
        });
        try (ClusterAdmin admin = ClusterAdmin.open(zk.connectString(), "ticketd")) {
            new MailboxCatalog(db).save(new MailboxCatalog.NewMailbox("support", SUPPORT, "127.0.0.1", mail.imapPort(),
                    TransportSecurity.NONE, SUPPORT, "support", "INBOX", "Processed"));
            admin.addMailboxes(Set.of("support"));
        }

        await().atMost(TestTimeouts.seconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> db.dsl().fetchCount(TICKET) > 0);
        long drainStarted = System.nanoTime();
        Record2<String, Long> lease = lease();
        // the status row moves on while the pass is still under way (the self-watch reads it)
        Set<OffsetDateTime> statusDuringDrain = new HashSet<>();
        await().atMost(TestTimeouts.seconds(300)).pollInterval(Duration.ofMillis(250)).until(() -> {
            boolean done = db.dsl().fetchCount(TICKET) >= BACKLOG;
            if (!done) {
                db.dsl().select(MAILBOX_STATUS.LAST_PASS_AT).from(MAILBOX_STATUS).where(MAILBOX_STATUS.MAILBOX_ID.eq("support"))
                        .fetchOptional(MAILBOX_STATUS.LAST_PASS_AT).ifPresent(statusDuringDrain::add);
            }
            return done;
        });
        Duration drain = Duration.ofNanos(System.nanoTime() - drainStarted);

        assertThat(drain).as("the premise: one pass over the backlog outlasts the give-up time several times "
                + "(raise BACKLOG if intake got this fast)").isGreaterThan(GIVE_UP_AFTER.multipliedBy(3));
        assertThat(db.dsl().fetchCount(TICKET)).as("every mail once").isEqualTo(BACKLOG);
        assertThat(db.dsl().fetchCount(db.dsl().selectDistinct(TICKET.SUBJECT).from(TICKET))).isEqualTo(BACKLOG);
        assertThat(lease()).as("the same leader under the same epoch from the first mail to the last").isEqualTo(lease);
        for (String id : List.of("a", "b", "c")) {
            assertThat(Files.readString(dir.resolve(id + ".log"))).as("node " + id + "'s log").doesNotContain("giving mailbox up");
        }
        assertThat(statusDuringDrain).as("progress reported during the pass, not only at its end").hasSizeGreaterThan(1);
    }

    private Record2<String, Long> lease() {
        return db.dsl().select(MAILBOX_LEASE.HOLDER, MAILBOX_LEASE.EPOCH).from(MAILBOX_LEASE)
                .where(MAILBOX_LEASE.MAILBOX_ID.eq("support")).fetchOne();
    }

    private Process startNode(Path dir, String id, DatabaseSettings settings) throws IOException {
        Path config = dir.resolve(id + ".properties");
        Files.writeString(config, String.join("\n",
                "node.id=" + id,
                "http.host=127.0.0.1",
                "http.port=" + freePort(),
                "db.url=" + settings.jdbcUrl(),
                "db.user=" + settings.user(),
                "db.password=" + settings.password(),
                "db.pool-size=4",
                "zk.address=" + zk.connectString(),
                "mail.poll-interval=500ms",
                "mail.io-timeout=2s",
                "mail.give-up-after=" + GIVE_UP_AFTER.toSeconds() + "s",
                "mail.give-up-cooldown=10m",
                "secret.support=" + PASSWORD, ""));
        return NodeLauncher.of(Path.of("target", "ticketd.jar")).serve(config, dir.resolve(id + ".log"), false);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
