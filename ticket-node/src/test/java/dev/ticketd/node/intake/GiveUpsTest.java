package dev.ticketd.node.intake;

import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A node that gave a mailbox up takes part in it again after the cool-down even when ZooKeeper
 * refuses the first tries: otherwise one failed call would keep the node out of that mailbox until
 * it restarts. The membership here is a stand-in whose re-enabling fails a given number of times.
 */
class GiveUpsTest {

    private static final Duration CHECK_PERIOD = Duration.ofMillis(20);

    private final FailingMembership membership = new FailingMembership();
    private GiveUps giveUps;

    @AfterEach
    void tearDown() {
        if (giveUps != null) {
            giveUps.close();
        }
    }

    @Test
    void aRetakeThatFailsIsTriedAgainWithGrowingPausesUntilItSucceeds() {
        membership.failNextEnables(3);
        giveUps = new GiveUps(membership, Duration.ofMillis(50), CHECK_PERIOD);

        giveUps.giveUp("support", "the mail server is out of reach");

        await().atMost(TestTimeouts.seconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> membership.enabled.contains("support"));
        assertThat(membership.disabled).containsExactly("support");
        List<Long> tries = membership.enableAttemptsNanos;
        assertThat(tries).hasSize(4);
        for (int i = 1; i < tries.size(); i++) {
            Duration pause = Duration.ofNanos(tries.get(i) - tries.get(i - 1));
            assertThat(pause).as("pause before try %d", i + 1)
                    .isGreaterThanOrEqualTo(CHECK_PERIOD.multipliedBy(1L << (i - 1)));
        }
    }

    @Test
    void retriesStopWhenTheNodeShutsDown() {
        membership.failNextEnables(Integer.MAX_VALUE);
        giveUps = new GiveUps(membership, Duration.ofMillis(50), CHECK_PERIOD);
        giveUps.giveUp("support", "the mail server is out of reach");
        await().atMost(TestTimeouts.seconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> membership.enableAttemptsNanos.size() >= 2);

        giveUps.close();
        int triesAtClose = membership.enableAttemptsNanos.size();

        // a negative: watch for longer than several retry pauses that no further try starts
        await().during(CHECK_PERIOD.multipliedBy(20)).atMost(TestTimeouts.seconds(5))
                .until(() -> membership.enableAttemptsNanos.size() == triesAtClose);
        assertThat(membership.enabled).isEmpty();
    }

    /** Fails {@code enableMailbox} as ZooKeeper does while it is out of reach, then works. */
    private static final class FailingMembership implements GiveUps.Membership {
        final List<String> disabled = new CopyOnWriteArrayList<>();
        final Set<String> enabled = ConcurrentHashMap.newKeySet();
        final List<Long> enableAttemptsNanos = new CopyOnWriteArrayList<>();
        private final AtomicInteger failuresLeft = new AtomicInteger();

        void failNextEnables(int count) {
            failuresLeft.set(count);
        }

        @Override
        public void disableMailbox(String mailboxId, String reason) {
            disabled.add(mailboxId);
        }

        @Override
        public void enableMailbox(String mailboxId) {
            enableAttemptsNanos.add(System.nanoTime());
            if (failuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("ZooKeeper is not reachable");
            }
            enabled.add(mailboxId);
        }

        @Override
        public boolean anotherNodeCouldLead(String mailboxId) {
            return true;
        }

        @Override
        public boolean noOtherNodeCouldLead(String mailboxId) {
            return false;
        }
    }
}
