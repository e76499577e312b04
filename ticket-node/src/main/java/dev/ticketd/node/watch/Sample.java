package dev.ticketd.node.watch;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Every signal the watch reads in one round, as seen from the watching node at {@code at}.
 *
 * @param cluster  null when ZooKeeper could not be read this round
 * @param canaries the canaries of every mailbox that has them (none when the database could not be read)
 */
public record Sample(Instant at, List<MailboxSignal> mailboxes, List<OutboxSignal> outbox, DatabaseSignal database,
                     ClusterSignal cluster, List<CanarySignal> canaries) {

    public Sample {
        mailboxes = List.copyOf(mailboxes);
        outbox = List.copyOf(outbox);
        canaries = List.copyOf(canaries);
    }

    /** This sample with the canaries' signals. */
    public Sample withCanaries(List<CanarySignal> signals) {
        return new Sample(at, mailboxes, outbox, database, cluster, signals);
    }

    /** A sample without canaries. */
    public Sample(Instant at, List<MailboxSignal> mailboxes, List<OutboxSignal> outbox, DatabaseSignal database, ClusterSignal cluster) {
        this(at, mailboxes, outbox, database, cluster, List.of());
    }

    /**
     * The latest canaries of one mailbox.
     *
     * @param lateInARow how many of its latest canaries in a row came back late or not at all (one
     *                   still within its deadline is not counted either way)
     * @param lastTook   how long the latest canary that came back took, or null: none did lately
     * @param lastError  why the latest late canary could not be sent, or null
     */
    public record CanarySignal(String mailboxId, String address, int lateInARow, Duration lastTook, String lastError) {
    }

    /**
     * One mailbox.
     *
     * @param paused        an operator paused it: no intake is expected
     * @param leader        the node that leads it, or null (meaningful only when the cluster was read)
     * @param sinceLastPass how long ago its reader last completed a pass (by the database's clock), or null: never
     * @param lastError     the error its reader last recorded, or null
     * @param look          what the watch's own read-only look into the INBOX saw this round, or null: not looked
     * @param epoch         its lease's epoch now (0: never led, or not read)
     * @param quarantinedLastHour its mails put in the quarantine during the last hour (counted up to 1,000)
     */
    public record MailboxSignal(String id, String address, boolean paused, String leader, Duration sinceLastPass,
                                String lastError, Look look, long epoch, int quarantinedLastHour) {

        /** A mailbox whose epoch and quarantine were not read. */
        public MailboxSignal(String id, String address, boolean paused, String leader, Duration sinceLastPass, String lastError, Look look) {
            this(id, address, paused, leader, sinceLastPass, lastError, look, 0, 0);
        }
    }

    /**
     * A read-only look into a mailbox's INBOX.
     *
     * @param count    mails waiting
     * @param headUid  the UID of the first (oldest) of them, 0 when none
     * @param headAge  how long ago the server received it, or null
     * @param error    why the look failed (the rest is then empty), or null
     */
    public record Look(int count, long headUid, Duration headAge, String error) {
        public static Look failed(String error) {
            return new Look(0, 0, null, error);
        }

        public boolean ok() {
            return error == null;
        }
    }

    /** @param oldestWaiting how long the oldest unsent mail of the mailbox's outbox has waited */
    public record OutboxSignal(String mailboxId, String address, Duration oldestWaiting) {
    }

    /**
     * @param error        why no primary answered, or null when one did
     * @param replicated   the database has standbys by configuration
     * @param syncStandbys standbys the primary reports as synchronous
     * @param replayLag    the longest a synchronous standby took to replay what the primary wrote, or null: unknown
     */
    public record DatabaseSignal(String error, boolean replicated, int syncStandbys, Duration replayLag) {

        /** A database whose standbys' lag was not read. */
        public DatabaseSignal(String error, boolean replicated, int syncStandbys) {
            this(error, replicated, syncStandbys, null);
        }

        public boolean reachable() {
            return error == null;
        }
    }

    /**
     * The cluster as ZooKeeper shows it, with each node's answer to {@code /health/ready}, and each
     * server of the ZooKeeper ensemble's answer to {@code srvr} (empty: not asked).
     */
    public record ClusterSignal(List<NodeSignal> nodes, List<ZooKeeperServer> zookeeper) {
        public ClusterSignal {
            nodes = List.copyOf(nodes);
            zookeeper = List.copyOf(zookeeper);
        }

        /** A cluster whose ZooKeeper servers were not asked. */
        public ClusterSignal(List<NodeSignal> nodes) {
            this(nodes, List.of());
        }
    }

    /** @param problem why the server does not serve, or null when it serves (or cannot say) */
    public record ZooKeeperServer(String address, String problem) {
    }

    /** @param problem why the node is not ready (not live in the cluster, no answer, not ready), or null */
    public record NodeSignal(String id, String problem) {
    }
}
