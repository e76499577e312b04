package dev.ticketd.node.intake;

import dev.ticketd.cluster.ReachReport;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A node's reach checks against a real GreenMail and a real PostgreSQL, each behind a relay the
 * test cuts: every round is published, a cut shows within seconds with when it began, and the
 * list of mailboxes read from the database is kept while the database is out of reach.
 */
class ReachProbesTest {

    private TestMailServer mail;
    private CuttableRelay imapRelay;
    private CuttableRelay dbRelay;
    private Database db;
    private ReachProbes probes;
    private final List<ReachReport> published = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() {
        if (probes != null) {
            probes.close();
        }
        if (db != null) {
            db.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {imapRelay, dbRelay, mail}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // tear-down
            }
        }
    }

    @Test
    void aCutMailServerOrDatabaseShowsWithinSecondsAndAHealedOneComesBack() throws Exception {
        mail = TestMailServer.start();
        imapRelay = CuttableRelay.on(InetAddress.getLoopbackAddress(), 0, mail.imapPort());
        DatabaseSettings settings = TestPostgres.freshDatabaseSettings();
        int pgPort = Integer.parseInt(settings.jdbcUrl().replaceFirst("^jdbc:postgresql://[^:/]+:(\\d+)/.*$", "$1"));
        dbRelay = CuttableRelay.on(InetAddress.getLoopbackAddress(), 0, pgPort);
        db = Database.open(settings.withJdbcUrl(settings.jdbcUrl().replaceFirst(":" + pgPort + "/", ":" + dbRelay.port() + "/"))
                .withMaxPoolSize(2).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(3)), "reach-probes-test");
        ReachProbes.ImapServer server = new ReachProbes.ImapServer("127.0.0.1", imapRelay.port(), TransportSecurity.NONE);
        probes = new ReachProbes("node-1", () -> {
            db.dsl().selectOne().fetch(); // as the catalogue does: fails while the database is cut
            return Map.of("support", server, "billing", server);
        }, db.dataSource(), published::add, Clock.systemUTC());
        probes.start();

        await().atMost(TestTimeouts.seconds(15)).until(() -> bothReachable(probes.latest()));
        assertThat(published).last().isEqualTo(probes.latest());
        assertThat(probes.latest().imap()).containsOnlyKeys("support", "billing");

        imapRelay.cut();
        ReachReport cut = await().atMost(TestTimeouts.seconds(10)).until(probes::latest,
                r -> !r.imap().get("support").reachable() && !r.imap().get("billing").reachable());
        assertThat(cut.imap().get("support").problem()).startsWith("127.0.0.1:" + imapRelay.port() + ": ");
        assertThat(cut.database().reachable()).isTrue();
        ReachReport later = await().atMost(TestTimeouts.seconds(10)).until(probes::latest,
                r -> r.checkedAt().isAfter(cut.checkedAt()));
        assertThat(later.imap().get("support").since()).as("a failure lasting several checks keeps its start")
                .isEqualTo(cut.imap().get("support").since());
        imapRelay.heal();
        await().atMost(TestTimeouts.seconds(10)).until(() -> bothReachable(probes.latest()));

        dbRelay.cut();
        ReachReport noDatabase = await().atMost(TestTimeouts.seconds(15)).until(probes::latest, r -> !r.database().reachable());
        assertThat(noDatabase.imap()).as("the mailboxes known before are still checked").containsOnlyKeys("support", "billing");
        assertThat(noDatabase.imap().get("support").reachable()).isTrue();
        dbRelay.heal();
        await().atMost(TestTimeouts.seconds(20)).until(() -> bothReachable(probes.latest()));
    }

    @Test
    void aServerThatAcceptsButNeverGreetsOrIsNoImapServerIsNotReachable() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String problem = ReachProbes.greet(new ReachProbes.ImapServer("127.0.0.1", silent.getLocalPort(), TransportSecurity.NONE));
            assertThat(problem).startsWith("SocketTimeoutException after ");
        }
        try (java.net.ServerSocket smtpLike = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread answer = new Thread(() -> {
                try (java.net.Socket s = smtpLike.accept()) {
                    s.getOutputStream().write("220 mail.example.test ESMTP\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                } catch (java.io.IOException ignored) {
                    // the probe has its answer or gave up
                }
            });
            answer.start();
            assertThat(ReachProbes.greet(new ReachProbes.ImapServer("127.0.0.1", smtpLike.getLocalPort(), TransportSecurity.NONE)))
                    .isEqualTo("no IMAP greeting (it said '220 mail.example.test ESMTP')");
            answer.join();
        }
        mail = TestMailServer.start();
        assertThat(ReachProbes.greet(new ReachProbes.ImapServer("127.0.0.1", mail.imapPort(), TransportSecurity.NONE))).isNull();
    }

    private static boolean bothReachable(ReachReport r) {
        return r != null && r.database().reachable() && !r.imap().isEmpty()
                && r.imap().values().stream().allMatch(ReachReport.Reach::reachable);
    }
}
