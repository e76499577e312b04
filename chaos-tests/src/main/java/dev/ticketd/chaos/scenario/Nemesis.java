package dev.ticketd.chaos.scenario;

import dev.ticketd.chaos.Poll;
import dev.ticketd.chaos.Procs;
import dev.ticketd.chaos.db.PatroniCluster;
import dev.ticketd.chaos.net.Host;
import dev.ticketd.chaos.net.Hosts;
import jakarta.mail.Folder;
import jakarta.mail.Session;
import jakarta.mail.Store;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The faults. Each one is applied to a live, whole cluster, confirmed — the process is gone, the
 * packets are dropped, the leadership moved — and healed; a fault whose effect cannot be observed
 * throws, and the run fails loudly.
 */
final class Nemesis {

    /** Every fault type, by the name the report and {@code --faults} use. */
    enum Type {
        NODE_KILL_LEADER("node-kill-leader"),
        NODE_KILL_RANDOM("node-kill-random"),
        NODE_SIGTERM("node-sigterm"),
        ZOMBIE_LEADER("zombie-leader"),
        HOST_LOSS("host-loss"),
        /** As host-loss, of the database primary's host (which may or may not lead the mailbox): a failover under a silent host. */
        PRIMARY_HOST_LOSS("primary-host-loss"),
        HOST_PARTITION("host-partition"),
        LEADER_ZK_CUT("leader-zk-cut"),
        LEADER_MAIL_CUT("leader-mail-cut"),
        LEADER_DB_CUT("leader-db-cut"),
        PG_PRIMARY_KILL("pg-primary-kill"),
        PG_ZOMBIE_PRIMARY("pg-zombie-primary"),
        ZK_LEADER_KILL("zk-leader-kill"),
        LATE_NETWORK("late-network"),
        UIDVALIDITY_RESET("uidvalidity-reset"),
        /** A silent fault: nothing in ticketd fails loudly, only the self-watch can tell (not in CI's list: it lasts minutes). */
        MAILBOX_PASSWORD("mailbox-password"),
        /** Silent: the database primary refuses writes (default_transaction_read_only) while it answers everything else. */
        PG_READ_ONLY("pg-read-only"),
        /** The Dovecot processes of the leader's IMAP sessions frozen: an IDLE that never ends. The reader should recover alone. */
        IMAP_IDLE_FREEZE("imap-idle-freeze"),
        /** Silent: Postfix takes mail and never delivers it; only the canary can tell. */
        DELIVERY_STOP("delivery-stop"),
        /** Silent, with the operations relay unreachable from every host: the webhook must still tell. */
        OPS_RELAY_CUT("ops-relay-cut"),
        /** Silent from inside: every node killed; only the outside watcher can tell. */
        ALL_NODES_KILL("all-nodes-kill");

        /**
         * Faults that may stop intake until a person repairs them: the self-watch may alert during them,
         * and only then. Each is judged by the notices the harness's alert capture received.
         */
        static final java.util.Set<Type> SILENT = java.util.EnumSet.of(MAILBOX_PASSWORD, PG_READ_ONLY, IMAP_IDLE_FREEZE,
                DELIVERY_STOP, OPS_RELAY_CUT, ALL_NODES_KILL);

        final String id;

        Type(String id) {
            this.id = id;
        }

