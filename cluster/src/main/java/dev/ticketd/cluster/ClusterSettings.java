package dev.ticketd.cluster;

import java.time.Duration;
import java.util.Objects;

/**
 * How a node joins the cluster.
 *
 * @param zkAddress      ZooKeeper connect string, e.g. {@code zk1:2181,zk2:2181,zk3:2181}
 * @param clusterName    the Helix cluster (one per help desk)
 * @param instanceName   this node's name; must be unique and stable across restarts
 * @param sessionTimeout ZooKeeper session timeout: how long after a node dies its mailboxes move
 */
public record ClusterSettings(String zkAddress, String clusterName, String instanceName, Duration sessionTimeout) {

    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(4);

    public ClusterSettings {
        Objects.requireNonNull(zkAddress, "zkAddress");
        Objects.requireNonNull(clusterName, "clusterName");
        Objects.requireNonNull(instanceName, "instanceName");
        if (!isValidClusterName(clusterName)) {
            throw new IllegalArgumentException("cluster name must be letters, digits, '-' or '_', was '" + clusterName + "'");
        }
        if (sessionTimeout.toMillis() < 1000 || sessionTimeout.toMillis() > 120_000) {
            throw new IllegalArgumentException("ZooKeeper session timeout must be between 1s and 120s, was " + sessionTimeout);
        }
    }

    public static boolean isValidClusterName(String name) {
        return name.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,99}");
    }
}
