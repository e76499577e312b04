package dev.ticketd.node.intake;

import dev.ticketd.cluster.ClusterMember;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
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
 * <p>Taking part again is retried until it succeeds: a node whose re-enabling failed once (ZooKeeper
 * out of reach at that moment) would otherwise stay out of the mailbox until it restarts. The pause
 * between tries starts at the check period and doubles up to {@link #MAX_RETAKE_BACKOFF}; every
 * failed try is logged with its attempt number. There is no last try: giving up would be the very
 * defect this class exists to avoid, and a node that has stopped retrying is worse than a WARN line
 * every 30 s. The retries end when they succeed or at {@link #close()}.
 *
 * <p>Lifecycle: {@link #close()} at shutdown. All the work runs on one scheduler thread.
 */
public final class GiveUps implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GiveUps.class);

    /** How often a node in its cool-down looks whether anyone else could lead the mailbox. */
    private static final Duration CHECK_PERIOD = Duration.ofSeconds(1);
    /** How many looks in a row must find nobody (a view read during a handover can be out of date). */
    private static final int NOBODY_LOOKS = 2;
    /** The longest pause between two tries to take part in a mailbox again. */
    static final Duration MAX_RETAKE_BACKOFF = Duration.ofSeconds(30);

    /** What giving up needs of this node's cluster membership: {@link ClusterMember} in production. */
    interface Membership {
        void disableMailbox(String mailboxId, String reason);

        void enableMailbox(String mailboxId);

        boolean anotherNodeCouldLead(String mailboxId);

        boolean noOtherNodeCouldLead(String mailboxId);
    }

    private final Duration coolDown;
    private final Duration checkPeriod;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mailbox-give-ups");
        t.setDaemon(true);
        return t;
    });
    private final Membership member;

    /** @param member the node's cluster membership, not started yet (mailboxes are given up only once it is) */
    public GiveUps(ClusterMember member, Duration coolDown) {
        this(new Membership() {
            @Override
            public void disableMailbox(String mailboxId, String reason) {
                member.disableMailbox(mailboxId, reason);
            }

            @Override
            public void enableMailbox(String mailboxId) {
                member.enableMailbox(mailboxId);
            }

            @Override
            public boolean anotherNodeCouldLead(String mailboxId) {
                return member.anotherNodeCouldLead(mailboxId);
            }

            @Override
            public boolean noOtherNodeCouldLead(String mailboxId) {
                return member.noOtherNodeCouldLead(mailboxId);
            }
        }, coolDown, CHECK_PERIOD);
    }

    /**
     * Gives a cluster duty (the ticket timers) up instead of a mailbox, under the same rules: for the
     * cool-down, never to nobody, and back early when no other node could run it.
     */
    public static GiveUps forDuties(ClusterMember member, Duration coolDown) {
        return new GiveUps(new Membership() {
            @Override
            public void disableMailbox(String duty, String reason) {
                member.disableDuty(duty, reason);
            }

            @Override
            public void enableMailbox(String duty) {
                member.enableDuty(duty);
            }

            @Override
            public boolean anotherNodeCouldLead(String duty) {
                return member.anotherNodeCouldRunDuty(duty);
            }

            @Override
            public boolean noOtherNodeCouldLead(String duty) {
                return member.noOtherNodeCouldRunDuty(duty);
            }
        }, coolDown, CHECK_PERIOD);
    }

    /** @param checkPeriod how often a node in its cool-down looks whether anyone else could lead the mailbox */
    GiveUps(Membership member, Duration coolDown, Duration checkPeriod) {
        this.member = member;
        this.coolDown = coolDown;
        this.checkPeriod = checkPeriod;
    }

    /** Whether giving the mailbox up would hand it to another node (see the class comment). */
    public boolean canHandOver(String mailboxId) {
        return member.anotherNodeCouldLead(mailboxId);
    }

    /** Called from a worker thread: disables the mailbox on this node now and re-enables it later. */
    public void giveUp(String mailboxId, String reason) {
        Membership m = member;
        scheduler.execute(() -> {
            try {
                m.disableMailbox(mailboxId, reason);
                long coolDownEnds = System.nanoTime() + coolDown.toNanos();
                scheduler.schedule(() -> coolDownCheck(m, mailboxId, coolDownEnds, 0), checkPeriod.toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                log.warn("could not give mailbox up mailbox={} error={}", mailboxId, e.toString());
            }
        });
    }

    private void coolDownCheck(Membership m, String mailboxId, long coolDownEnds, int nobodyLooks) {
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
        scheduler.schedule(() -> coolDownCheck(m, mailboxId, coolDownEnds, looks), checkPeriod.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void retake(Membership m, String mailboxId) {
        retake(m, mailboxId, 1, checkPeriod);
    }

    private void retake(Membership m, String mailboxId, int attempt, Duration backoff) {
        try {
            m.enableMailbox(mailboxId);
            if (attempt > 1) {
                log.info("taking part in mailbox again after failed tries mailbox={} attempt={}", mailboxId, attempt);
            }
        } catch (RuntimeException e) {
            if (scheduler.isShutdown()) {
                return; // closing: the node is leaving the cluster anyway
            }
            log.warn("could not take part in mailbox again, retrying mailbox={} attempt={} retryIn={} error={}",
                    mailboxId, attempt, backoff, e.toString());
            Duration next = backoff.multipliedBy(2).compareTo(MAX_RETAKE_BACKOFF) > 0 ? MAX_RETAKE_BACKOFF : backoff.multipliedBy(2);
            try {
                scheduler.schedule(() -> retake(m, mailboxId, attempt + 1, next), backoff.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                // closed meanwhile: nothing left to retry for
            }
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
