package dev.ticketd.node.intake;

import dev.ticketd.cluster.ReachReport;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether a leader whose work on a mailbox is stuck should hand it over at once rather than after
 * {@code mail.give-up-after}: when this node has failed to reach the mailbox's IMAP server or the
 * database in at least two checks in a row ({@link #OWN_FAILURE_FOR}: not one slow answer), while
 * another node that could lead the mailbox reached both at its last check, within {@link #FRESH}.
 * When no other node could do better — the mail server or the database is down for everyone, or
 * nobody else reports — this says nothing, and the slow rule decides as before.
 *
 * <p>Pure: the caller supplies the reports, the nodes that could lead and the time. Whether the
 * leader is stuck at all (no progress for {@code mail.handover-after}) is the caller's to decide;
 * a reader that makes progress is never handed over, whatever the probes say.
 */
final class HandoverRule {

    /** How old another node's report may be and still count; reports come about once a second. */
    static final Duration FRESH = Duration.ofSeconds(5);
    /**
     * How long before its latest check this node's own check must have started failing: at least
     * two failed checks in a row (they start a second apart, give or take the scheduler's jitter),
     * so that one slow answer on a loaded machine hands nothing over.
     */
    static final Duration OWN_FAILURE_FOR = Duration.ofMillis(900);

    private HandoverRule() {
    }

    /**
     * @param own       this node's latest report (null: none yet)
     * @param reports   the reports of the cluster's nodes, this node's own among them or not
     * @param couldLead the other nodes that could lead the mailbox (live, enabled, not having given it up)
     * @return why to hand the mailbox over now, naming what this node cannot reach and which nodes can;
     *         empty when the slow rule should decide
     */
    static Optional<String> reason(String mailboxId, ReachReport own, Collection<ReachReport> reports, Set<String> couldLead,
                                   Instant now) {
        List<String> cannot = cannotReach(mailboxId, own, now);
        if (cannot.isEmpty()) {
            return Optional.empty();
        }
        List<String> able = new ArrayList<>();
        for (ReachReport r : reports) {
            ReachReport.Reach theirImap = r.imap().get(mailboxId);
            if (!r.node().equals(own.node()) && couldLead.contains(r.node()) && fresh(r, now)
                    && r.database().reachable() && theirImap != null && theirImap.reachable()) {
                able.add(r.node() + " (checked " + Duration.between(r.checkedAt(), now).toMillis() + " ms ago)");
            }
        }
        if (able.isEmpty()) {
            return Optional.empty();
        }
        able.sort(null);
        return Optional.of("this node cannot reach " + String.join(" nor ", cannot) + ", while "
                + String.join(", ", able) + (able.size() == 1 ? " reaches" : " reach") + " both the mail server and the database");
    }

    /**
     * Whether this node's stall is one every node shares: it has failed to reach the mailbox's IMAP
     * server or the database in two checks in a row, and every other node that could lead the
     * mailbox reported, within {@link #FRESH}, that it does not reach both either — a database
     * failover, the mail server down. Giving the mailbox up then only moves the wait to another
     * node (and its lease has to be taken on the database that is away), so while this says
     * something the slow rule's clock does not run. Empty when any such node reaches both (then
     * {@link #reason} applies), has no fresh report (it may reach both), or there is none.
     *
     * @return what is out of reach for all, and whose reports say so
     */
    static Optional<String> sharedOutage(String mailboxId, ReachReport own, Collection<ReachReport> reports, Set<String> couldLead,
                                         Instant now) {
        List<String> cannot = cannotReach(mailboxId, own, now);
        if (cannot.isEmpty() || couldLead.isEmpty()) {
            return Optional.empty();
        }
        Set<String> unable = new TreeSet<>();
        for (ReachReport r : reports) {
            if (r.node().equals(own.node()) || !couldLead.contains(r.node()) || !fresh(r, now)) {
                continue;
            }
            ReachReport.Reach theirImap = r.imap().get(mailboxId);
            if (theirImap == null || (r.database().reachable() && theirImap.reachable())) {
                return Optional.empty(); // it reaches both, or has not checked this mailbox's server yet: it might
            }
            unable.add(r.node());
        }
        if (!unable.containsAll(couldLead)) {
            return Optional.empty();
        }
        return Optional.of("this node cannot reach " + String.join(" nor ", cannot) + ", and no other node that could lead the mailbox"
                + " reaches both the mail server and the database (" + String.join(", ", unable) + ")");
    }

    /**
     * What this node has failed to reach in two checks in a row, by its latest report: "the mail
     * server (why)" and/or "the database (why)"; empty when it reaches both, or when its report is
     * missing or old (its probes are not running: no grounds to act on).
     */
    static List<String> cannotReach(String mailboxId, ReachReport own, Instant now) {
        List<String> cannot = new ArrayList<>();
        if (own == null || !fresh(own, now)) {
            return cannot;
        }
        ReachReport.Reach imap = own.imap().get(mailboxId);
        if (imap != null && failingLongEnough(imap, own.checkedAt())) {
            cannot.add("the mail server" + problem(imap));
        }
        if (failingLongEnough(own.database(), own.checkedAt())) {
            cannot.add("the database" + problem(own.database()));
        }
        return cannot;
    }

    private static boolean fresh(ReachReport r, Instant now) {
        return Duration.between(r.checkedAt(), now).abs().compareTo(FRESH) <= 0;
    }

    private static boolean failingLongEnough(ReachReport.Reach reach, Instant latestCheck) {
        return !reach.reachable() && Duration.between(reach.since(), latestCheck).compareTo(OWN_FAILURE_FOR) >= 0;
    }

    private static String problem(ReachReport.Reach reach) {
        return reach.problem() == null ? "" : " (" + reach.problem() + ")";
    }
}
