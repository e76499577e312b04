package dev.ticketd.node.config;

import dev.ticketd.cluster.ClusterSettings;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.mail.MailBudget;
import dev.ticketd.node.watch.WatchSettings;
import dev.ticketd.node.web.WebSettings;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The whole, validated configuration of one node, loaded once at start-up by {@link ConfigLoader}.
 *
 * @param nodeId           this node's name in leases and logs
 * @param web              staff UI and API listener
 * @param publicUrl        this node's staff URL as other nodes and operators should use it
 * @param database         how to reach PostgreSQL
 * @param cluster          how to join the Helix cluster over ZooKeeper
 * @param mail             defaults for every mailbox reader
 * @param outbox           how every mailbox's outbox is sent
 * @param leaseLockTimeout how long taking a mailbox lease may wait for a stale holder's lock
 * @param secrets          mailbox secrets by reference ({@code secret.REF} / {@code TICKETD_SECRET_REF}); never logged
 * @param tickets          the ticket lifecycle's timers and rules
 */
public record NodeConfig(String nodeId, WebSettings web, String publicUrl, DatabaseSettings database, ClusterSettings cluster, MailDefaults mail,
                         OutboxDefaults outbox, Duration leaseLockTimeout, Map<String, String> secrets, TicketRules tickets,
                         WatchSettings watch) {

    /**
     * The ticket lifecycle.
     *
     * @param closeResolvedAfter      a resolved ticket closes by itself this long after it was resolved
     * @param pendingDefault          a ticket set pending without a time waits this long
     * @param timerInterval           how often the node that runs the ticket timers looks for due tickets
     * @param replyToClosedOpensNew   a customer's reply to a closed ticket opens a new ticket linked to it
     *                                (else it reopens the closed one)
     */
    public record TicketRules(Duration closeResolvedAfter, Duration pendingDefault, Duration timerInterval,
                              boolean replyToClosedOpensNew) {
    }

    /**
     * Reader settings that apply to every mailbox of this node.
     *
     * @param giveUpAfter    how long a leader may fail to read a mailbox before it lets another node lead it
     * @param giveUpCoolDown how long it then stays out of that mailbox's election
     * @param budget         what one mail may cost (parse time, failed passes) before it goes to the quarantine
     * @param handoverAfter  how long a leader may make no progress before it hands the mailbox over at once,
     *                       when it cannot reach the mail server or the database and another node can
     */
    public record MailDefaults(Duration pollInterval, Duration ioTimeout, long maxMessageBytes, Duration giveUpAfter,
                               Duration giveUpCoolDown, MailBudget budget, Duration handoverAfter) {

        /** {@code mail.handover-after} when it is not set (and poll interval and give-up time allow it). */
        public static final Duration DEFAULT_HANDOVER_AFTER = Duration.ofSeconds(5);
    }

    /**
     * Outbound mail settings that apply to every mailbox of this node.
     *
     * @param claimExpiry a row left 'sending' this long by a sender that stopped mid-send is sent
     *                    again (a possible duplicate); longer than the longest send these SMTP
     *                    timeouts allow (checked when the configuration is loaded)
     */
    public record OutboxDefaults(Duration smtpConnectTimeout, Duration smtpReadTimeout, Duration smtpWriteTimeout,
                                 Duration claimExpiry) {
    }

    public NodeConfig {
        secrets = Map.copyOf(secrets);
    }

    public Optional<String> secret(String ref) {
        return Optional.ofNullable(secrets.get(ref));
    }

    /** The names of the secrets this node holds (never their values). */
    public Set<String> secretRefs() {
        return secrets.keySet();
    }

    @Override
    public String toString() {
        return "NodeConfig[nodeId=" + nodeId + ", web=" + web + ", database=" + database + ", cluster=" + cluster + ", mail=" + mail
                + ", outbox=" + outbox + ", leaseLockTimeout=" + leaseLockTimeout + ", secrets=" + secrets.keySet()
                + ", tickets=" + tickets + ", watch=" + watch + "]";
    }
}
