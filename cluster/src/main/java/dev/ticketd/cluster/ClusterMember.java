package dev.ticketd.cluster;

import org.apache.helix.HelixAdmin;
import org.apache.helix.HelixManager;
import org.apache.helix.InstanceType;
import org.apache.helix.manager.zk.ZKHelixAdmin;
import org.apache.helix.manager.zk.ZKHelixManager;
import org.apache.helix.zookeeper.datamodel.ZNRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * This node's membership in the Helix cluster, as a {@code CONTROLLER_PARTICIPANT}: it takes part
 * in leader election for every mailbox and can itself run the Helix controller, so there is no
 * separate controller to lose. Helix types stay inside this module; the rest of the node only sees
 * {@link LeadershipListener} calls.
 *
 * <p>Leader work stops on LEADER→STANDBY, on {@code reset()} (all Helix says after a session
 * expiry), and when ZooKeeper has not been reachable for two thirds of the session timeout — not
 * on the first disconnect, because a ZooKeeper leader election briefly disconnects everyone.
 *
 * <p>Lifecycle: the constructor does no I/O; {@link #start(Set, LeadershipListener)} once; {@link #close()} stops the
 * leader work first, then disconnects cleanly so that the other nodes take over at once.
 */
public final class ClusterMember implements AutoCloseable {

    private enum State { NEW, STARTED, CLOSED }

    private static final Logger log = LoggerFactory.getLogger(ClusterMember.class);
    private static final Duration WATCHDOG_PERIOD = Duration.ofMillis(200);
    /** How long a ZooKeeper server may take to accept a connection to count as answering for Helix's extra client. */
    private static final Duration METADATA_PROBE_TIMEOUT = Duration.ofMillis(500);

    private final ClusterSettings settings;
    /** Set by {@link #start} (the listener comes with it), read by Helix's and the watchdog's threads after. */
    private volatile LeaderGate gate;
    /** The gate of the cluster-wide duties; set and read like {@link #gate}. */
    private volatile LeaderGate dutyGate;
    private static final LeadershipListener NO_DUTIES = new LeadershipListener() {
        @Override
        public void leadershipGained(String duty) {
        }

        @Override
        public void leadershipLost(String duty) {
        }
    };
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private HelixManager manager;
    private ScheduledExecutorService watchdog;
    private volatile long lastZooKeeperContactNanos;
    private volatile String httpUrl;
    private HelixAdmin viewAdmin;

    public ClusterMember(ClusterSettings settings) {
        this.settings = settings;
    }

    /** Announces this node's staff URL to the others (shown on the cluster page); call before {@link #start}. */
    public void announceHttpUrl(String url) {
        this.httpUrl = url;
    }

    /**
     * Creates the cluster's structure if needed (with a partition per mailbox), joins and connects;
     * from now on {@code listener} is told which mailboxes this node leads. The listener comes here,
     * not in the constructor, so that parts which need the member (giving a mailbox up) can be built
     * before the mail intake that listens.
     */
    public void start(Set<String> mailboxIds, LeadershipListener listener) throws Exception {
        start(mailboxIds, listener, Set.of(), null);
    }

    /**
     * Like {@link #start(Set, LeadershipListener)}, and takes part in the election of each of
     * {@code duties} (cluster-wide work that exactly one node does at a time, such as the ticket
     * timers): {@code dutyListener} is told, with the duty's name, when this node should start or
     * stop it, under the same rules as a mailbox (ZooKeeper contact lost too long stops it too).
     */
    public void start(Set<String> mailboxIds, LeadershipListener listener, Set<String> duties, LeadershipListener dutyListener)
            throws Exception {
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("cluster member already started");
        }
        gate = new LeaderGate(listener);
        dutyGate = new LeaderGate(dutyListener == null ? NO_DUTIES : dutyListener);
        // Helix 1.4 reads the session timeout only from this system property
        System.setProperty("zk.session.timeout", Long.toString(settings.sessionTimeout().toMillis()));
        HelixAdmin admin = new ZKHelixAdmin.Builder().setZkAddress(settings.zkAddress()).build();
        try {
            ClusterSetup.ensure(admin, settings.clusterName(), settings.instanceName(), mailboxIds, duties);
        } finally {
            admin.close();
        }
        manager = new ZKHelixManager(settings.clusterName(), settings.instanceName(), InstanceType.CONTROLLER_PARTICIPANT,
                settings.zkAddress()) {
            /** Read by Helix for the extra client its controller opens once: only the servers that answer now ({@link ReachableServers}). */
            @Override
            public String getMetadataStoreConnectionString() {
                return ReachableServers.of(super.getMetadataStoreConnectionString(), METADATA_PROBE_TIMEOUT);
            }
        };
        manager.getStateMachineEngine().registerStateModelFactory(ClusterSetup.STATE_MODEL, new MailboxStateModel.Factory(gate, dutyGate));
        String upSince = Instant.now().toString();
        manager.setLiveInstanceInfoProvider(() -> {
            ZNRecord info = new ZNRecord(settings.instanceName());
            info.setSimpleField(HelixViews.UP_SINCE, upSince);
            if (httpUrl != null) {
                info.setSimpleField(HelixViews.HTTP_URL, httpUrl);
            }
            return info;
        });
        manager.connect();
        viewAdmin = new ZKHelixAdmin.Builder().setZkAddress(settings.zkAddress()).build();
        lastZooKeeperContactNanos = System.nanoTime();
        watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "zookeeper-watchdog");
            t.setDaemon(true);
            return t;
        });
        watchdog.scheduleWithFixedDelay(this::checkZooKeeper, WATCHDOG_PERIOD.toMillis(), WATCHDOG_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
        log.info("joined cluster={} instance={} zk={} sessionTimeout={}", settings.clusterName(), settings.instanceName(),
                settings.zkAddress(), settings.sessionTimeout());
    }

    /** The cluster as this node's ZooKeeper connection sees it; fails when ZooKeeper cannot be reached. */
    public ClusterView view() {
        HelixManager m = manager;
        if (m == null || viewAdmin == null) {
            throw new IllegalStateException("not a cluster member yet");
        }
        return HelixViews.read(settings.clusterName(), viewAdmin, m.getHelixDataAccessor());
    }

    /**
     * Stops leading a mailbox for a while and lets Helix give it to another node: for a node that
     * cannot do the work (mail server or database out of reach from here). Helix remembers the
     * disabled partition on this node's instance; {@link #enableMailbox} undoes it.
     */
    public void disableMailbox(String mailboxId, String reason) {
        log.warn("giving mailbox up mailbox={} reason={}", mailboxId, reason);
        viewAdmin.enablePartition(false, settings.clusterName(), settings.instanceName(), ClusterSetup.RESOURCE, List.of(mailboxId));
    }

    public void enableMailbox(String mailboxId) {
        log.info("taking part in mailbox again mailbox={}", mailboxId);
        viewAdmin.enablePartition(true, settings.clusterName(), settings.instanceName(), ClusterSetup.RESOURCE, List.of(mailboxId));
    }

    /**
     * Whether another node could lead this mailbox if this one gave it up: one that is live,
     * enabled and has not given the mailbox up itself. False when ZooKeeper cannot be asked
     * (then nobody can take over anyway).
     */
    public boolean anotherNodeCouldLead(String mailboxId) {
        try {
            return !otherNodesThatCouldLead(mailboxId).isEmpty();
        } catch (RuntimeException e) {
            log.warn("cannot read the cluster view mailbox={} error={}", mailboxId, e.toString());
            return false;
        }
    }

    /**
     * The other nodes that could lead this mailbox if this one gave it up: live, enabled and not
     * having given it up themselves. Throws when ZooKeeper cannot be asked.
     */
    public Set<String> otherNodesThatCouldLead(String mailboxId) {
        return view().nodes().stream().filter(n -> !n.id().equals(settings.instanceName())
                && n.live() && n.enabled() && !n.disabledMailboxes().contains(mailboxId))
                .map(ClusterView.Node::id).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * Publishes what this node can reach, replacing its previous report (see {@link ReachBoard}).
     * Throws when the node is not connected or ZooKeeper refuses the write.
     */
    public void publishReach(ReachReport report) {
        if (!report.node().equals(settings.instanceName())) {
            throw new IllegalArgumentException("a node publishes its own report, not " + report.node() + "'s");
        }
        ReachBoard.publish(connectedManager().getHelixPropertyStore(), report);
    }

    /**
     * The reach reports of every node whose ZooKeeper session holds one now, this node's included.
     * Throws when ZooKeeper cannot be asked.
     */
    public List<ReachReport> reachReports() {
        return ReachBoard.read(connectedManager().getHelixPropertyStore());
    }

    /** The ZooKeeper servers Helix's controller would give its extra client now (see {@link ReachableServers}). */
    String metadataStoreConnectionString() {
        return connectedManager().getMetadataStoreConnectionString();
    }

    private HelixManager connectedManager() {
        HelixManager m = manager;
        if (state.get() != State.STARTED || m == null || !m.isConnected()) {
            throw new IllegalStateException("not connected to the cluster");
        }
        return m;
    }

    /**
     * Whether the cluster view, read just now, shows no other node that could lead this mailbox
     * (none live, enabled and taking part in it). False when ZooKeeper cannot be asked: unknown is
     * not "nobody".
     */
    public boolean noOtherNodeCouldLead(String mailboxId) {
        try {
            return view().nodes().stream().noneMatch(n -> !n.id().equals(settings.instanceName())
                    && n.live() && n.enabled() && !n.disabledMailboxes().contains(mailboxId));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Stops running a duty for a while and lets Helix give it to another node, like {@link #disableMailbox}:
     * for a node that cannot do it (its database is out of reach from here). {@link #enableDuty} undoes it.
     */
    public void disableDuty(String duty, String reason) {
        log.warn("giving duty up duty={} reason={}", duty, reason);
        viewAdmin.enablePartition(false, settings.clusterName(), settings.instanceName(), ClusterSetup.DUTIES, List.of(duty));
    }

    public void enableDuty(String duty) {
        log.info("taking part in duty again duty={}", duty);
        viewAdmin.enablePartition(true, settings.clusterName(), settings.instanceName(), ClusterSetup.DUTIES, List.of(duty));
    }

    /** Whether another live, enabled node that has not given the duty up could run it; false when ZooKeeper cannot be asked. */
    public boolean anotherNodeCouldRunDuty(String duty) {
        try {
            return otherNodesThatCouldRun(duty) > 0;
        } catch (RuntimeException e) {
            log.warn("cannot read the cluster view duty={} error={}", duty, e.toString());
            return false;
        }
    }

    /** Whether the cluster, read just now, shows no other node that could run the duty; false when ZooKeeper cannot be asked. */
    public boolean noOtherNodeCouldRunDuty(String duty) {
        try {
            return otherNodesThatCouldRun(duty) == 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private long otherNodesThatCouldRun(String duty) {
        return view().nodes().stream().filter(n -> !n.id().equals(settings.instanceName()) && n.live() && n.enabled())
                .filter(n -> {
                    List<String> off = viewAdmin.getInstanceConfig(settings.clusterName(), n.id()).getDisabledPartitions(ClusterSetup.DUTIES);
                    return off == null || !off.contains(duty);
                })
                .count();
    }

    /** The mailboxes this node is working on as leader right now. */
    public Set<String> leading() {
        LeaderGate g = gate;
        return g == null ? Set.of() : g.working();
    }

    /** The duties this node is working on as their one runner right now. */
    public Set<String> leadingDuties() {
        LeaderGate g = dutyGate;
        return g == null ? Set.of() : g.working();
    }

    public boolean isConnected() {
        HelixManager m = manager;
        return m != null && m.isConnected();
    }

    /** Whether the Helix controller of the cluster runs in this node. */
    public boolean isController() {
        HelixManager m = manager;
        return m != null && m.isConnected() && m.isLeader();
    }

    private void checkZooKeeper() {
        try {
            long now = System.nanoTime();
            if (manager.isConnected()) {
                lastZooKeeperContactNanos = now;
                gate.zooKeeperHealthy(true);
                dutyGate.zooKeeperHealthy(true);
            } else if (Duration.ofNanos(now - lastZooKeeperContactNanos).compareTo(settings.sessionTimeout().multipliedBy(2).dividedBy(3)) > 0) {
                gate.zooKeeperHealthy(false);
                dutyGate.zooKeeperHealthy(false);
            }
        } catch (RuntimeException e) {
            log.warn("zookeeper watchdog check failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) != State.STARTED) {
            return;
        }
        gate.close();
        dutyGate.close();
        if (watchdog != null) {
            watchdog.shutdownNow();
        }
        if (manager != null) {
            manager.disconnect();
        }
        if (viewAdmin != null) {
            viewAdmin.close();
        }
        log.info("left cluster={} instance={}", settings.clusterName(), settings.instanceName());
    }
}
