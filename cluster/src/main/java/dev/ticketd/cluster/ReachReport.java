package dev.ticketd.cluster;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What one node could reach at its last check: the database, and the IMAP server of each mailbox
 * it takes part in. Every node publishes its own report about once a second (see
 * {@link ClusterMember#publishReach}), so a leader that is cut off from its mail server or its
 * database can tell whether another node is not, and hand the mailbox over at once instead of
 * waiting for {@code mail.give-up-after}.
 *
 * @param node      the reporting node
 * @param checkedAt when the checks of this report started, by the reporting node's clock
 * @param database  whether the database answered a bounded {@code select 1}
 * @param imap      per mailbox id: whether its IMAP server greeted within the probe's deadline
 */
public record ReachReport(String node, Instant checkedAt, Reach database, Map<String, Reach> imap) {

    /**
     * One target's state.
     *
     * @param reachable whether the last check succeeded
     * @param since     since when the checks have had this result (the first check that had it)
     * @param problem   why the last check failed (no secrets: a host, a port, an exception's class), or null
     */
    public record Reach(boolean reachable, Instant since, String problem) {
        public Reach {
            Objects.requireNonNull(since, "since");
        }
    }

    public ReachReport {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(checkedAt, "checkedAt");
        Objects.requireNonNull(database, "database");
        imap = Map.copyOf(new TreeMap<>(imap));
    }
}
