package dev.ticketd.node.clusterpage;

import dev.ticketd.cluster.ReachReport;
import dev.ticketd.db.DatabaseStatus;
import dev.ticketd.node.intake.MailCounters;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * What the cluster page and {@code GET /api/v1/cluster} show: the cluster as ZooKeeper sees it,
 * joined with each mailbox's lease and last pass from PostgreSQL.
 *
 * @param servedBy    the node that answered
 * @param zooKeeper   "connected", or why the cluster part could not be read (the database part is still shown)
 * @param controller  the node running the Helix controller, or null
 * @param database    the database's primary, standbys and replication lag as this node sees them
 * @param countedHere what the readers and outbox senders of the node that answered counted since it started, per
 *                    mailbox it led (kept in that node's memory, like its {@code /metrics}: another node shows its own)
 * @param duties      the cluster-wide duties (the ticket timers) with their leases: who runs each, under which epoch
 */
public record ClusterStatus(String servedBy, String zooKeeper, String controller, List<Node> nodes, List<Mailbox> mailboxes,
                            DatabaseStatus database, List<MailCounters> countedHere, List<Duty> duties) {

    /** A duty's lease as the database holds it: the node that took it last runs the duty (epoch 0: never taken). */
    public record Duty(String name, long epoch, String holder, Instant since) {
    }

    /**
     * @param gaveUp mailboxes this node gave up and is cooling down from
     * @param reach  what the node reached at its last check, as a line of text (the database, each mailbox's IMAP
     *               server, and since when and why one is out of reach), or null: no report (the node is down, or older)
     */
    public record Node(String id, String httpUrl, boolean live, boolean enabled, Instant upSince, List<String> gaveUp, String reach) {

        /** The reach report as the page and the API show it. */
        static String reachText(ReachReport r) {
            if (r == null) {
                return null;
            }
            StringBuilder s = new StringBuilder("checked ").append(r.checkedAt().truncatedTo(ChronoUnit.SECONDS)).append(": ");
            s.append(target("database", r.database()));
            r.imap().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> s.append("; ").append(target("mailbox " + e.getKey(), e.getValue())));
            return s.toString();
        }

        private static String target(String name, ReachReport.Reach reach) {
            return reach.reachable() ? name + " reachable"
                    : name + " OUT OF REACH since " + reach.since().truncatedTo(ChronoUnit.SECONDS)
                    + (reach.problem() == null ? "" : " (" + reach.problem() + ")");
        }
    }

    /**
     * @param leader     the node Helix made leader, or null
     * @param epoch      the current lease epoch (0 when never taken)
     * @param leaseHolder the node holding that lease
     * @param lastPoll   the end of the last successful pass over the INBOX, or null
     * @param backlog    mails left in the INBOX after that pass, or null
     * @param paused     paused by an operator
     * @param failingMails mails in the INBOX whose last pass failed (each goes to the quarantine after the
     *                     configured number of failed passes)
     * @param canarySentAt     when the self-watch last sent it a canary mail, or null: never (or not lately)
     * @param canaryReceivedAt when intake took that canary in, or null: not (yet)
     * @param canaryError      why that canary could not be sent, or null
     */
    public record Mailbox(String name, String address, String leader, List<String> standbys, long epoch, String leaseHolder,
                          Instant lastPoll, Integer backlog, String lastError, boolean paused, int failingMails,
                          Instant canarySentAt, Instant canaryReceivedAt, String canaryError) {

        /** The latest canary in words: "back in 1.2 s (sent 10:42:05Z)", "sent 40 s ago, not back yet", "not sent: …". */
        public String canary() {
            if (canarySentAt == null) {
                return "none sent";
            }
            if (canaryError != null) {
                return "could not be sent at " + canarySentAt + ": " + canaryError;
            }
            if (canaryReceivedAt == null) {
                return "sent " + canarySentAt + ", not back yet";
            }
            long ms = java.time.Duration.between(canarySentAt, canaryReceivedAt).toMillis();
            return "back in " + (ms / 1000) + "." + (ms % 1000 / 100) + " s (sent " + canarySentAt + ")";
        }
    }
}
