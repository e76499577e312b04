package dev.ticketd.node.watch;

import dev.ticketd.cluster.ClusterView;
import dev.ticketd.db.Database;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.mail.outbound.SmtpSettings;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.node.auth.MovableClock;
import dev.ticketd.node.health.DatabaseHealth;
import dev.ticketd.node.web.TestData;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.ALERT_EPISODE;
import static dev.ticketd.db.generated.Tables.ALERT_NOTICE;
import static dev.ticketd.db.generated.Tables.MAILBOX_STATUS;
import static dev.ticketd.db.generated.Tables.WATCH_STATE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The self-watch of two nodes against a real PostgreSQL, a real SMTP server for the operations mail
 * (GreenMail) and a real HTTP server as the webhook: a stalled mailbox raises one episode and one
 * notice per channel however many nodes watch, an all-clear follows recovery, the staff banner shows
 * it meanwhile, and a node that is not the watch's runner stands in when nobody else looked. Rounds
 * are driven by the test; the watch's clock is moved by the test, the database's is real.
 */
class SelfWatchTest {

    private static final String OPS = "ops@example.test";
    private static final String OPS_PASSWORD = "ops-secret";
    private static final Duration STEP = Duration.ofSeconds(30);

    private Database db;
    private TestMailServer mail;
    private WebhookSink sink;
    private final MovableClock clock = new MovableClock();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private WatchSettings settings;

