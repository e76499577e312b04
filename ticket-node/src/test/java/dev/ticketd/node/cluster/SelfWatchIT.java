package dev.ticketd.node.cluster;

import dev.ticketd.node.watch.WebhookSink;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.ticketd.db.generated.Tables.ALERT_EPISODE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The self-watch of three node processes noticing a silent stall: the support mailbox's password is
 * changed on the mail server and the mailbox's leader restarts (as in a rolling deploy), so no node
 * can read the mailbox any more and nothing in ticketd fails loudly. The watch must alert operations
 * once on each channel (a webhook served by this test, a mail to an ops account on the mail server),
 * show the staff banner, and send one all-clear once the password is put back. Times are shortened
 * ({@code watch.stall-after=10s}); the measured fault-to-alert and repair-to-clear times are printed.
 */
class SelfWatchIT {

    private static final String OPS = "ops@example.test";
    private static final String OPS_PASSWORD = "ops-secret";

    private ThreeNodeCluster cluster;
    private WebhookSink sink;

    @BeforeEach
    void setUp() throws Exception {
        sink = WebhookSink.start();
        cluster = ThreeNodeCluster.start("SelfWatchIT", false, List.of(
                "watch.interval=1s", "watch.stall-after=10s", "watch.look-interval=2s", "watch.take-over-after=5s",
                "mail.give-up-after=5s",
                "alert.webhook.url=" + sink.url(),
                "alert.smtp.host=127.0.0.1", "alert.smtp.port={smtp-port}", "alert.smtp.security=none", "alert.smtp.from=alerts@example.test",
                "alert.smtp.to=" + OPS), List.of(OPS + "=" + OPS_PASSWORD));
    }

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
        if (sink != null) {
            sink.close();
        }
    }

    private List<String> stalled() {
        return sink.events().stream().filter(e -> e.endsWith(" mailbox-stalled")).toList();
    }

    @Test
    void aMailboxNoNodeCanReadIsAlertedOncePerChannelAndClearedOnceWhenItCanAgain() throws Exception {
        String leader = cluster.awaitLeader(null, Duration.ofSeconds(2)).holder();
        cluster.send("before", 0, 3);
        cluster.awaitTickets(3);
        assertThat(stalled()).as("a healthy cluster raises no stall").isEmpty();

        long faultAt = System.nanoTime();
        cluster.changeMailboxPassword("rotated-elsewhere");
        cluster.terminate(leader); // its successor must log in again, and cannot
        assertThat(cluster.process(leader).waitFor(30, TimeUnit.SECONDS)).isTrue();
        cluster.restart(leader);
        cluster.send("during", 0, 2);

        await().atMost(TestTimeouts.seconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> !stalled().isEmpty());
        long alertMs = Duration.ofNanos(System.nanoTime() - faultAt).toMillis();
        assertThat(stalled()).containsExactly("open mailbox-stalled");
        await().atMost(TestTimeouts.seconds(20)).until(() -> cluster.mail().subjects(OPS, OPS_PASSWORD, "INBOX").stream()
                .anyMatch(s -> s.contains("ALERT stall] mailbox-stalled " + ThreeNodeCluster.SUPPORT)));
        assertThat(cluster.db().dsl().fetchCount(ALERT_EPISODE, ALERT_EPISODE.RULE.eq("mailbox-stalled").and(ALERT_EPISODE.CLOSED_AT.isNull())))
                .isEqualTo(1);

        long repairAt = System.nanoTime();
        cluster.changeMailboxPassword(null);
        await().atMost(TestTimeouts.seconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> stalled().contains("clear mailbox-stalled"));
        long clearMs = Duration.ofNanos(System.nanoTime() - repairAt).toMillis();
        cluster.awaitTickets(5);
        assertThat(stalled()).as("one alert and one all-clear on the webhook").containsExactly("open mailbox-stalled",
                "clear mailbox-stalled");
        await().atMost(TestTimeouts.seconds(20)).until(() -> cluster.mail().subjects(OPS, OPS_PASSWORD, "INBOX").stream()
                .anyMatch(s -> s.contains("RESOLVED] mailbox-stalled")));
        assertThat(cluster.mail().subjects(OPS, OPS_PASSWORD, "INBOX").stream().filter(s -> s.contains("mailbox-stalled")).count())
                .as("one alert mail and one all-clear mail").isEqualTo(2);
        System.out.printf("SelfWatchIT: fault -> first alert %d ms, repair -> all-clear %d ms; every webhook event: %s%n",
                alertMs, clearMs, sink.events());
    }
}
