package dev.ticketd.node.intake;

import dev.ticketd.node.config.NodeConfig;

import java.time.Duration;
import java.util.Objects;

/**
 * What {@link MailIntake} needs from the node's configuration.
 *
 * @param nodeId            this node's name, written with each lease it takes
 * @param giveUpAfter       how long a worker may fail to do a mailbox's work before it gives the mailbox up
 * @param outboxClaimExpiry when a row left 'sending' by a sender that stopped is sent again
 * @param handoverAfter     how long a worker may be stuck before it hands the mailbox over at once, if this
 *                          node cannot reach the mail server or the database and another node can
 *                          ({@link EarlyHandover})
 */
public record IntakeSettings(String nodeId, Duration giveUpAfter, Duration outboxClaimExpiry, Duration handoverAfter) {

    /** Settings with the default handover time (or {@code giveUpAfter}, when that is shorter). */
    public IntakeSettings(String nodeId, Duration giveUpAfter, Duration outboxClaimExpiry) {
        this(nodeId, giveUpAfter, outboxClaimExpiry,
                NodeConfig.MailDefaults.DEFAULT_HANDOVER_AFTER.compareTo(giveUpAfter) < 0
                        ? NodeConfig.MailDefaults.DEFAULT_HANDOVER_AFTER : giveUpAfter);
    }

    public IntakeSettings {
        Objects.requireNonNull(nodeId, "nodeId");
        if (giveUpAfter.isNegative() || giveUpAfter.isZero() || outboxClaimExpiry.isNegative() || outboxClaimExpiry.isZero()
                || handoverAfter.isNegative() || handoverAfter.isZero()) {
            throw new IllegalArgumentException("giveUpAfter, outboxClaimExpiry and handoverAfter must be positive: " + giveUpAfter
                    + ", " + outboxClaimExpiry + ", " + handoverAfter);
        }
    }
}
