package dev.ticketd.node.cluster;

import dev.ticketd.node.cluster.ThreeNodeCluster.Lease;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A leader frozen (SIGSTOP) past the ZooKeeper session timeout is replaced; when it thaws it
 * commits nothing under its old epoch, does not take the lease back by itself, rejoins the
 * cluster, and can lead again later. Every mail is exactly one ticket throughout.
 */
class FrozenLeaderIT {

    private ThreeNodeCluster cluster;

    @BeforeEach
    void setUp() throws Exception {
        cluster = ThreeNodeCluster.start("FrozenLeaderIT", false);
    }

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aFrozenLeaderIsReplacedCommitsNothingWhenItThawsAndCanLeadAgain() throws Exception {
        Lease before = cluster.awaitLeader(null, Duration.ofSeconds(2));
        String frozen = before.holder();
        cluster.send("frozen", 0, 5);
        cluster.awaitTickets(5);

        long frozenAt = System.nanoTime();
        cluster.freeze(frozen);
        try {
            cluster.send("frozen", 5, 10); // mail that arrives while the leader is frozen
            Lease taken = cluster.awaitLeader(frozen, Duration.ZERO);
            // read after the new epoch's grant committed, while the old leader is still frozen
            Set<Long> committedBeforeTakeover = oldEpochRows(before.epoch());
            assertThat(taken.epoch()).as("the new leader's epoch").isGreaterThan(before.epoch());
            cluster.awaitTickets(10);
            System.out.printf("FrozenLeaderIT: SIGSTOP of %s -> %s holds the lease (epoch %d -> %d), mail ticketed after %d ms%n",
                    frozen, taken.holder(), before.epoch(), taken.epoch(), Duration.ofNanos(System.nanoTime() - frozenAt).toMillis());
            assertThat(cluster.isAlive(frozen)).isTrue();

            cluster.thaw(frozen);
            // the thawed node's reader may wake up inside a pass: it must be refused, not commit
            cluster.send("frozen", 10, 15);
            cluster.awaitTickets(15);
            assertNoLeaseRegressionFor(frozen, taken, TestTimeouts.seconds(6));

            assertThat(cluster.isAlive(frozen)).as("the thawed node keeps running").isTrue();
            await().atMost(TestTimeouts.seconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> cluster.liveInstances().contains(frozen));
            assertThat(oldEpochRows(before.epoch()))
                    .as("mails stored under the frozen leader's epoch %d are those committed before epoch %d was granted",
                            before.epoch(), taken.epoch())
                    .isEqualTo(committedBeforeTakeover);

            // it can lead again: planned shutdowns of the others leave it the only candidate
            for (String other : cluster.nodeIds()) {
                if (!other.equals(frozen)) {
                    cluster.terminate(other);
                    assertThat(cluster.process(other).waitFor(30, TimeUnit.SECONDS)).as("SIGTERM ends %s", other).isTrue();
                }
            }
            Lease now = cluster.awaitLeader(null, Duration.ZERO);
            assertThat(now.holder()).isEqualTo(frozen);
            assertThat(now.epoch()).isGreaterThan(taken.epoch());
            cluster.send("frozen", 15, 20);
            cluster.awaitTickets(20);
            assertThat(cluster.db().dsl().select(INBOUND_MESSAGE.EPOCH).from(INBOUND_MESSAGE)
                    .where(INBOUND_MESSAGE.SUBJECT.in("frozen-15", "frozen-16", "frozen-17", "frozen-18", "frozen-19"))
                    .fetch(INBOUND_MESSAGE.EPOCH))
                    .as("the epochs of the mails sent while the thawed node led again").containsOnly(now.epoch());
        } finally {
            if (cluster.isAlive(frozen)) {
                cluster.thaw(frozen); // harmless when already running
            }
        }
        cluster.assertEveryMailIsExactlyOneTicket("frozen", 20);
    }

    /**
     * For {@code period} after the thaw, samples the lease: its epoch never goes back, and the
     * thawed node holds it only under an epoch newer than {@code taken} (a fresh grant).
     */
    private void assertNoLeaseRegressionFor(String thawed, Lease taken, Duration period) throws InterruptedException {
        long end = System.nanoTime() + period.toNanos();
        long lastEpoch = taken.epoch();
        while (System.nanoTime() < end) {
            Lease l = cluster.lease();
            assertThat(l.epoch()).as("lease epoch never goes back").isGreaterThanOrEqualTo(lastEpoch);
            if (thawed.equals(l.holder())) {
                assertThat(l.epoch()).as("the thawed node holds the lease only under a new grant").isGreaterThan(taken.epoch());
            }
            lastEpoch = l.epoch();
            Thread.sleep(100); // sampling interval of an observation, not a wait for the cluster to settle
        }
    }

    /**
     * The mails stored under {@code oldEpoch} or older that a read now sees. Compared before and after
     * the thaw, this orders commits by what the database made visible, not by {@code received_at}
     * (the start of a transaction: a transaction the leader was frozen inside, thawed and committed
     * would carry a time from before the new grant). The first read comes after the grant committed,
     * so a row that only the second read sees was committed after the grant. A commit between the
     * grant and the first read would have to be one the frozen client sent before it froze, and such a
     * transaction holds the lease row's share lock, which the grant waits for: it commits before.
     */
    private Set<Long> oldEpochRows(long oldEpoch) {
        return Set.copyOf(cluster.db().dsl().select(INBOUND_MESSAGE.ID).from(INBOUND_MESSAGE)
                .where(INBOUND_MESSAGE.EPOCH.le(oldEpoch)).fetch(INBOUND_MESSAGE.ID));
    }
}
