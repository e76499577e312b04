package dev.ticketd.cluster;

import org.apache.helix.HelixAdmin;
import org.apache.helix.HelixException;
import org.apache.helix.constants.InstanceConstants;
import org.apache.helix.model.BuiltInStateModelDefinitions;
import org.apache.helix.model.IdealState;
import org.apache.helix.model.InstanceConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Creates what the help desk needs in ZooKeeper, idempotently and safely when several nodes start
 * at once: the Helix cluster, the LeaderStandby model, the resource {@value #RESOURCE} (FULL_AUTO,
 * one replica on every live node, one partition per mailbox, named by the mailbox's stable id so
 * that removing one mailbox moves no other), the resource {@value #DUTIES} (the same model and
 * placement, one partition per cluster-wide duty such as the ticket timers, so exactly one node is
 * its LEADER) and this node's instance.
 */
final class ClusterSetup {

    static final String RESOURCE = "mailboxes";
    static final String DUTIES = "duties";
    static final String STATE_MODEL = "LeaderStandby";
    private static final Logger log = LoggerFactory.getLogger(ClusterSetup.class);
    private static final int ATTEMPTS = 10;

    private ClusterSetup() {
    }

    static void ensure(HelixAdmin admin, String cluster, String instance, Set<String> mailboxIds) {
        ensure(admin, cluster, instance, mailboxIds, Set.of());
    }

    static void ensure(HelixAdmin admin, String cluster, String instance, Set<String> mailboxIds, Set<String> duties) {
        for (int attempt = 1; ; attempt++) {
            try {
                ensureOnce(admin, cluster, instance, mailboxIds);
                if (!duties.isEmpty()) {
                    ensureDuties(admin, cluster, duties);
                    // duties this node gave up before a restart: a fresh start takes part in them again
                    List<String> givenUp = admin.getInstanceConfig(cluster, instance).getDisabledPartitions(DUTIES);
                    if (givenUp != null && !givenUp.isEmpty()) {
                        admin.enablePartition(true, cluster, instance, DUTIES, List.copyOf(givenUp));
                    }
                }
                return;
            } catch (RuntimeException e) {
                // another node is creating the same things right now (Helix reports that with several
                // exception types); its half-made state settles quickly
                if (attempt >= ATTEMPTS) {
                    throw e;
                }
                log.info("cluster setup raced with another node, retrying attempt={} error={}", attempt, e.getMessage());
                try {
                    Thread.sleep(200L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static void ensureOnce(HelixAdmin admin, String cluster, String instance, Set<String> mailboxIds) {
        if (!admin.addCluster(cluster, false)) {
            throw new HelixException("could not create cluster " + cluster);
        }
        if (admin.getStateModelDef(cluster, STATE_MODEL) == null) {
            admin.addStateModelDef(cluster, STATE_MODEL, BuiltInStateModelDefinitions.LeaderStandby.getStateModelDefinition());
        }
        if (!admin.getResourcesInCluster(cluster).contains(RESOURCE)) {
            IdealState is = new IdealState(RESOURCE);
            is.setRebalanceMode(IdealState.RebalanceMode.FULL_AUTO);
            is.setStateModelDefRef(STATE_MODEL);
            is.setReplicas(IdealState.IdealStateConstants.ANY_LIVEINSTANCE.toString());
            is.setNumPartitions(0);
            admin.addResource(cluster, RESOURCE, is);
        }
        addPartitions(admin, cluster, mailboxIds);
        if (!admin.getInstancesInCluster(cluster).contains(instance)) {
            admin.addInstance(cluster, new InstanceConfig(instance));
        }
        // Helix marks an instance added while another node's instance was half-created UNKNOWN,
        // and an UNKNOWN instance is never given a mailbox. (DISABLE, an operator's drain, stays.)
        InstanceConfig config = admin.getInstanceConfig(cluster, instance);
        if (config.getInstanceOperation().getOperation() == InstanceConstants.InstanceOperation.UNKNOWN) {
            admin.setInstanceOperation(cluster, instance, InstanceConstants.InstanceOperation.ENABLE);
            log.info("instance operation repaired from UNKNOWN to ENABLE instance={}", instance);
        }
        // mailboxes this node gave up before a restart: a fresh start takes part in all of them again
        List<String> givenUp = config.getDisabledPartitions(RESOURCE);
        if (givenUp != null && !givenUp.isEmpty()) {
            admin.enablePartition(true, cluster, instance, RESOURCE, List.copyOf(givenUp));
        }
    }

    /** The resource {@value #DUTIES}, placed like the mailboxes, with a partition for every duty that has none. */
    private static void ensureDuties(HelixAdmin admin, String cluster, Set<String> duties) {
        if (!admin.getResourcesInCluster(cluster).contains(DUTIES)) {
            IdealState is = new IdealState(DUTIES);
            is.setRebalanceMode(IdealState.RebalanceMode.FULL_AUTO);
            is.setStateModelDefRef(STATE_MODEL);
            is.setReplicas(IdealState.IdealStateConstants.ANY_LIVEINSTANCE.toString());
            is.setNumPartitions(0);
            admin.addResource(cluster, DUTIES, is);
        }
        IdealState is = admin.getResourceIdealState(cluster, DUTIES);
        Set<String> missing = new TreeSet<>(duties);
        missing.removeAll(is.getPartitionSet());
        if (missing.isEmpty()) {
            return;
        }
        for (String id : missing) {
            is.getRecord().setListField(id, new ArrayList<>()); // empty: FULL_AUTO chooses the node
        }
        is.setNumPartitions(is.getPartitionSet().size());
        admin.setResourceIdealState(cluster, DUTIES, is);
        log.info("duty partitions added cluster={} added={}", cluster, missing);
    }

    /** Adds a partition for every mailbox that has none. Never removes one: that is an operator's decision. */
    static void addPartitions(HelixAdmin admin, String cluster, Set<String> mailboxIds) {
        IdealState is = admin.getResourceIdealState(cluster, RESOURCE);
        Set<String> missing = new TreeSet<>(mailboxIds);
        missing.removeAll(is.getPartitionSet());
        if (missing.isEmpty()) {
            return;
        }
        for (String id : missing) {
            is.getRecord().setListField(id, new ArrayList<>()); // empty: FULL_AUTO chooses the nodes
        }
        is.setNumPartitions(is.getPartitionSet().size());
        admin.setResourceIdealState(cluster, RESOURCE, is);
        log.info("mailbox partitions added cluster={} added={} total={}", cluster, missing, is.getPartitionSet().size());
    }
}
