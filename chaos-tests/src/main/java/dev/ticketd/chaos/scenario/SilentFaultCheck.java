package dev.ticketd.chaos.scenario;

import java.util.ArrayList;
import java.util.List;

/**
 * Judges the silent faults by what operations received ({@link RunReport.Alerting}): each one's
 * stall alert on every channel that could carry it within {@link #ALERT_WITHIN_MILLIS} of its start
 * ({@link #SILENT_CLUSTER_WITHIN_MILLIS} for a killed cluster, which only the outside watcher can
 * tell), its all-clear within {@link #CLEAR_WITHIN_MILLIS} of the repair, and one opening per episode
 * per channel. Exceptions, each for a reason:
 * <ul>
 *   <li>{@code pg-read-only}: the alerts' claims in the database fail, so each node sends directly —
 *   at least one opening, at most one per node;</li>
 *   <li>{@code ops-relay-cut}: only the webhook is judged; that no mail got out during the cut is the
 *   fault's own confirmation, and a mail notice sent late after the relay is back is only reported;</li>
 *   <li>{@code imap-idle-freeze}: the reader is meant to recover alone, so no alert is right; a stall
 *   that did come must still have been told once and cleared in time.</li>
 * </ul>
 */
final class SilentFaultCheck {

    static final long ALERT_WITHIN_MILLIS = 120_000;
    static final long SILENT_CLUSTER_WITHIN_MILLIS = 180_000;
    static final long CLEAR_WITHIN_MILLIS = 60_000;
    static final int NODES = ThreeHostCluster.NODE_HOSTS.size();

    private SilentFaultCheck() {
    }

    static RunReport.Check check(List<RunReport.Fault> faults) {
        List<String> problems = new ArrayList<>();
        List<String> judged = new ArrayList<>();
        for (RunReport.Fault f : faults) {
            if (f.alerting() == null) {
                continue;
            }
            judged.add(f.type());
            problems.addAll(problems(f));
        }
        return new RunReport.Check("every silent fault reached operations in time (alert <= 120 s, <= 180 s for all-nodes-kill;"
                + " all-clear <= 60 s after the repair), once per episode and channel", problems.isEmpty(),
                (judged.isEmpty() ? "no silent fault" : judged.size() + " silent faults judged " + judged)
                        + (problems.isEmpty() ? "" : "; " + String.join("; ", problems)));
    }

    static List<String> problems(RunReport.Fault f) {
        List<String> problems = new ArrayList<>();
        boolean freeze = f.type().equals(Nemesis.Type.IMAP_IDLE_FREEZE.id);
        long alertWithin = f.type().equals(Nemesis.Type.ALL_NODES_KILL.id) ? SILENT_CLUSTER_WITHIN_MILLIS : ALERT_WITHIN_MILLIS;
        int maxOpens = f.type().equals(Nemesis.Type.PG_READ_ONLY.id) ? NODES : 1;
        for (RunReport.ChannelAlerting c : f.alerting().channels()) {
            if (f.type().equals(Nemesis.Type.OPS_RELAY_CUT.id) && c.channel().equals(AlertCapture.SMTP)) {
                continue;
            }
            String where = f.type() + " " + c.channel();
            if (c.alertMillis() < 0) {
                if (!freeze) {
                    problems.add(where + ": no stall alert");
                }
                continue;
            }
            if (!freeze && c.alertMillis() > alertWithin) {
                problems.add(where + ": alert after " + AlertMeasure.seconds(c.alertMillis()));
            }
            if (c.allClearMillis() < 0) {
                problems.add(where + ": no all-clear");
            } else if (c.allClearMillis() > CLEAR_WITHIN_MILLIS) {
                problems.add(where + ": all-clear " + AlertMeasure.seconds(c.allClearMillis()) + " after the repair");
            }
            if (c.openNotices() > maxOpens) {
                problems.add(where + ": " + c.openNotices() + " openings of one episode (at most " + maxOpens + ")");
            }
        }
        return problems;
    }
}
