package dev.ticketd.cluster;

import org.apache.helix.HelixAdmin;
import org.apache.helix.HelixException;
import org.apache.helix.HelixManager;
import org.apache.helix.HelixManagerFactory;
import org.apache.helix.InstanceType;
import org.apache.helix.manager.zk.ZKHelixAdmin;
import org.apache.helix.model.IdealState;
import org.apache.helix.model.InstanceConfig;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Operator controls over the cluster, for the {@code ticketd cluster …} commands: status, drain
 * and undrain a node, pause and resume a mailbox, remove a node that is gone for good. Connects as
 * a Helix administrator (it takes part in no election).
 *
 * <p>Lifecycle: {@link #open} connects; {@link #close()} disconnects.
 */
public final class ClusterAdmin implements AutoCloseable {

    private final String cluster;
    private final HelixAdmin admin;
    private final HelixManager manager;

    private ClusterAdmin(String cluster, HelixAdmin admin, HelixManager manager) {
        this.cluster = cluster;
        this.admin = admin;
        this.manager = manager;
    }

    public static ClusterAdmin open(String zkAddress, String clusterName) throws Exception {
        HelixAdmin admin = new ZKHelixAdmin.Builder().setZkAddress(zkAddress).build();
        if (!admin.getClusters().contains(clusterName)) {
            admin.close();
            throw new IllegalArgumentException("no cluster '" + clusterName + "' in ZooKeeper at " + zkAddress
                    + " (it is created when the first node starts)");
        }
        HelixManager manager = HelixManagerFactory.getZKHelixManager(clusterName, "admin-" + UUID.randomUUID(),
                InstanceType.ADMINISTRATOR, zkAddress);
        try {
            manager.connect();
        } catch (Exception e) {
            admin.close();
            throw e;
        }
        return new ClusterAdmin(clusterName, admin, manager);
    }

    public ClusterView status() {
        return HelixViews.read(cluster, admin, manager.getHelixDataAccessor());
    }

    /** Moves every mailbox away from {@code node} (before maintenance); it stays out until {@link #undrain}. */
    public void drain(String node) {
        requireNode(node);
        admin.enableInstance(cluster, node, false);
    }

    public void undrain(String node) {
        requireNode(node);
        admin.enableInstance(cluster, node, true);
    }

    /** No node leads the mailbox (its reader stops everywhere) until {@link #resume}. */
    public void pause(String mailboxId) {
        IdealState is = admin.getResourceIdealState(cluster, ClusterSetup.RESOURCE);
        if (!is.getPartitionSet().contains(mailboxId)) {
            throw new IllegalArgumentException("no mailbox '" + mailboxId + "' is led in this cluster (paused already?)");
        }
        is.getRecord().getListFields().remove(mailboxId);
        is.getRecord().getMapFields().remove(mailboxId);
        is.setNumPartitions(is.getPartitionSet().size());
        admin.setResourceIdealState(cluster, ClusterSetup.RESOURCE, is);
    }

    public void resume(String mailboxId) {
        ClusterSetup.addPartitions(admin, cluster, Set.of(mailboxId));
    }

    /** Makes sure every given mailbox has a partition (a mailbox added while nodes run). */
    public void addMailboxes(Set<String> mailboxIds) {
        ClusterSetup.addPartitions(admin, cluster, mailboxIds);
    }

    /** Forgets a node that is gone for good. Refuses a live node: stop it first. */
    public void removeNode(String node) {
        requireNode(node);
        if (manager.getHelixDataAccessor().getProperty(manager.getHelixDataAccessor().keyBuilder().liveInstance(node)) != null) {
            throw new IllegalArgumentException("node '" + node + "' is live; stop it before removing it");
        }
        InstanceConfig config = admin.getInstanceConfig(cluster, node);
        admin.enableInstance(cluster, node, false);
        try {
            admin.dropInstance(cluster, config);
        } catch (HelixException e) {
            throw new IllegalArgumentException("could not remove node '" + node + "': " + e.getMessage(), e);
        }
    }

    private void requireNode(String node) {
        List<String> nodes = admin.getInstancesInCluster(cluster);
        if (!nodes.contains(node)) {
            throw new IllegalArgumentException("no node '" + node + "' in cluster " + cluster + " (nodes: " + new TreeSet<>(nodes) + ")");
        }
    }

    @Override
    public void close() {
        manager.disconnect();
        admin.close();
    }
}
