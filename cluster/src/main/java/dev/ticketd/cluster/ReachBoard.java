package dev.ticketd.cluster;

import org.apache.helix.AccessOption;
import org.apache.helix.BaseDataAccessor;
import org.apache.helix.store.zk.ZkHelixPropertyStore;
import org.apache.helix.zookeeper.datamodel.ZNRecord;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the nodes' {@link ReachReport}s live: one ephemeral znode per node in the Helix property
 * store of the cluster ({@code /<cluster>/PROPERTYSTORE/TICKETD_REACH/<node>}). ZooKeeper, not the
 * database, because the report matters most when a node cannot reach the database; ephemeral and
 * written with the node's Helix session, so the report of a node whose session ended disappears
 * with its live instance, and a new session writes it afresh at the next publish.
 */
final class ReachBoard {

    static final String PARENT = "/TICKETD_REACH";
    private static final String CHECKED_AT = "checkedAt";
    private static final String DATABASE = "database";
    private static final String IMAP_PREFIX = "imap:";
    private static final String REACHABLE = "reachable";
    private static final String SINCE = "since";
    private static final String PROBLEM = "problem";

    private ReachBoard() {
    }

    static void publish(ZkHelixPropertyStore<ZNRecord> store, ReachReport report) {
        if (!store.set(PARENT + "/" + report.node(), toRecord(report), AccessOption.EPHEMERAL)) {
            throw new IllegalStateException("could not write this node's reach report to ZooKeeper");
        }
    }

    /** Every report there now; one that cannot be read is left out. */
    static List<ReachReport> read(ZkHelixPropertyStore<ZNRecord> store) {
        return read(store, PARENT);
    }

    /** @param parent the reports' folder as {@code accessor} addresses it (absolute for Helix's base data accessor) */
    static List<ReachReport> read(BaseDataAccessor<ZNRecord> accessor, String parent) {
        List<ZNRecord> records = accessor.getChildren(parent, null, AccessOption.PERSISTENT, 1, 0);
        List<ReachReport> reports = new ArrayList<>();
        if (records != null) {
            for (ZNRecord r : records) {
                if (r != null) {
                    try {
                        reports.add(fromRecord(r));
                    } catch (RuntimeException e) {
                        // a report written by a newer or older node that this one cannot read: not a report
                    }
                }
            }
        }
        return reports;
    }

    static ZNRecord toRecord(ReachReport report) {
        ZNRecord r = new ZNRecord(report.node());
        r.setSimpleField(CHECKED_AT, report.checkedAt().toString());
        r.setMapField(DATABASE, fields(report.database()));
        report.imap().forEach((mailbox, reach) -> r.setMapField(IMAP_PREFIX + mailbox, fields(reach)));
        return r;
    }

    static ReachReport fromRecord(ZNRecord r) {
        Map<String, ReachReport.Reach> imap = new HashMap<>();
        r.getMapFields().forEach((key, fields) -> {
            if (key.startsWith(IMAP_PREFIX)) {
                imap.put(key.substring(IMAP_PREFIX.length()), reach(fields));
            }
        });
        return new ReachReport(r.getId(), Instant.parse(r.getSimpleField(CHECKED_AT)), reach(r.getMapField(DATABASE)), imap);
    }

    private static Map<String, String> fields(ReachReport.Reach reach) {
        Map<String, String> m = new HashMap<>();
        m.put(REACHABLE, Boolean.toString(reach.reachable()));
        m.put(SINCE, reach.since().toString());
        if (reach.problem() != null) {
            m.put(PROBLEM, reach.problem());
        }
        return m;
    }

    private static ReachReport.Reach reach(Map<String, String> m) {
        return new ReachReport.Reach(Boolean.parseBoolean(m.get(REACHABLE)), Instant.parse(m.get(SINCE)), m.get(PROBLEM));
    }
}