    @BeforeEach
    void setUp() throws Exception {
        db = TestPostgres.freshDatabase();
        new TestData(db).mailbox("support", "support@example.test");
        mail = TestMailServer.start();
        mail.addUser(OPS, OPS_PASSWORD);
        sink = WebhookSink.start();
        SmtpSettings relay = new SmtpSettings("127.0.0.1", mail.smtpPort(), TransportSecurity.NONE, null, null, "alerts@example.test",
                "ticketd alerts", Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5));
        settings = WatchSettings.defaults().withChannels(new WatchSettings.AlertSmtp(relay, List.of(OPS)),
                new WatchSettings.AlertWebhook(sink.url(),
                        WatchSettings.WebhookFormat.JSON, "Bearer hook-secret"));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        sink.close();
        mail.close();
        db.close();
    }

    /** Node {@code id}'s watch over the test's database, in a cluster of node-a and node-b that both lead nothing. */
    private SelfWatch watch(String id) {
        HttpClient http = HttpClient.newHttpClient();
        DatabaseHealth health = new DatabaseHealth(db, Duration.ofSeconds(2));
        closing.add(health);
        ClusterView view = new ClusterView("test", "node-a", List.of(
                new ClusterView.Node("node-a", null, true, true, Instant.now(), List.of()),
                new ClusterView.Node("node-b", null, true, true, Instant.now(), List.of())),
                List.of(new ClusterView.Mailbox("support", "node-a", List.of("node-b"))));
        return new SelfWatch(id, "test", settings, new Sampler(db, health, mailbox -> Optional.empty(), http, clock), null,
                new AlertEpisodes(db, SelfWatch.RETRY_BUDGET), SelfWatch.channels(settings, http), () -> view, () -> true, http, clock);
    }

    private void lastPass(String sqlInterval) {
        db.dsl().insertInto(MAILBOX_STATUS).set(MAILBOX_STATUS.MAILBOX_ID, "support").set(MAILBOX_STATUS.EPOCH, 1L)
                .set(MAILBOX_STATUS.LAST_PASS_AT, org.jooq.impl.DSL.field("now() - interval '" + sqlInterval + "'", java.time.OffsetDateTime.class))
                .set(MAILBOX_STATUS.BACKLOG, 0)
                .onConflict(MAILBOX_STATUS.MAILBOX_ID).doUpdate()
                .set(MAILBOX_STATUS.LAST_PASS_AT, org.jooq.impl.DSL.field("now() - interval '" + sqlInterval + "'", java.time.OffsetDateTime.class))
                .execute();
    }

    private void rounds(int n, SelfWatch... watches) {
        for (int i = 0; i < n; i++) {
            clock.advance(STEP);
            for (SelfWatch w : watches) {
                w.round();
            }
        }
    }

    private List<String> opsSubjects() {
        return mail.subjects(OPS, OPS_PASSWORD, "INBOX");
    }

    @Test
    void aStalledMailboxIsAlertedOncePerChannelByTwoWatchingNodesAndClearedOnceWhenItFlows() {
        SelfWatch a = watch("node-a");
        SelfWatch b = watch("node-b");
        a.leadershipGained(SelfWatch.DUTY);
        b.leadershipGained(SelfWatch.DUTY); // both believe they lead: a partition healing, a Helix hiccup
        lastPass("10 minutes");

        rounds(2, a, b);
        assertThat(db.dsl().fetchCount(ALERT_EPISODE)).as("two firing samples are not enough").isZero();
        assertThat(sink.bodies()).isEmpty();

        rounds(1, a, b);
        assertThat(db.dsl().fetchCount(ALERT_EPISODE)).isEqualTo(1);
        assertThat(sink.events()).containsExactly("open mailbox-stalled");
        assertThat(sink.bodies().get(0)).contains("\"rule\":\"mailbox-stalled\"").contains("\"subject\":\"support@example.test\"")
                .contains("has not been read for");
        assertThat(sink.authorizations()).containsExactly("Bearer hook-secret");
        await().atMost(Duration.ofSeconds(10)).until(() -> opsSubjects().size() == 1);
        assertThat(opsSubjects().get(0)).isEqualTo("[ticketd test ALERT stall] mailbox-stalled support@example.test");
        List<String> banner = new StallBanner(db, clock).lines();
        assertThat(banner).singleElement().satisfies(line -> assertThat(line)
                .startsWith("support@example.test: intake stalled, its mailbox has not been read for")
                .contains("Operations were alerted at"));

        rounds(4, a, b);
        assertThat(sink.events()).as("one notice per episode and channel").containsExactly("open mailbox-stalled");
        assertThat(opsSubjects()).hasSize(1);

        lastPass("1 second");
        rounds(1, a, b);
        assertThat(db.dsl().fetchCount(ALERT_EPISODE, ALERT_EPISODE.CLOSED_AT.isNull())).as("one quiet sample clears nothing").isEqualTo(1);
        lastPass("1 second");
        rounds(1, a, b);
        lastPass("1 second");
        rounds(2, a, b);
        assertThat(db.dsl().fetchCount(ALERT_EPISODE, ALERT_EPISODE.CLOSED_AT.isNotNull())).isEqualTo(1);
        assertThat(sink.events()).containsExactly("open mailbox-stalled", "clear mailbox-stalled");
        await().atMost(Duration.ofSeconds(10)).until(() -> opsSubjects().size() == 2);
        assertThat(opsSubjects()).contains("[ticketd test RESOLVED] mailbox-stalled support@example.test");
        assertThat(db.dsl().fetchCount(ALERT_NOTICE, ALERT_NOTICE.SENT_AT.isNull())).isZero();
        clock.advance(StallBanner.CACHE_FOR);
        assertThat(new StallBanner(db, clock).lines()).isEmpty();
    }

    @Test
    void aChannelThatFailsIsTriedAgainLaterAndTheOtherChannelIsNotHeldUp() {
        sink.answer(503);
        SelfWatch a = watch("node-a");
        a.leadershipGained(SelfWatch.DUTY);
        lastPass("10 minutes");
        rounds(3, a);
        await().atMost(Duration.ofSeconds(10)).until(() -> opsSubjects().size() == 1);
        assertThat(a.failed("webhook")).isEqualTo(1);
        assertThat(db.dsl().select(ALERT_NOTICE.LAST_ERROR).from(ALERT_NOTICE).where(ALERT_NOTICE.CHANNEL.eq("webhook")).fetchOne().value1())
                .contains("HTTP 503");

        sink.answer(200);
        // the database's clock decides when a failed notice is due again: make the failed claim old
        db.dsl().update(ALERT_NOTICE).set(ALERT_NOTICE.CLAIMED_AT, org.jooq.impl.DSL.field("now() - interval '2 minutes'",
                java.time.OffsetDateTime.class)).where(ALERT_NOTICE.CHANNEL.eq("webhook")).execute();
        rounds(1, a);
        assertThat(sink.events()).containsExactly("open mailbox-stalled");
        assertThat(opsSubjects()).as("the mail went out once").hasSize(1);
    }

    @Test
    void aChannelThatMissedTheOpeningIsToldByTheAllClearThatItIsTheFirstNoticeOfTheTrouble() {
        sink.answer(503);
        SelfWatch a = watch("node-a");
        a.leadershipGained(SelfWatch.DUTY);
        lastPass("10 minutes");
        rounds(3, a);
        await().atMost(Duration.ofSeconds(10)).until(() -> opsSubjects().size() == 1);
        assertThat(sink.events()).as("the webhook refused the opening").isEmpty();

        sink.answer(200);
        lastPass("1 second"); // the trouble ends before the webhook's opening is due again
        rounds(2, a);
        assertThat(db.dsl().fetchCount(ALERT_EPISODE, ALERT_EPISODE.CLOSED_AT.isNotNull())).isEqualTo(1);
        assertThat(sink.events()).containsExactly("clear mailbox-stalled");
        assertThat(sink.bodies().get(0)).contains("\"unannounced\":true").contains("[ticketd test RESOLVED stall (its alert could not be sent here)] mailbox-stalled")
                .contains("this is the first notice of it here");
        await().atMost(Duration.ofSeconds(10)).until(() -> opsSubjects().size() == 2);
        assertThat(opsSubjects()).as("the mail carried the opening: an ordinary all-clear")
                .contains("[ticketd test RESOLVED] mailbox-stalled support@example.test");
        rounds(3, a);
        assertThat(sink.events()).as("the opening is not sent after the all-clear").containsExactly("clear mailbox-stalled");
    }

    @Test
    void aNodeThatDoesNotLeadTheWatchStandsInWhenNobodyElseLookedAndStepsBackWhenSomebodyDoes() {
        SelfWatch a = watch("node-a");
        SelfWatch b = watch("node-b");
        a.leadershipGained(SelfWatch.DUTY);
        rounds(1, a, b);
        assertThat(a.watching()).isTrue();
        assertThat(b.watching()).as("node-a looked just now").isFalse();
        assertThat(b.patience()).as("node-b ranks second: take-over-after + one rank step").isEqualTo(Duration.ofSeconds(45));

        // node-a stops looking (its process hangs, Helix cannot move the duty)
        db.dsl().update(WATCH_STATE).set(WATCH_STATE.EVALUATED_AT, org.jooq.impl.DSL.field("now() - interval '40 seconds'",
                java.time.OffsetDateTime.class)).where(WATCH_STATE.NODE_ID.eq("node-a")).execute();
        rounds(1, b);
        assertThat(b.watching()).as("40 s is within node-b's patience").isFalse();
        db.dsl().update(WATCH_STATE).set(WATCH_STATE.EVALUATED_AT, org.jooq.impl.DSL.field("now() - interval '50 seconds'",
                java.time.OffsetDateTime.class)).where(WATCH_STATE.NODE_ID.eq("node-a")).execute();
        rounds(1, b);
        assertThat(b.watching()).isTrue();
        assertThat(b.rounds()).isEqualTo(1);

        rounds(1, a);
        rounds(1, b);
        assertThat(b.watching()).as("node-a looks again").isFalse();
    }
}
