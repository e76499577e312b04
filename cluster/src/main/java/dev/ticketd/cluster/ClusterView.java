package dev.ticketd.cluster;

import java.time.Instant;
import java.util.List;

/**
 * The cluster as ZooKeeper sees it right now: which nodes exist and are live, which node runs the
 * Helix controller, and which node leads each mailbox.
 *
 * @param controller the node running the Helix controller, or null while none does
 */
public record ClusterView(String clusterName, String controller, List<Node> nodes, List<Mailbox> mailboxes) {

    /**
     * @param httpUrl          the node's staff URL as the node announced it, or null
     * @param live             connected to ZooKeeper now
     * @param enabled          not drained
     * @param upSince          when its current session started, or null when not live
     * @param disabledMailboxes mailboxes this node gave up or was told not to lead
     * @param reach            what the node reached at its last check ({@link ClusterMember#publishReach}), or null: no report
     */
    public record Node(String id, String httpUrl, boolean live, boolean enabled, Instant upSince, List<String> disabledMailboxes,
                       ReachReport reach) {

        /** A node without a reach report. */
        public Node(String id, String httpUrl, boolean live, boolean enabled, Instant upSince, List<String> disabledMailboxes) {
            this(id, httpUrl, live, enabled, upSince, disabledMailboxes, null);
        }
    }

    /** @param leader the leading node, or null while no node leads */
    public record Mailbox(String id, String leader, List<String> standbys) {
    }
}
