package dev.ticketd.node.clusterpage;

import dev.ticketd.cluster.ClusterMember;
import dev.ticketd.cluster.ClusterSettings;
import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.desk.Tickets;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.PassListener;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.mail.outbound.SmtpSettings;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.node.Node;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.intake.GiveUps;
import dev.ticketd.node.intake.IntakeSettings;
import dev.ticketd.node.intake.MailIntake;
import dev.ticketd.node.intake.MailboxDirectory;
import dev.ticketd.node.metrics.NodeMetrics;
import dev.ticketd.node.web.WebFixture;
import dev.ticketd.node.web.WebServer;
import dev.ticketd.node.web.WebSettings;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.MAILBOX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a node's mailbox readers and outbox senders count reaches {@code /metrics} and the cluster
 * page, and keeps counting across a handover: a real mail taken in over IMAP (GreenMail), its
 * acknowledgement sent over SMTP, real PostgreSQL, the node's real web server.
 */
class MailCountersShownTest {

    private static final String PASSWORD = "secret";
    private static final String SUPPORT = "support@example.test";

    private WebFixture web;
    private TestMailServer mail;
    private MailIntake intake;
    private WebServer node;

    @BeforeEach
    void setUp() {
        web = new WebFixture();
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        mail.registerMailbox(web.db.dsl(), "support", SUPPORT);
        // a mailbox acknowledges new tickets only when it can send
        web.db.dsl().update(MAILBOX).set(MAILBOX.SMTP_HOST, "127.0.0.1").set(MAILBOX.SMTP_PORT, mail.smtpPort())
                .set(MAILBOX.ACK_ENABLED, true).where(MAILBOX.ID.eq("support")).execute();
        SmtpSettings smtp = new SmtpSettings("127.0.0.1", mail.smtpPort(), TransportSecurity.NONE, null, null, SUPPORT, "Help Desk",
                Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2));
        MailboxDirectory mailboxes = new MailboxDirectory() {
            @Override
            public Optional<MailboxSettings> mailbox(String id) {
                return Optional.of(mail.mailbox(id, SUPPORT, PASSWORD, "INBOX"));
            }

            @Override
            public Optional<SmtpSettings> smtp(String id) {
                return Optional.of(smtp);
            }
        };
        // a cluster member never started: this node is alone and never gives the mailbox up (give-up after 5 min)
        ClusterMember alone = new ClusterMember(new ClusterSettings("127.0.0.1:1", "test", "node-1", Duration.ofSeconds(4)));
        intake = new MailIntake(mailboxes, web.db, new MailboxLeases(web.db.transactions(), Duration.ofSeconds(2)),
                new IngestStore(web.db, new MailParser(), new TicketsFromMail()), PassListener.NONE,
                new GiveUps(alone, Duration.ofMinutes(5)),
                new IntakeSettings("node-1", Duration.ofMinutes(5), Duration.ofMinutes(15)), Clock.systemUTC());
        NodeMetrics metrics = new NodeMetrics("node-1");
        metrics.watchMail(intake::counters);
        node = Node.staffWeb(web.db, new WebSettings("127.0.0.1", 0, Duration.ofHours(8), false), Clock.systemUTC(), () -> {
            throw new IllegalStateException("no ZooKeeper in this test");
        }, intake::counters, "node-1", metrics, new Tickets(), new TicketsFromMail());
        node.start();
    }

    @AfterEach
    void tearDown() {
        if (node != null) {
            node.close();
        }
        if (intake != null) {
            intake.close();
        }
        if (mail != null) {
            mail.close();
        }
        if (web != null) {
            web.close();
        }
    }

    @Test
    void aMailTakenInAndItsAcknowledgementSentAreCountedOnMetricsAndTheClusterPageAcrossAHandover() throws Exception {
        String token = web.apiToken(Role.ADMIN);
        assertThat(scrape(token)).doesNotContain("ticketd_reader_stored_total").doesNotContain("ticketd_outbox_sent_total");

        intake.leadershipGained("support");
        mail.appendRaw(SUPPORT, PASSWORD, "INBOX", List.of(mail.textMail("ann@example.test", SUPPORT, "Printer on fire", "it burns")));
        awaitCounted(1, 1);

        String metrics = scrape(token);
        assertThat(metrics)
                .contains("ticketd_reader_stored_total{mailbox=\"support\",node=\"node-1\"} 1.0")
                .contains("ticketd_reader_already_stored_total{mailbox=\"support\",node=\"node-1\"} 0.0")
                .contains("ticketd_reader_unparseable_total{mailbox=\"support\",node=\"node-1\"} 0.0")
                .contains("ticketd_reader_failed_passes_total{mailbox=\"support\",node=\"node-1\"} 0.0")
                .contains("ticketd_reader_quarantined_after_failures_total{mailbox=\"support\",node=\"node-1\"} 0.0")
                .contains("ticketd_outbox_sent_total{mailbox=\"support\",node=\"node-1\"} 1.0")
                .contains("ticketd_outbox_retried_total{mailbox=\"support\",node=\"node-1\"} 0.0")
                .contains("ticketd_outbox_failed_total{mailbox=\"support\",node=\"node-1\"} 0.0")
                .contains("ticketd_outbox_resent_total{mailbox=\"support\",node=\"node-1\"} 0.0");

        // a handover away and back: a new reader and sender (a new epoch) start from zero, the node's counts do not
        intake.leadershipLost("support");
        intake.leadershipGained("support");
        mail.appendRaw(SUPPORT, PASSWORD, "INBOX", List.of(mail.textMail("bob@example.test", SUPPORT, "Scanner too", "smoke")));
        awaitCounted(2, 2);
        assertThat(scrape(token))
                .contains("ticketd_reader_stored_total{mailbox=\"support\",node=\"node-1\"} 2.0")
                .contains("ticketd_outbox_sent_total{mailbox=\"support\",node=\"node-1\"} 2.0");

        String email = web.newStaffEmail();
        web.accounts.createUser(email, "Admin", WebFixture.PASSWORD, Role.ADMIN);
        WebFixture.Browser browser = web.browser(node.port());
        assertThat(browser.login(email, WebFixture.PASSWORD).statusCode()).isEqualTo(303);
        HttpResponse<String> page = browser.get("/cluster");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("Counted by node-1")
                .contains("<tr class=\"counted\" data-mailbox=\"support\">")
                .contains("<td data-count=\"stored\">2</td>")
                .contains("<td data-count=\"sent\">2</td>")
                .contains("<td data-count=\"already-stored\">0</td>")
                .contains("<td data-count=\"resent\"");
        HttpResponse<String> api = get("/api/v1/cluster", token);
        assertThat(api.body()).contains("\"countedHere\":[{\"mailboxId\":\"support\",\"stored\":2,")
                .contains("\"sent\":2,\"retried\":0,\"failed\":0,\"resent\":0}]");
    }

    private void awaitCounted(long stored, long sent) {
        await().atMost(TestTimeouts.seconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(intake.counters()).singleElement().satisfies(c -> {
                    assertThat(c.stored()).isEqualTo(stored);
                    assertThat(c.sent()).isEqualTo(sent);
                }));
    }

    private String scrape(String token) throws Exception {
        HttpResponse<String> response = get("/metrics", token);
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + path))
                .header("Authorization", "Bearer " + token).timeout(TestTimeouts.seconds(10)).GET().build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }
}
