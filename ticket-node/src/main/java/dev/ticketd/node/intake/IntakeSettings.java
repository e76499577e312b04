package dev.ticketd.node.intake;

import java.time.Duration;
import java.util.Objects;

/**
 * What {@link MailIntake} needs from the node's configuration.
 *
 * @param nodeId            this node's name, written with each lease it takes
 * @param giveUpAfter       how long a worker may fail to do a mailbox's work before it gives the mailbox up
 * @param outboxClaimExpiry when a row left 'sending' by a sender that stopped is sent again
 */
public record IntakeSettings(String nodeId, Duration giveUpAfter, Duration outboxClaimExpiry) {

    public IntakeSettings {
        Objects.requireNonNull(nodeId, "nodeId");
        if (giveUpAfter.isNegative() || giveUpAfter.isZero() || outboxClaimExpiry.isNegative() || outboxClaimExpiry.isZero()) {
            throw new IllegalArgumentException("giveUpAfter and outboxClaimExpiry must be positive: " + giveUpAfter + ", "
                    + outboxClaimExpiry);
        }
    }
}