        static Type parse(String id) {
            return Arrays.stream(values()).filter(t -> t.id.equals(id)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown fault type '" + id + "'; known: "
                            + Arrays.stream(values()).map(t -> t.id).toList()));
        }
    }

    /**
     * What one fault did; {@code repairedAt}: when a silent fault was undone; {@code promotedAt}: when
     * a whole-host fault that took the database primary saw another member promoted (Patroni's
     * history). Null where they do not apply.
     */
    record Outcome(Type type, String target, Instant start, Instant end, boolean confirmed, String detail, Instant repairedAt,
                   Instant promotedAt) {

        Outcome(Type type, String target, Instant start, Instant end, boolean confirmed, String detail) {
            this(type, target, start, end, confirmed, detail, null, null);
        }

        Outcome(Type type, String target, Instant start, Instant end, boolean confirmed, String detail, Instant repairedAt) {
            this(type, target, start, end, confirmed, detail, repairedAt, null);
        }

        Outcome withPromotion(Instant at) {
            return new Outcome(type, target, start, end, confirmed, detail, repairedAt, at);
        }
    }


    private static final Logger log = LoggerFactory.getLogger(Nemesis.class);

    private final ThreeHostCluster cluster;
    private final Duration sessionTimeout;
    private final Duration lateNetwork;
    private final Random random;
    private final SilentFaults silent;

    Nemesis(ThreeHostCluster cluster, Duration sessionTimeout, Duration lateNetwork, long seed) {
        this.cluster = cluster;
        this.sessionTimeout = sessionTimeout;
        this.lateNetwork = lateNetwork;
        this.random = new Random(seed);
        this.silent = new SilentFaults(cluster, new Random(seed * 17 + 3));
    }

    Outcome inject(Type type) throws Exception {
        return switch (type) {
            case NODE_KILL_LEADER -> killNode(leaderHost(), type, false);
            case NODE_KILL_RANDOM -> killNode(ThreeHostCluster.NODE_HOSTS.get(random.nextInt(3)), type, false);
            case NODE_SIGTERM -> killNode(leaderHost(), type, true);
            case ZOMBIE_LEADER -> zombieLeader();
            case HOST_LOSS -> hostLoss(leaderHost(), Type.HOST_LOSS);
            case PRIMARY_HOST_LOSS -> hostLoss(primaryHost(), Type.PRIMARY_HOST_LOSS);
            case HOST_PARTITION -> partition();
            case LEADER_ZK_CUT -> cutLeaderFrom(type, cluster.zooKeeper().addresses(), ZooKeeperServers.CLIENT_PORT, true);
            case LEADER_MAIL_CUT -> cutLeaderFrom(type, List.of(cluster.hosts().host("mail").address()), ThreeHostCluster.IMAP_PORT, false);
            case LEADER_DB_CUT -> cutLeaderFrom(type, cluster.nodeHosts().stream().map(Host::address).toList(), ThreeHostCluster.PG_PORT, false);
            case PG_PRIMARY_KILL -> primaryKill(false);
            case PG_ZOMBIE_PRIMARY -> primaryKill(true);
            case ZK_LEADER_KILL -> zkLeaderKill();
            case LATE_NETWORK -> lateNetwork();
            case UIDVALIDITY_RESET -> uidValidityReset();
            case MAILBOX_PASSWORD -> silent.mailboxPassword();
            case PG_READ_ONLY -> silent.pgReadOnly();
            case IMAP_IDLE_FREEZE -> silent.imapIdleFreeze(leaderHost());
            case DELIVERY_STOP -> silent.deliveryStop();
            case OPS_RELAY_CUT -> silent.opsRelayCut();
            case ALL_NODES_KILL -> silent.allNodesKill();
        };
    }

    // ---- the faults ----------------------------------------------------------------------------

    private Outcome killNode(String h, Type type, boolean sigterm) throws Exception {
        ThreeHostCluster.Lease before = cluster.lease();
        Process p = cluster.node(h);
        Instant start = Instant.now();
        if (sigterm) {
            p.destroy();
        } else {
            p.destroyForcibly();
        }
        boolean gone = p.waitFor(sigterm ? 30 : 10, TimeUnit.SECONDS);
        if (!gone) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        boolean wasLeader = h.equals(before.holder());
        boolean moved = !wasLeader || awaitNewLease(before, Duration.ofSeconds(60));
        Instant end = Instant.now();
        cluster.startNode(h);
        cluster.awaitLiveNodes(3, Duration.ofSeconds(90));
        return new Outcome(type, h, start, end, gone && moved, "node " + h + (sigterm ? " SIGTERM" : " kill -9") + ", exited: " + gone
                + (wasLeader ? ", it led the mailbox (epoch " + before.epoch() + "); another node took over: " + moved : ", not the leader"));
    }

    /** SIGSTOP of the leader past the ZooKeeper session timeout, then SIGCONT: the old leader must not commit again. */
    private Outcome zombieLeader() throws Exception {
        ThreeHostCluster.Lease before = cluster.lease();
        String h = before.holder();
        long pid = cluster.node(h).pid();
        Instant start = Instant.now();
        Procs.run(List.of("kill", "-STOP", Long.toString(pid)));
        boolean stopped = stoppedWithin(pid, Duration.ofSeconds(5));
        boolean moved = awaitNewLease(before, sessionTimeout.multipliedBy(3).plusSeconds(30));
        Thread.sleep(2000);
        Procs.run(List.of("kill", "-CONT", Long.toString(pid)));
        Instant end = Instant.now();
        Thread.sleep(sessionTimeout.toMillis());
        boolean survived = cluster.nodeAlive(h);
        if (!survived) {
            cluster.startNode(h);
        }
        cluster.awaitLiveNodes(3, Duration.ofSeconds(90));
        return new Outcome(Type.ZOMBIE_LEADER, h, start, end, stopped && moved,
                "leader " + h + " (epoch " + before.epoch() + ") frozen with SIGSTOP (state T: " + stopped + "), another node took the lease: "
                        + moved + "; after SIGCONT the node " + (survived ? "rejoined" : "had exited and was restarted"));
    }

    /** Host {@code h} goes silent (all its packets dropped), then every process on it is killed; later it restarts. */
    private Outcome hostLoss(String h, Type type) throws Exception {
        Host host = cluster.hosts().host(h);
        int i = ThreeHostCluster.NODE_HOSTS.indexOf(h);
        ThreeHostCluster.Lease before = cluster.lease();
        int primaryBefore = primaryIndex();
        String primary = primaryNote(h);
        Instant start = Instant.now();
        cluster.hosts().dropAll(host);
        Thread.sleep(500);
        int killed = host.killAll(Duration.ofSeconds(15));
        boolean moved = !h.equals(before.holder()) || awaitNewLease(before, Duration.ofSeconds(90));
        Thread.sleep(10_000);
        Instant end = Instant.now();
        cluster.hosts().restoreAll(host);
        restartHost(i, h);
        boolean wasLeader = h.equals(before.holder());
        Instant promoted = promotionIfTaken(i, primaryBefore, start);
        // the primary's host: confirmed once another member was promoted
        boolean failedOver = type != Type.PRIMARY_HOST_LOSS || promoted != null;
        return new Outcome(type, h, start, end, killed > 0 && moved && failedOver && host.processes().size() > 0,
                "host " + h + " silenced (all packets dropped) and its " + killed + " processes killed; "
                        + (wasLeader ? "it led the mailbox, which moved: " + moved : "not the mailbox leader")
                        + "; host back with ZooKeeper, Patroni and the node restarted; " + primary)
                .withPromotion(promoted);
    }

    /** One host cut off from the other hosts and the mail server; the harness still reaches it. */
    private Outcome partition() throws Exception {
        String h = random.nextBoolean() ? leaderHost() : ThreeHostCluster.NODE_HOSTS.get(random.nextInt(3));
        Host host = cluster.hosts().host(h);
        List<Host> others = new ArrayList<>(cluster.hosts().hosts());
        others.remove(host);
        ThreeHostCluster.Lease before = cluster.lease();
        int primaryBefore = primaryIndex();
        String primary = primaryNote(h);
        Instant start = Instant.now();
        cluster.hosts().partition(host, others.toArray(Host[]::new));
        boolean wasLeader = h.equals(before.holder());
        boolean moved = !wasLeader || awaitNewLease(before, Duration.ofSeconds(90));
        Thread.sleep(10_000);
        Instant end = Instant.now();
        cluster.hosts().heal(host);
        awaitWhole(Duration.ofSeconds(180));
        return new Outcome(Type.HOST_PARTITION, h, start, end, moved,
                "host " + h + " partitioned from " + others.stream().map(Host::name).toList()
                        + (wasLeader ? "; it led the mailbox, another node took over: " + moved : "; not the mailbox leader") + "; " + primary)
                .withPromotion(promotionIfTaken(ThreeHostCluster.NODE_HOSTS.indexOf(h), primaryBefore, start));
    }

    /**
     * The leader's node process (root; Patroni runs as postgres, ZooKeeper's own peer ports are
     * untouched) cut off from one service; the rest of its host still reaches it.
     */
    private Outcome cutLeaderFrom(Type type, List<String> addresses, int port, boolean expectMove) throws Exception {
        String h = leaderHost();
        Host host = cluster.hosts().host(h);
        ThreeHostCluster.Lease before = cluster.lease();
        Instant start = Instant.now();
        List<Hosts.PortBlock> blocks = new ArrayList<>();
        try {
            for (String a : addresses) {
                blocks.add(cluster.hosts().blockPort(host, a, port, 0));
            }
            boolean moved = awaitNewLease(before, Duration.ofSeconds(expectMove ? 60 : 45));
            Thread.sleep(5_000);
            Instant end = Instant.now();
            for (Hosts.PortBlock b : blocks) {
                cluster.hosts().unblock(b);
            }
            blocks.clear();
            awaitWhole(Duration.ofSeconds(180));
            return new Outcome(type, h, start, end, moved, "leader " + h + "'s node cut off from port " + port + " of " + addresses
                    + "; the mailbox moved to another node: " + moved);
        } finally {
            for (Hosts.PortBlock b : blocks) {
                cluster.hosts().unblock(b);
            }
        }
    }

    private Outcome primaryKill(boolean patroniOnly) throws Exception {
        PatroniCluster patroni = cluster.patroni();
        int victim = patroni.primary().orElseThrow(() -> new IllegalStateException("no single database primary"));
        long postmaster = patroni.postmasterPid(victim).orElse(-1L);
        Instant start = patroniOnly ? patroni.killPatroniOnly(victim) : patroni.killMember(victim);
        int[] successor = {-1};
        boolean promoted;
        try {
            Poll.until("a new database primary", Duration.ofSeconds(90), () -> {
                successor[0] = patroni.primary().orElse(-1);
                return successor[0] >= 0 && successor[0] != victim;
            });
            promoted = true;
        } catch (IllegalStateException e) {
            promoted = false;
        }
        boolean zombieAlive = ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false);
        Thread.sleep(5_000);
        Instant end = Instant.now();
        patroni.startMember(victim);
        awaitWhole(Duration.ofSeconds(180));
        boolean rejoined = patroni.primary().orElse(-1) != victim;
        String name = patroni.members().get(victim).name();
        return new Outcome(patroniOnly ? Type.PG_ZOMBIE_PRIMARY : Type.PG_PRIMARY_KILL, name, start, end,
                promoted && rejoined && (!patroniOnly || zombieAlive),
                (patroniOnly ? name + "'s Patroni killed, its PostgreSQL left running: " + zombieAlive
                        : name + " (primary) killed with its Patroni") + "; another member promoted: " + promoted
                        + "; old primary back as a replica: " + rejoined);
    }

    private Outcome zkLeaderKill() throws Exception {
        ZooKeeperServers zk = cluster.zooKeeper();
        int leader = zk.leader();
        if (leader < 0) {
            throw new IllegalStateException("no ZooKeeper server says it leads");
        }
        int primary = cluster.patroni().primary().orElse(-1);
        Instant start = Instant.now();
        zk.kill(leader);
        boolean elected;
        try {
            Poll.until("another ZooKeeper leader", Duration.ofSeconds(30), () -> {
                int l = zk.leader();
                return l >= 0 && l != leader;
            });
            elected = true;
        } catch (IllegalStateException e) {
            elected = false;
        }
        Thread.sleep(5_000);
        boolean sameDbPrimary = cluster.patroni().primary().orElse(-2) == primary;
        Instant end = Instant.now();
        zk.start(leader);
        awaitWhole(Duration.ofSeconds(180));
        return new Outcome(Type.ZK_LEADER_KILL, "zk" + (leader + 1), start, end, elected,
                "ZooKeeper leader zk" + (leader + 1) + " killed; another elected: " + elected + "; database primary unchanged: " + sameDbPrimary);
    }

    /**
     * A host whose processes start while its link is down, and whose network comes up later (as
     * when a hypervisor's network cards came back renamed). A service manager restarts a process
     * that gives up meanwhile (Patroni exits when it cannot reach ZooKeeper at start, a node when
     * it cannot reach the database); the run plays that part, every 5 s, and counts the restarts.
     */
    private Outcome lateNetwork() throws Exception {
        int i = random.nextInt(3);
        String h = ThreeHostCluster.NODE_HOSTS.get(i);
        Host host = cluster.hosts().host(h);
        int primaryBefore = primaryIndex();
        String primary = primaryNote(h);
        Instant start = Instant.now();
        host.killAll(Duration.ofSeconds(15));
        cluster.hosts().linkDown(host);
        restartProcesses(i, h);
        int[] restarts = {0};
        Instant linkUpAt = Instant.now().plus(lateNetwork);
        while (Instant.now().isBefore(linkUpAt)) {
            Thread.sleep(5_000);
            restarts[0] += supervise(i, h);
        }
        Instant end = Instant.now();
        cluster.hosts().linkUp(host);
        Poll.until("a whole cluster after the late network of " + h, Duration.ofSeconds(240), Duration.ofMillis(500), () -> {
            try {
                restarts[0] += supervise(i, h);
                return isWhole();
            } catch (IOException | RuntimeException e) {
                return false;
            }
        });
        return new Outcome(Type.LATE_NETWORK, h, start, end, true,
                "host " + h + " restarted with its link down, link up " + lateNetwork.toSeconds() + " s later; processes the"
                        + " service manager had to restart meanwhile: " + restarts[0] + "; then the cluster became whole; " + primary)
                .withPromotion(promotionIfTaken(i, primaryBefore, start));
    }

    /** Restarts whichever of host i's processes is not running; returns how many it started. */
    private int supervise(int i, String h) throws IOException {
        int started = 0;
        if (!cluster.zooKeeper().alive(i)) {
            cluster.zooKeeper().start(i);
            started++;
        }
        if (!cluster.patroni().patroniAlive(i)) {
            cluster.patroni().startMember(i);
            started++;
        }
        if (!cluster.nodeAlive(h)) {
            cluster.startNode(h);
            started++;
        }
        return started;
    }

    private Outcome uidValidityReset() throws Exception {
        long before = uidValidity();
        Instant start = Instant.now();
        cluster.mail().resetUidValidity(ThreeHostCluster.SUPPORT);
        long after = uidValidity();
        Thread.sleep(5_000);
        Instant end = Instant.now();
        return new Outcome(Type.UIDVALIDITY_RESET, "mail", start, end, after != before && after > 0,
                "support INBOX UIDVALIDITY " + before + " -> " + after);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private long uidValidity() throws Exception {
        Properties p = new Properties();
        p.put("mail.imap.connectiontimeout", "5000");
        p.put("mail.imap.timeout", "10000");
        Store store = Session.getInstance(p).getStore("imap");
        store.connect(cluster.hosts().host("mail").address(), ThreeHostCluster.IMAP_PORT, ThreeHostCluster.SUPPORT,
                ThreeHostCluster.SUPPORT_PASSWORD);
        try {
            IMAPFolder inbox = (IMAPFolder) store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            try {
                return inbox.getUIDValidity();
            } finally {
                inbox.close(false);
            }
        } finally {
            store.close();
        }
    }

    private void restartHost(int i, String h) throws Exception {
        restartProcesses(i, h);
        awaitWhole(Duration.ofSeconds(240));
    }

    private void restartProcesses(int i, String h) throws IOException {
        cluster.zooKeeper().start(i);
        cluster.patroni().startMember(i);
        cluster.startNode(h);
    }

    /**
     * Where the database primary was when a whole-host fault began, for its detail: a host fault
     * that takes the primary adds a database failover to the mailbox's move.
     */
    private String primaryNote(String faultedHost) {
        int p;
        try {
            p = cluster.patroni().primary().orElse(-1);
        } catch (RuntimeException e) {
            return "database primary unknown (" + e.getMessage() + ")";
        }
        if (p < 0) {
            return "no single database primary";
        }
        String on = ThreeHostCluster.NODE_HOSTS.get(p);
        return "database primary on " + on + (on.equals(faultedHost) ? " (this host: the database failed over too)" : " (not this host)");
    }

    /** The database primary's member index now; -1 when there is no single one or Patroni does not answer. */
    private int primaryIndex() {
        try {
            return cluster.patroni().primary().orElse(-1);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /**
     * When another member was promoted after {@code start}, if the fault took host {@code faulted}'s
     * member while it was the primary ({@code primaryBefore}); null otherwise, or when Patroni's history
     * does not say (asked once the cluster is whole again).
     */
    private Instant promotionIfTaken(int faulted, int primaryBefore, Instant start) {
        if (faulted < 0 || primaryBefore != faulted) {
            return null;
        }
        int now = primaryIndex();
        if (now < 0 || now == faulted) {
            return null;
        }
        try {
            return cluster.patroni().promotedAt(now).filter(at -> at.isAfter(start)).orElse(null);
        } catch (RuntimeException e) {
            log.warn("no promotion time from {}: {}", cluster.patroni().members().get(now).name(), e.toString());
            return null;
        }
    }

    /** The host of the database primary. */
    private String primaryHost() {
        int p = primaryIndex();
        if (p < 0) {
            throw new IllegalStateException("no single database primary");
        }
        return ThreeHostCluster.NODE_HOSTS.get(p);
    }

    /** The host whose node holds the mailbox lease. */
    private String leaderHost() {
        String h = cluster.lease().holder();
        if (h == null || !ThreeHostCluster.NODE_HOSTS.contains(h)) {
            throw new IllegalStateException("no node holds the mailbox lease");
        }
        return h;
    }

    private boolean awaitNewLease(ThreeHostCluster.Lease before, Duration timeout) throws InterruptedException {
        try {
            Poll.until("a newer mailbox lease than epoch " + before.epoch(), timeout, Duration.ofMillis(100), () -> {
                try {
                    ThreeHostCluster.Lease now = cluster.lease();
                    return now.epoch() > before.epoch() && now.holder() != null && !now.holder().equals(before.holder());
                } catch (RuntimeException e) {
                    return false;
                }
            });
            return true;
        } catch (IllegalStateException e) {
            log.warn("{}", e.getMessage());
            return false;
        }
    }

    /** Waits until everything is whole: three live nodes, the ZooKeeper ensemble, the database cluster, a lease holder. */
    void awaitWhole(Duration timeout) throws InterruptedException {
        Poll.until("a whole cluster (3 live nodes, ZooKeeper, database, mailbox leader)", timeout, Duration.ofMillis(500), this::isWhole);
    }

    boolean isWhole() {
        try {
            return cluster.liveNodes().size() == 3 && cluster.zooKeeper().whole() && cluster.patroni().isWhole(16 << 20)
                    && ThreeHostCluster.NODE_HOSTS.contains(cluster.lease().holder());
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Whether the process shows state T within {@code timeout}: a stop signal is delivered
     * asynchronously, and a JVM's many threads on a busy machine may take a moment to stop (reading
     * the state at once was seen to miss it).
     */
    static boolean stoppedWithin(long pid, Duration timeout) throws InterruptedException {
        try {
            Poll.until("process " + pid + " in state T", timeout, () -> {
                try {
                    return procState(pid).equals("T");
                } catch (IOException e) {
                    return false;
                }
            });
            return true;
        } catch (IllegalStateException timedOut) {
            return false;
        }
    }

    static String procState(long pid) throws IOException {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
        return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3).toUpperCase(Locale.ROOT);
    }
}
