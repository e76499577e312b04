package dev.ticketd.cluster;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Set;

/**
 * Decides which mailboxes this node works on: those Helix made it LEADER of, but only while its
 * ZooKeeper connection is healthy. A node cut off from ZooKeeper is not demoted by Helix until it
 * reconnects (after a session expiry only {@code reset()} arrives), and meanwhile another node may
 * already lead, so the gate closes on its own when contact is lost for too long.
 *
 * <p>Thread-safe: Helix transition threads and the ZooKeeper watchdog call in concurrently.
 */
final class LeaderGate {

    private static final Logger log = LoggerFactory.getLogger(LeaderGate.class);

    private final LeadershipListener listener;
    private final Set<String> ledByHelix = new HashSet<>();
    private final Set<String> working = new HashSet<>();
    private boolean zkHealthy = true;
    private boolean closed;

    LeaderGate(LeadershipListener listener) {
        this.listener = listener;
    }

    synchronized void becameLeader(String mailboxId) {
        ledByHelix.add(mailboxId);
        apply();
    }

    synchronized void leftLeadership(String mailboxId) {
        ledByHelix.remove(mailboxId);
        apply();
    }

    synchronized void zooKeeperHealthy(boolean healthy) {
        if (healthy != zkHealthy) {
            log.warn("zookeeper contact {} ledMailboxes={}", healthy ? "regained: resuming leader work" : "lost too long: pausing leader work", ledByHelix);
        }
        zkHealthy = healthy;
        apply();
    }

    synchronized Set<String> working() {
        return Set.copyOf(working);
    }

    /** Stops all work for good (planned shutdown). */
    synchronized void close() {
        closed = true;
        apply();
    }

    private void apply() {
        Set<String> wanted = closed || !zkHealthy ? Set.of() : Set.copyOf(ledByHelix);
        for (String id : Set.copyOf(working)) {
            if (!wanted.contains(id)) {
                working.remove(id);
                safely(() -> listener.leadershipLost(id), id);
            }
        }
        for (String id : wanted) {
            if (working.add(id)) {
                safely(() -> listener.leadershipGained(id), id);
            }
        }
    }

    private static void safely(Runnable call, String mailboxId) {
        try {
            call.run();
        } catch (RuntimeException e) {
            // a listener failure must not leave the gate half-applied; the fence keeps data safe
            log.error("leadership listener failed mailbox={}: {}", mailboxId, e.toString(), e);
        }
    }
}
