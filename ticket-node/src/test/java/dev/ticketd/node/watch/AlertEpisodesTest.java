package dev.ticketd.node.watch;

import dev.ticketd.db.Database;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.ticketd.db.generated.Tables.ALERT_NOTICE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compare-and-set steps of the alert episodes against a real PostgreSQL, raced by several
 * threads standing for several nodes: one episode per trouble, one claim per notice, a failed notice
 * claimable again only after the retry time, a sent one never.
 */
class AlertEpisodesTest {

    private static final int NODES = 6;
    private static final Finding STALL = new Finding("mailbox-stalled", "support@example.test", Finding.Severity.STALL, "stalled");

    private Database db;
    private AlertEpisodes episodes;
    private ExecutorService pool;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        episodes = new AlertEpisodes(db, Duration.ofSeconds(3));
        pool = Executors.newFixedThreadPool(NODES);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        db.close();
    }

    /** Runs {@code task(node)} for every node at once and returns what each returned. */
    private <T> List<T> race(java.util.function.IntFunction<T> task) throws Exception {
        CyclicBarrier start = new CyclicBarrier(NODES);
        List<Future<T>> futures = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            int node = i;
            futures.add(pool.submit(() -> {
                start.await(10, TimeUnit.SECONDS);
                return task.apply(node);
            }));
        }
        List<T> out = new ArrayList<>();
        for (Future<T> f : futures) {
            out.add(f.get(30, TimeUnit.SECONDS));
        }
        return out;
    }

    @Test
    void nodesOpeningTheSameTroubleAtOnceOpenOneEpisode() throws Exception {
        List<Boolean> opened = race(node -> episodes.open(STALL, "node-" + node).isPresent());
        assertThat(opened).containsOnlyOnce(true);
        assertThat(episodes.open()).hasSize(1);
        // once it is closed, the same trouble later is a new episode
        long id = episodes.open().get(0).id();
        assertThat(race(node -> episodes.close(id, "node-" + node))).containsOnlyOnce(true);
        assertThat(episodes.open(STALL, "node-0")).isPresent().get().extracting(AlertEpisodes.Episode::id).isNotEqualTo(id);
    }

    @Test
    void nodesClaimingTheSameNoticeAtOnceSendItOnce() throws Exception {
        long id = episodes.open(STALL, "node-0").orElseThrow().id();
        List<Boolean> claimed = race(node -> episodes.claim(id, AlertEpisodes.OPEN, "webhook", "node-" + node, Duration.ofSeconds(60)));
        assertThat(claimed).containsOnlyOnce(true);
        assertThat(race(node -> episodes.claim(id, AlertEpisodes.OPEN, "smtp", "node-" + node, Duration.ofSeconds(60))))
                .as("another channel is another notice").containsOnlyOnce(true);
    }

    @Test
    void aFailedNoticeIsClaimedAgainAfterTheRetryTimeAndASentOneNever() throws Exception {
        long id = episodes.open(STALL, "node-0").orElseThrow().id();
        assertThat(episodes.claim(id, AlertEpisodes.OPEN, "webhook", "node-0", Duration.ofSeconds(60))).isTrue();
        episodes.failed(id, AlertEpisodes.OPEN, "webhook", "HTTP 503");
        assertThat(episodes.claim(id, AlertEpisodes.OPEN, "webhook", "node-1", Duration.ofSeconds(60))).as("too soon").isFalse();
        ageClaims();
        assertThat(race(node -> episodes.claim(id, AlertEpisodes.OPEN, "webhook", "node-" + node, Duration.ofSeconds(60))))
                .containsOnlyOnce(true);
        episodes.sent(id, AlertEpisodes.OPEN, "webhook");
        ageClaims();
        assertThat(episodes.claim(id, AlertEpisodes.OPEN, "webhook", "node-2", Duration.ofSeconds(60))).isFalse();
        assertThat(episodes.notices(List.of(id)).get(AlertEpisodes.noticeKey(id, AlertEpisodes.OPEN, "webhook")))
                .satisfies(n -> {
                    assertThat(n.sentAt()).isNotNull();
                    assertThat(n.attempts()).isEqualTo(2);
                    assertThat(n.lastError()).isNull();
                });
    }

    @Test
    void aNoticeSentWithoutTheDatabaseIsRecordedAndNotClaimedAgain() {
        long id = episodes.open(STALL, "node-0").orElseThrow().id();
        episodes.sentEarlier(id, AlertEpisodes.OPEN, "smtp", "node-0");
        ageClaims();
        assertThat(episodes.claim(id, AlertEpisodes.OPEN, "smtp", "node-1", Duration.ofSeconds(60))).isFalse();
    }

    @Test
    void aReminderIsCountedOnceWhenDue() throws Exception {
        AlertEpisodes.Episode e = episodes.open(STALL, "node-0").orElseThrow();
        assertThat(episodes.remind(e, Duration.ofMinutes(30))).as("just opened").isEmpty();
        assertThat(race(node -> episodes.remind(e, Duration.ZERO).isPresent())).containsOnlyOnce(true);
        assertThat(episodes.open().get(0).reminders()).isEqualTo(1);
    }

    private void ageClaims() {
        db.dsl().update(ALERT_NOTICE).set(ALERT_NOTICE.CLAIMED_AT, org.jooq.impl.DSL.field("now() - interval '2 minutes'",
                OffsetDateTime.class)).execute();
    }
}
