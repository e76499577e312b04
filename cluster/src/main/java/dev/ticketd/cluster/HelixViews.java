package dev.ticketd.cluster;

import org.apache.helix.HelixAdmin;
import org.apache.helix.HelixDataAccessor;
import org.apache.helix.PropertyKey;
import org.apache.helix.PropertyPathBuilder;
import org.apache.helix.model.ExternalView;
import org.apache.helix.model.IdealState;
import org.apache.helix.model.InstanceConfig;
import org.apache.helix.model.LiveInstance;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** Reads a {@link ClusterView} from Helix's records in ZooKeeper. */
final class HelixViews {

    static final String HTTP_URL = "TICKETD_HTTP_URL";
    static final String UP_SINCE = "TICKETD_UP_SINCE";

    private HelixViews() {
    }

    static ClusterView read(String cluster, HelixAdmin admin, HelixDataAccessor accessor) {
        PropertyKey.Builder keys = accessor.keyBuilder();
        LiveInstance controllerLeader = accessor.getProperty(keys.controllerLeader());
        Map<String, ReachReport> reach = new HashMap<>();
        try {
            ReachBoard.read(accessor.getBaseDataAccessor(), PropertyPathBuilder.propertyStore(cluster) + ReachBoard.PARENT)
                    .forEach(r -> reach.put(r.node(), r));
        } catch (RuntimeException e) {
            // the view goes on without the reach reports
        }
        List<ClusterView.Node> nodes = new ArrayList<>();
        for (String id : new TreeSet<>(admin.getInstancesInCluster(cluster))) {
            InstanceConfig config = admin.getInstanceConfig(cluster, id);
            LiveInstance live = accessor.getProperty(keys.liveInstance(id));
            String url = live == null ? null : live.getRecord().getSimpleField(HTTP_URL);
            String upSince = live == null ? null : live.getRecord().getSimpleField(UP_SINCE);
            nodes.add(new ClusterView.Node(id, url, live != null, config == null || config.getInstanceEnabled(),
                    upSince == null ? null : Instant.parse(upSince),
                    config == null ? List.of() : List.copyOf(config.getDisabledPartitions(ClusterSetup.RESOURCE) == null
                            ? List.of() : config.getDisabledPartitions(ClusterSetup.RESOURCE)), live == null ? null : reach.get(id)));
        }
        List<ClusterView.Mailbox> mailboxes = new ArrayList<>();
        IdealState ideal = admin.getResourceIdealState(cluster, ClusterSetup.RESOURCE);
        ExternalView external = admin.getResourceExternalView(cluster, ClusterSetup.RESOURCE);
        if (ideal != null) {
            for (String mailbox : new TreeSet<>(ideal.getPartitionSet())) {
                Map<String, String> states = external == null ? null : external.getStateMap(mailbox);
                String leader = null;
                List<String> standbys = new ArrayList<>();
                if (states != null) {
                    for (Map.Entry<String, String> e : new TreeMap<>(states).entrySet()) {
                        if ("LEADER".equals(e.getValue())) {
                            leader = e.getKey();
                        } else if ("STANDBY".equals(e.getValue())) {
                            standbys.add(e.getKey());
                        }
                    }
                }
                mailboxes.add(new ClusterView.Mailbox(mailbox, leader, List.copyOf(standbys)));
            }
        }
        return new ClusterView(cluster, controllerLeader == null ? null : controllerLeader.getInstanceName(),
                List.copyOf(nodes), List.copyOf(mailboxes));
    }
}
