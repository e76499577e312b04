package dev.ticketd.node.intake;

import dev.ticketd.cluster.ClusterMember;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A node that cannot do a mailbox's work (its mail server or database is out of reach from here)
 * gives the mailbox up so that another node leads it — otherwise FULL_AUTO would keep handing the
 * mailbox back to the broken node. After a cool-down it takes part again, so that a passing fault
 * never removes a node for good. A node keeps the mailbox when no other live node could take it
 * (it is alone, or the others gave it up too): handing it to nobody would only delay the
 * recovery by the cool-down once the fault — often the shared database — passes. For the same
 * reason a node in its cool-down takes part again early once no other node could lead the
 * mailbox (the node it gave the mailbox to died, and any other gave it up too): found by the
 * three-host scenario, where a host lost right after two give-ups left the mailbox unread for 28 s.
 *
 * <p>Lifecycle: {@link #close()} at shutdown.
 */
public final class GiveUps implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GiveUps.class);

    /** How often a node in its cool-down looks whether anyone else could lead the mailbox. */
    private static final Duration CHECK_PERIOD = Duration.ofSeconds(1);
    /** How many looks in a row must find nobody (a view read during a handover can be out of date). */
    private static final int NOBODY_LOOKS = 2;

    private final Duration coolDown;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mailbox-give-ups");
        t.setDaemon(true);
        return t;
    });
    private final ClusterMember member;

    /** @param member the node's cluster membership, not started yet (mailboxes are given up only once it is) */
    public GiveUps(ClusterMember member, Duration coolDown) {
        this.member = member;
        this.coolDown = coolDown;
    }

    /** Whether giving the mailbox up would hand it to another node (see the class comment). */
    public boolean canHandOver(String mailboxId) {
        return member.anotherNodeCouldLead(mailboxId);
    }

    /** Called from a worker thread: disables the mailbox on this node now and re-enables it later. */
    public void giveUp(String mailboxId, String reason) {
        ClusterMember m = member;
        scheduler.execute(() -> {
            try {
                m.disableMailbox(mailboxId, reason);
                long coolDownEnds = System.nanoTime() + coolDown.toNanos();
                scheduler.schedule(() -> coolDownCheck(m, mailboxId, coolDownEnds, 0), CHECK_PERIOD.toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                log.warn("could not give mailbox up mailbox={} error={}", mailboxId, e.toString());
            }
        });
    }

    private void coolDownCheck(ClusterMember m, String mailboxId, long coolDownEnds, int nobodyLooks) {
        if (System.nanoTime() - coolDownEnds >= 0) {
            retake(m, mailboxId);
            return;
        }
        int looks = m.noOtherNodeCouldLead(mailboxId) ? nobodyLooks + 1 : 0;
        if (looks >= NOBODY_LOOKS) {
            log.warn("no other node could lead the mailbox any more: taking part again before the cool-down ends mailbox={}",
                    mailboxId);
            retake(m, mailboxId);
            return;
        }
        scheduler.schedule(() -> coolDownCheck(m, mailboxId, coolDownEnds, looks), CHECK_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static void retake(ClusterMember m, String mailboxId) {
        try {
            m.enableMailbox(mailboxId);
        } catch (RuntimeException e) {
            log.warn("could not take part in mailbox again mailbox={} error={}", mailboxId, e.toString());
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
