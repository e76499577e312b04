package dev.ticketd.node.intake;

import dev.ticketd.cluster.ReachReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Tells a leader whose work on a mailbox has been stuck for {@code mail.handover-after} whether to
 * hand the mailbox over now instead of after {@code mail.give-up-after}, and why. Asked by
 * {@link MailIntake} about a stuck worker only, about once a second.
 */
public interface EarlyHandover {

    /** Never hands over early: only the slow rule applies (a node alone, tests). */
    EarlyHandover NEVER = mailboxId -> Optional.empty();

    /** @return why to hand the mailbox over now, or empty to leave it to the slow rule */
    Optional<String> reason(String mailboxId);

    /**
     * Whether what stops this node's work on the mailbox stops every node that could lead it
     * ({@link HandoverRule#sharedOutage}): while it does, the slow rule's clock does not run.
     *
     * @return what is out of reach for everyone, or empty when that is not known to be so
     */
    default Optional<String> sharedOutage(String mailboxId) {
        return Optional.empty();
    }

    /**
     * By the nodes' reach reports ({@link HandoverRule}).
     *
     * @param own       this node's latest report ({@link ReachProbes#latest()}), null before its first check
     * @param reports   every node's report, read from ZooKeeper; may throw
     * @param couldLead the other nodes that could lead a mailbox; may throw
     */
    static EarlyHandover byReach(Supplier<ReachReport> own, Supplier<List<ReachReport>> reports,
                                 Function<String, Set<String>> couldLead, Clock clock) {
        Logger log = LoggerFactory.getLogger(EarlyHandover.class);
        return new EarlyHandover() {
            @Override
            public Optional<String> reason(String mailboxId) {
                return ask(mailboxId, false);
            }

            @Override
            public Optional<String> sharedOutage(String mailboxId) {
                return ask(mailboxId, true);
            }

            private Optional<String> ask(String mailboxId, boolean shared) {
                ReachReport mine = own.get();
                Instant now = clock.instant();
                if (HandoverRule.cannotReach(mailboxId, mine, now).isEmpty()) {
                    return Optional.empty(); // this node reaches both: nothing to ask ZooKeeper about
                }
                try {
                    List<ReachReport> all = reports.get();
                    Set<String> others = couldLead.apply(mailboxId);
                    return shared ? HandoverRule.sharedOutage(mailboxId, mine, all, others, now)
                            : HandoverRule.reason(mailboxId, mine, all, others, now);
                } catch (RuntimeException e) {
                    log.debug("cannot read the other nodes' reach reports mailbox={} error={}", mailboxId, e.toString());
                    return Optional.empty();
                }
            }
        };
    }
}
