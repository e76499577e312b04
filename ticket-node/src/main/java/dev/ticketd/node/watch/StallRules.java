package dev.ticketd.node.watch;

import dev.ticketd.node.watch.Finding.Severity;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rules that turn a {@link Sample} into {@link Finding}s. They remember a little between samples
 * (which mail was first in each INBOX and since when; since when a condition holds), so they are
 * fed the samples of one watching node in order; a node that starts watching starts afresh.
 *
 * <ul>
 *   <li>{@code mailbox-stalled} (stall): the mailbox's reader neither completed a pass nor, during a
 *       long pass over a backlog, took a mail in for {@code watch.stall-after}, unless the INBOX is seen draining (its first mail changes), or the
 *       first mail of the INBOX stayed the same for that long — whatever the reason: no leader, a
 *       changed password, an IDLE that never wakes, a database that refuses writes; or its last two
 *       canary mails in a row did not come back through intake within {@code watch.canary-deadline}
 *       (or its SMTP route refused them) — mail sent to it does not arrive, though its reader may
 *       look well. One rule for both, so one trouble is one alert, whichever sees it first;</li>
 *   <li>{@code database-unreachable} (stall): no primary answered the watching node for that long;</li>
 *   <li>{@code outbox-stuck} (warning): an outbound mail waited longer than {@code watch.outbox-stuck-after};</li>
 *   <li>{@code no-sync-standby} (warning): a replicated database without a synchronous standby for
 *       {@code watch.stall-after};</li>
 *   <li>{@code zookeeper-unreachable} (warning): the cluster could not be read for that long;</li>
 *   <li>{@code zookeeper-degraded} (warning): a server of the ZooKeeper ensemble did not serve for that
 *       long while the others kept the quorum (one more loss may stop every leader election);</li>
 *   <li>{@code leadership-flapping} (warning): a mailbox's lease changed hands {@value #FLAPS} times or
 *       more within {@link #FLAP_WINDOW} (a node that keeps losing and winning it);</li>
 *   <li>{@code quarantine-growing} (warning): {@value #QUARANTINED_PER_HOUR} or more of a mailbox's mails
 *       went to the quarantine within the last hour (a sender, a parser or the database refusing mail);</li>
 *   <li>{@code replication-lag} (warning): a synchronous standby lagged {@link #REPLICATION_LAG} or more
 *       behind the primary for {@code watch.stall-after} (a failover now would wait that long);</li>
 *   <li>{@code node-down} (info): a node of the cluster is not live or not ready;</li>
 *   <li>{@code watch-blind} (info): the watching node cannot reach the database while another node
 *       can; nothing else is judged then (what it knows is old), so one node's lost link raises no
 *       stall.</li>
 * </ul>
 * Not thread-safe: the watch's one thread.
 */
final class StallRules {

    static final String MAILBOX_STALLED = "mailbox-stalled";
    /** Late canaries in a row that mean mail to the mailbox does not arrive. */
    static final int LATE_CANARIES = 2;
    static final String DATABASE_UNREACHABLE = "database-unreachable";
    static final String OUTBOX_STUCK = "outbox-stuck";
    static final String NO_SYNC_STANDBY = "no-sync-standby";
    static final String ZOOKEEPER_UNREACHABLE = "zookeeper-unreachable";
    static final String ZOOKEEPER_DEGRADED = "zookeeper-degraded";
    static final String LEADERSHIP_FLAPPING = "leadership-flapping";
    static final int FLAPS = 6;
    static final Duration FLAP_WINDOW = Duration.ofMinutes(10);
    static final String QUARANTINE_GROWING = "quarantine-growing";
    static final int QUARANTINED_PER_HOUR = 10;
    static final String REPLICATION_LAG = "replication-lag";
    static final Duration REPLICATION_LAG_LIMIT = Duration.ofSeconds(30);
    static final String NODE_DOWN = "node-down";
    static final String WATCH_BLIND = "watch-blind";

    private final WatchSettings settings;
    private final String watchingNode;
    /** Per mailbox: the UID first in its INBOX when last looked (0: empty) and since when it is first. */
    private final Map<String, HeadSeen> heads = new HashMap<>();
    /** Since when a condition without a time of its own holds (database down, never read, …). */
    private final Map<String, Instant> since = new HashMap<>();
    /** Per mailbox: the epochs seen within the flap window, oldest first. */
    private final Map<String, java.util.ArrayDeque<EpochSeen>> epochs = new HashMap<>();

    private record EpochSeen(long epoch, Instant at) {
    }

    private record HeadSeen(long uid, Instant since) {
    }

    StallRules(WatchSettings settings, String watchingNode) {
        this.settings = settings;
        this.watchingNode = watchingNode;
    }

    List<Finding> evaluate(Sample s) {
        List<Finding> found = new ArrayList<>();
        Set<String> holding = new HashSet<>();
        Sample.DatabaseSignal db = s.database();
        if (!db.reachable() && anotherNodeReady(s)) {
            // Only this node lost the database: what it knows of the mailboxes is old, and the cluster is
            // not without a database. Say so, and judge nothing it cannot see.
            found.add(new Finding(WATCH_BLIND, watchingNode, Severity.INFO, "node " + watchingNode + " watches the cluster but cannot"
                    + " reach the database, which other nodes reach (" + db.error() + "); intake is not judged meanwhile"));
            heads.clear();
            since.clear();
            return found;
        }
        for (Sample.MailboxSignal m : s.mailboxes()) {
            Finding f = mailbox(s, m, holding);
            if (f == null) {
                f = canariesLate(s, m);
            }
            if (f != null) {
                found.add(f);
            }
        }
        for (Sample.MailboxSignal m : s.mailboxes()) {
            Finding flapping = flapping(s.at(), m);
            if (flapping != null) {
                found.add(flapping);
            }
            if (!m.paused() && m.quarantinedLastHour() >= QUARANTINED_PER_HOUR) {
                found.add(new Finding(QUARANTINE_GROWING, m.address(), Severity.WARNING, m.address() + ": "
                        + (m.quarantinedLastHour() >= 1000 ? "1,000 or more" : Integer.toString(m.quarantinedLastHour()))
                        + " mails went to the quarantine in the last hour; the quarantine page says why"));
            }
        }
        for (Sample.OutboxSignal o : s.outbox()) {
            if (o.oldestWaiting() != null && o.oldestWaiting().compareTo(settings.outboxStuckAfter()) > 0) {
                found.add(new Finding(OUTBOX_STUCK, o.address(), Severity.WARNING, o.address() + ": an outbound mail (reply or "
                        + "acknowledgement) has waited " + human(o.oldestWaiting()) + " to be sent; see the cluster page"));
            }
        }
        if (!db.reachable() && held("database", s.at(), holding)) {
            found.add(new Finding(DATABASE_UNREACHABLE, "database", Severity.STALL, "no database primary has answered "
                    + watchingNode + " for " + human(Duration.between(since.get("database"), s.at())) + ": nothing can be stored ("
                    + db.error() + ")"));
        }
        if (db.reachable() && db.replicated() && db.syncStandbys() == 0 && held("no-sync", s.at(), holding)) {
            found.add(new Finding(NO_SYNC_STANDBY, "database", Severity.WARNING, "the database has had no synchronous standby for "
                    + human(Duration.between(since.get("no-sync"), s.at())) + ": losing the primary's host now could lose "
                    + "committed tickets, or writes wait until a standby is back"));
        }
        if (db.reachable() && db.replayLag() != null && db.replayLag().compareTo(REPLICATION_LAG_LIMIT) >= 0
                && held("replication-lag", s.at(), holding)) {
            found.add(new Finding(REPLICATION_LAG, "database", Severity.WARNING, "a synchronous standby is " + human(db.replayLag())
                    + " behind the primary in replaying what it wrote, for " + human(Duration.between(since.get("replication-lag"), s.at()))
                    + ": a failover now would wait for it, and pages read from it are that old"));
        }
        if (s.cluster() == null) {
            if (held("zookeeper", s.at(), holding)) {
                found.add(new Finding(ZOOKEEPER_UNREACHABLE, watchingNode, Severity.WARNING, watchingNode
                        + " has not been able to read the cluster from ZooKeeper for "
                        + human(Duration.between(since.get("zookeeper"), s.at()))));
            }
        } else {
            Finding degraded = zookeeperDegraded(s, holding);
            if (degraded != null) {
                found.add(degraded);
            }
            for (Sample.NodeSignal n : s.cluster().nodes()) {
                if (n.problem() != null) {
                    found.add(new Finding(NODE_DOWN, n.id(), Severity.INFO, "node " + n.id() + " is down: " + n.problem()));
                }
            }
        }
        since.keySet().retainAll(holding);
        heads.keySet().retainAll(s.mailboxes().stream().map(Sample.MailboxSignal::id).toList());
        epochs.keySet().retainAll(s.mailboxes().stream().map(Sample.MailboxSignal::id).toList());
        return found;
    }

    /**
     * Some servers of the ZooKeeper ensemble have not served for {@code stall-after}, while the rest
     * still hold the quorum (else the cluster could not be read at all); null when every one serves.
     */
    private Finding zookeeperDegraded(Sample s, Set<String> holding) {
        List<Sample.ZooKeeperServer> servers = s.cluster().zookeeper();
        List<Sample.ZooKeeperServer> down = servers.stream().filter(z -> z.problem() != null).toList();
        if (down.isEmpty() || !held("zookeeper-degraded", s.at(), holding)) {
            return null;
        }
        int serving = servers.size() - down.size();
        int spare = serving - (servers.size() / 2 + 1);
        return new Finding(ZOOKEEPER_DEGRADED, "zookeeper", Severity.WARNING, "ZooKeeper serves on " + serving + " of "
                + servers.size() + " servers, for " + human(Duration.between(since.get("zookeeper-degraded"), s.at())) + " ("
                + String.join("; ", down.stream().map(z -> z.address() + ": " + z.problem()).toList()) + "): "
                + (spare <= 0 ? "losing one more server stops every leader election, so a mailbox whose leader fails then "
                + "stays unread" : spare + " more may be lost before leader elections stop"));
    }

    /** Whether a node other than the watching one answers ready (its database answers it). */
    private boolean anotherNodeReady(Sample s) {
        return s.cluster() != null && s.cluster().nodes().stream().anyMatch(n -> !n.id().equals(watchingNode) && n.problem() == null);
    }

    private Finding mailbox(Sample s, Sample.MailboxSignal m, Set<String> holding) {
        if (m.paused()) {
            heads.remove(m.id());
            return null;
        }
        Duration stall = settings.stallAfter();
        Duration headStuck = headStuckFor(s.at(), m); // null: unknown
        HeadSeen head = heads.get(m.id());
        boolean draining = head != null && head.uid() != 0 && headStuck != null && headStuck.compareTo(stall) < 0;
        Duration sinceLastPass = m.sinceLastPass();
        if (sinceLastPass == null && held("unread:" + m.id(), s.at(), holding)) {
            sinceLastPass = Duration.between(since.get("unread:" + m.id()), s.at());
        }
        String reason = reason(s, m);
        if (head != null && head.uid() != 0 && headStuck != null && headStuck.compareTo(stall) >= 0) {
            return new Finding(MAILBOX_STALLED, m.address(), Severity.STALL, m.address() + ": intake stalled, the first of "
                    + waitingText(m) + " has waited " + human(headStuck) + " in its INBOX; " + reason);
        }
        if (sinceLastPass != null && sinceLastPass.compareTo(stall) >= 0 && !draining) {
            return new Finding(MAILBOX_STALLED, m.address(), Severity.STALL, m.address() + ": intake stalled, its mailbox has not "
                    + "been read for " + human(sinceLastPass) + "; " + reason);
        }
        return null;
    }

    /** Whether the mailbox's epoch rose by {@link #FLAPS} or more within the window, as this watch saw it. */
    private Finding flapping(Instant at, Sample.MailboxSignal m) {
        if (m.epoch() <= 0) {
            return null;
        }
        java.util.ArrayDeque<EpochSeen> seen = epochs.computeIfAbsent(m.id(), id -> new java.util.ArrayDeque<>());
        if (seen.isEmpty() || seen.peekLast().epoch() != m.epoch()) {
            seen.addLast(new EpochSeen(m.epoch(), at));
        }
        while (seen.size() > 1 && Duration.between(seen.peekFirst().at(), at).compareTo(FLAP_WINDOW) > 0) {
            seen.removeFirst();
        }
        long changes = m.epoch() - seen.peekFirst().epoch();
        if (changes < FLAPS) {
            return null;
        }
        return new Finding(LEADERSHIP_FLAPPING, m.address(), Severity.WARNING, m.address() + ": its reader changed hands " + changes
                + " times within " + human(Duration.between(seen.peekFirst().at(), at)) + " (epoch " + m.epoch()
                + "); a node may keep losing its link to ZooKeeper, the database or the mail server — see the cluster page");
    }

    /** The mailbox's canaries late {@value #LATE_CANARIES} times in a row, as a stall; null when not (or paused). */
    private Finding canariesLate(Sample s, Sample.MailboxSignal m) {
        if (m.paused()) {
            return null;
        }
        return s.canaries().stream().filter(c -> c.mailboxId().equals(m.id()) && c.lateInARow() >= LATE_CANARIES).findFirst()
                .map(c -> new Finding(MAILBOX_STALLED, m.address(), Severity.STALL, m.address() + ": intake stalled, the last "
                        + c.lateInARow() + " test mails sent to it " + (c.lastError() != null ? "were refused by its SMTP route ("
                        + c.lastError() + ")" : "did not reach the help desk within " + human(settings.canaryDeadline()))
                        + "; mail sent to this address is not arriving"))
                .orElse(null);
    }

    private String waitingText(Sample.MailboxSignal m) {
        return m.look() == null || !m.look().ok() ? "the waiting mails" : m.look().count() + " waiting mail(s)";
    }

    /** How long the same mail has been first in the INBOX, from this and earlier looks; null when no look saw it. */
    private Duration headStuckFor(Instant at, Sample.MailboxSignal m) {
        Sample.Look look = m.look();
        if (look != null && look.ok()) {
            HeadSeen seen = heads.get(m.id());
            long uid = look.count() == 0 ? 0 : look.headUid();
            if (seen == null || seen.uid() != uid) {
                seen = new HeadSeen(uid, at);
                heads.put(m.id(), seen);
            }
        } else if (look != null) {
            return null; // the look failed: what is first in the INBOX is unknown now
        }
        HeadSeen seen = heads.get(m.id());
        return seen == null ? null : Duration.between(seen.since(), at);
    }

    private String reason(Sample s, Sample.MailboxSignal m) {
        if (s.cluster() != null && m.leader() == null) {
            return "no node leads it";
        }
        if (m.look() != null && !m.look().ok()) {
            return "the watch cannot read it either: " + m.look().error();
        }
        String by = m.leader() == null ? "" : "led by " + m.leader();
        if (m.lastError() != null) {
            return by + (by.isEmpty() ? "" : ", ") + "last error: " + m.lastError();
        }
        return by.isEmpty() ? "see the cluster page" : by + ", which reports no error";
    }

    /** Whether {@code condition} holds for {@code stall-after} by now (it holds this sample: remembered). */
    private boolean held(String condition, Instant at, Set<String> holding) {
        holding.add(condition);
        Instant from = since.computeIfAbsent(condition, c -> at);
        return Duration.between(from, at).compareTo(settings.stallAfter()) >= 0;
    }

    /** 95 s, 4 min, 2 h. */
    static String human(Duration d) {
        long s = d.toSeconds();
        if (s < 120) {
            return s + " s";
        }
        if (s < 2 * 3600) {
            return (s / 60) + " min";
        }
        return (s / 3600) + " h";
    }
}
