package dev.ticketd.node.config;

import dev.ticketd.cluster.ClusterSettings;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.node.web.WebSettings;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The whole, validated configuration of one node, loaded once at start-up by {@link ConfigLoader}.
 *
 * @param nodeId           this node's name in leases and logs
 * @param web              staff UI and API listener
 * @param database         how to reach PostgreSQL
 * @param cluster          how to join the Helix cluster over ZooKeeper
 * @param mail             defaults for every mailbox reader
 * @param leaseLockTimeout how long taking a mailbox lease may wait for a stale holder's lock
 * @param secrets          mailbox secrets by reference ({@code secret.REF} / {@code TICKETD_SECRET_REF}); never logged
 */
public record NodeConfig(String nodeId, WebSettings web, DatabaseSettings database, ClusterSettings cluster, MailDefaults mail,
                         Duration leaseLockTimeout, Map<String, String> secrets) {

    /** Reader settings that apply to every mailbox of this node. */
    public record MailDefaults(Duration pollInterval, Duration ioTimeout, long maxMessageBytes) {
    }

    public NodeConfig {
        secrets = Map.copyOf(secrets);
    }

    public Optional<String> secret(String ref) {
        return Optional.ofNullable(secrets.get(ref));
    }

    @Override
    public String toString() {
        return "NodeConfig[nodeId=" + nodeId + ", web=" + web + ", database=" + database + ", cluster=" + cluster + ", mail=" + mail
                + ", leaseLockTimeout=" + leaseLockTimeout + ", secrets=" + secrets.keySet() + "]";
    }
}
