package dev.ticketd.node.watch;

import dev.ticketd.db.Database;
import dev.ticketd.desk.Tickets;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.node.Node;
import dev.ticketd.node.admin.MailboxAnnouncer;
import dev.ticketd.node.auth.MovableClock;
import dev.ticketd.node.metrics.NodeMetrics;
import dev.ticketd.node.ticket.TicketChanges;
import dev.ticketd.node.web.WebServer;
import dev.ticketd.node.web.WebSettings;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ticketd watch}, the watcher outside the cluster, asking two real node web servers (the
 * node's own routes over a real PostgreSQL) and alerting through a real webhook: silence when both
 * servers are stopped, a cluster whose self-watch nobody runs, one alert and one all-clear each,
 * reminders while it lasts, and nothing while all is well. Rounds are driven by the test, on a clock
 * it moves.
 */
class OutsideWatchTest {

    private static final Duration STEP = Duration.ofSeconds(5);

    private Database db;
    private WebhookSink sink;
    private final int[] ports = new int[2];
    private final WebServer[] nodes = new WebServer[2];
    private final AtomicBoolean[] watching = {new AtomicBoolean(true), new AtomicBoolean(false)};
    private final java.util.concurrent.atomic.AtomicInteger canariesLate = new java.util.concurrent.atomic.AtomicInteger();
    private final MovableClock clock = new MovableClock();
    private OutsideWatch watch;

    @BeforeEach
    void setUp() throws Exception {
        db = TestPostgres.freshDatabase();
        sink = WebhookSink.start();
        List<URI> urls = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            try (ServerSocket s = new ServerSocket(0)) {
                ports[i] = s.getLocalPort();
            }
            startNode(i);
            urls.add(URI.create("http://127.0.0.1:" + ports[i] + "/"));
        }
        WatchSettings channels = WatchSettings.defaults().withChannels(null, new WatchSettings.AlertWebhook(
                sink.url(), WatchSettings.WebhookFormat.JSON, ""));
        HttpClient http = HttpClient.newHttpClient();
        watch = new OutsideWatch(new OutsideWatch.Settings("test", urls, STEP, Duration.ofSeconds(20), Duration.ofMinutes(1)),
                SelfWatch.channels(channels, http), http, clock);
    }

    private void startNode(int i) {
        AtomicBoolean w = watching[i];
        nodes[i] = Node.staffWeb(db, new WebSettings("127.0.0.1", ports[i], Duration.ofHours(8), false), Clock.systemUTC(), () -> {
                    throw new IllegalStateException("no cluster in this test");
                }, List::of, "node-" + i, new NodeMetrics("node-" + i), new Tickets(), new TicketsFromMail(),
                TicketChanges.DEFAULT_PENDING, MailboxAnnouncer.OUTSIDE_A_CLUSTER, () -> new WatchRoutes.Status(w.get(), w.get() ? canariesLate.get() : 0));
        nodes[i].start();
    }

    private void stopNode(int i) {
        nodes[i].close();
        nodes[i] = null;
    }

    @AfterEach
    void tearDown() {
        for (WebServer n : nodes) {
            if (n != null) {
                n.close();
            }
        }
        sink.close();
        db.close();
    }

    private void rounds(int n) {
        for (int i = 0; i < n; i++) {
            clock.advance(STEP);
            watch.round();
        }
    }

    @Test
    void aHealthyClusterRaisesNothing() {
        rounds(12);
        assertThat(watch.probe()).allSatisfy(a -> assertThat(a.ready()).isTrue());
        assertThat(sink.events()).isEmpty();
    }

    @Test
    void theWatchingNodesCanaryResultsAreRead() {
        canariesLate.set(2);
        assertThat(watch.probe()).extracting(OutsideWatch.NodeAnswer::watching, OutsideWatch.NodeAnswer::canariesLate)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(true, 2), org.assertj.core.groups.Tuple.tuple(false, 0));
        // the cluster alerts late canaries through its own channels: the outside watcher does not repeat them
        rounds(12);
        assertThat(sink.events()).isEmpty();
    }

    @Test
    void allNodesSilentIsAlertedOnceRemindedAndClearedWhenOneAnswersAgain() {
        stopNode(0);
        watching[1].set(true); // the other node's self-watch takes over, as it does in a cluster
        rounds(6);
        assertThat(sink.events()).as("one node still answers").isEmpty();
        stopNode(1);
        rounds(4); // 15 s of silence
        assertThat(sink.events()).isEmpty();
        rounds(1); // 20 s
        assertThat(sink.events()).containsExactly("open cluster-silent");
        rounds(12); // a minute after the alert
        assertThat(sink.events()).containsExactly("open cluster-silent", "remind cluster-silent");

        startNode(1);
        rounds(1);
        assertThat(sink.events()).as("one quiet round clears nothing").hasSize(2);
        rounds(1);
        assertThat(sink.events()).containsExactly("open cluster-silent", "remind cluster-silent", "clear cluster-silent");
        assertThat(watch.openRules()).isEmpty();
    }

    @Test
    void readyNodesOfWhichNoneWatchesItselfAreAlerted() {
        watching[0].set(false);
        rounds(4);
        assertThat(sink.events()).isEmpty();
        rounds(1);
        assertThat(sink.events()).containsExactly("open nobody-watches");
        watching[1].set(true);
        rounds(2);
        assertThat(sink.events()).containsExactly("open nobody-watches", "clear nobody-watches");
    }
}
