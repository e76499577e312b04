package dev.ticketd.node.lifecycle;

import dev.ticketd.cluster.DutyLeases;
import dev.ticketd.cluster.LeadershipListener;
import dev.ticketd.db.Database;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.desk.Tickets;
import dev.ticketd.node.intake.GiveUps;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ticketd.db.generated.Tables.TICKET;

/**
 * The ticket timers, a cluster duty: a pending ticket whose pending time has passed opens again,
 * a ticket resolved longer than {@code tickets.close-resolved-after} ago is closed, a missed SLA
 * target is escalated ({@link SlaEscalations}), and escalations are mailed to their groups ({@link SlaNotices}). Exactly one node
 * runs it at a time: the LEADER of the duty's Helix partition ({@value #DUTY}), which tells this
 * listener. Leadership is a hint, as for a mailbox; the fence is the duty's epoch in
 * {@code duty_lease}: the runner takes it (epoch + 1) when it starts, and every change is one
 * transaction that checks the epoch first, so the writes of a stale runner fail. Each change also
 * re-reads its ticket under the row lock, so no ticket is reopened or closed twice, and a ticket
 * that became due while no node ran the duty is changed by the next runner (nothing is skipped).
 *
 * <p>Threading: leadership calls come from cluster threads and return at once; the work runs on one
 * thread of its own per leadership. {@link #runOnce(long)} is public for tests and tools.
 */
public final class TicketTimers implements LeadershipListener, AutoCloseable {

    public static final String DUTY = "ticket-timers";
    private static final Logger log = LoggerFactory.getLogger(TicketTimers.class);
    private static final Duration MAX_RETRY = Duration.ofSeconds(30);

    /** What one run changed ({@code notified}: escalations that went into a group's digest mail). */
    public record Run(int reopened, int closed, int escalated, int notified) {
        public Run(int reopened, int closed) {
            this(reopened, closed, 0, 0);
        }
    }

    private final Database db;
    private final DutyLeases leases;
    private final Tickets tickets;
    private final TicketTimerSettings settings;
    private final Clock clock;
    /** Hands the duty to another node when this one cannot do it; null: never (tests of one runner). */
    private final GiveUps giveUps;
    private Worker worker;
    private boolean closed;
    /** For the metrics: the end of this node's last complete run, and what its runs changed. */
    private volatile Instant lastRunAt;
    private final AtomicLong reopenedTotal = new AtomicLong();
    private final AtomicLong closedTotal = new AtomicLong();
    private final AtomicLong escalatedTotal = new AtomicLong();
    private final AtomicLong notifiedTotal = new AtomicLong();
    private final SlaEscalations escalations;
    private final SlaNotices notices;

    public TicketTimers(Database db, DutyLeases leases, Tickets tickets, TicketTimerSettings settings, Clock clock) {
        this(db, leases, tickets, settings, clock, null);
    }

    /** @param giveUps gives the duty up to another node when this one cannot take its lease or complete a run */
    public TicketTimers(Database db, DutyLeases leases, Tickets tickets, TicketTimerSettings settings, Clock clock, GiveUps giveUps) {
        this.giveUps = giveUps;
        this.db = db;
        this.leases = leases;
        this.tickets = tickets;
        this.settings = settings;
        this.clock = clock;
        this.escalations = new SlaEscalations(db, tickets.sla(), DUTY, settings.nodeId(), settings.batch());
        this.notices = new SlaNotices(db, tickets.audit(), DUTY, settings.publicUrl());
    }

    @Override
    public synchronized void leadershipGained(String duty) {
        if (!DUTY.equals(duty) || closed || worker != null) {
            return;
        }
        worker = new Worker();
        worker.thread.start();
    }

    @Override
    public void leadershipLost(String duty) {
        Worker w;
        synchronized (this) {
            if (!DUTY.equals(duty)) {
                return;
            }
            w = worker;
            worker = null;
        }
        if (w != null) {
            w.stop.countDown(); // the thread ends after its current transaction; its epoch fences it anyway
        }
    }

    /** When this node last completed a run (null: never since it started). */
    public Instant lastRunAt() {
        return lastRunAt;
    }

    /** Tickets this node's runs opened again since it started. */
    public long reopenedTotal() {
        return reopenedTotal.get();
    }

    /** Tickets this node's runs closed since it started. */
    public long closedTotal() {
        return closedTotal.get();
    }

    /** SLA escalations this node's runs wrote since it started. */
    public long escalatedTotal() {
        return escalatedTotal.get();
    }

    /** SLA escalations this node's runs put into a group's digest mail since it started. */
    public long notifiedTotal() {
        return notifiedTotal.get();
    }

    /** Whether this node runs the timers now. */
    public synchronized boolean running() {
        return worker != null;
    }

    /**
     * One run under {@code epoch}: every due pending ticket opens, every ticket resolved long enough
     * ago closes, every missed SLA target is escalated, each in its own fenced transaction, in batches of {@link TicketTimerSettings#batch()}.
     *
     * @throws DutyLeases.StaleDutyEpochException when another runner took the duty; what this run
     *                                            changed before that stays (each change is complete)
     */
    public Run runOnce(long epoch) {
        Instant now = clock.instant();
        int reopened = each(epoch, DueKind.PENDING, now);
        int closedCount = each(epoch, DueKind.RESOLVED, now.minus(settings.closeResolvedAfter()));
        int escalated = escalations.run(epoch, now);
        int notified = notices.run(epoch, now);
        if (reopened + closedCount + escalated + notified > 0) {
            log.info("ticket timers ran duty={} epoch={} reopened={} closed={} escalated={} notified={}", DUTY, epoch, reopened,
                    closedCount, escalated, notified);
        }
        reopenedTotal.addAndGet(reopened);
        closedTotal.addAndGet(closedCount);
        escalatedTotal.addAndGet(escalated);
        notifiedTotal.addAndGet(notified);
        lastRunAt = clock.instant();
        return new Run(reopened, closedCount, escalated, notified);
    }

    /** Which timer: a pending ticket's time passed, or a resolved ticket's time to close. */
    enum DueKind { PENDING, RESOLVED }

    /** Changes every ticket of {@code kind} due by {@code dueBy}, batch after batch; returns how many changed. */
    private int each(long epoch, DueKind kind, Instant dueBy) {
        String reason = "resolved for " + describe(settings.closeResolvedAfter());
        int changed = 0;
        while (true) {
            List<Long> due = due(kind, dueBy);
            int changedNow = 0;
            for (long id : due) {
                boolean done = db.transactions().write(tx -> {
                    DutyLeases.check(tx, DUTY, epoch);
                    return kind == DueKind.PENDING
                            ? tickets.reopenWhenDue(tx, id, dueBy)
                            : tickets.closeWhenResolvedBefore(tx, id, dueBy, reason);
                });
                if (done) {
                    changedNow++;
                    log.info("ticket timer changed ticket={} timer={} duty={} epoch={}", id, kind, DUTY, epoch);
                }
            }
            changed += changedNow;
            // a full batch may have more behind it; a batch that changed nothing (all changed meanwhile) ends the run
            if (due.size() < settings.batch() || changedNow == 0) {
                return changed;
            }
        }
    }

    /**
     * The oldest due tickets, at most a batch. Served by the partial indexes {@code ticket_pending_due_idx}
     * and {@code ticket_resolved_due_idx}, which hold only pending or resolved tickets.
     */
    List<Long> due(DueKind kind, Instant dueBy) {
        OffsetDateTime by = dueBy.atOffset(ZoneOffset.UTC);
        return db.transactions().write(tx -> kind == DueKind.PENDING
                ? tx.select(TICKET.ID).from(TICKET)
                        .where(TICKET.STATUS.eq(TicketStatus.PENDING.value()).and(TICKET.PENDING_UNTIL.le(by)))
                        .orderBy(TICKET.PENDING_UNTIL, TICKET.ID).limit(settings.batch()).fetch(TICKET.ID)
                : tx.select(TICKET.ID).from(TICKET)
                        .where(TICKET.STATUS.eq(TicketStatus.RESOLVED.value()).and(TICKET.RESOLVED_AT.le(by)))
                        .orderBy(TICKET.RESOLVED_AT, TICKET.ID).limit(settings.batch()).fetch(TICKET.ID));
    }

    private static String describe(Duration d) {
        return d.toHours() % 24 == 0 && d.toMinutes() % 60 == 0 && d.toSeconds() % 60 == 0 && d.toDays() > 0
                ? d.toDays() + " days" : d.toString();
    }

    @Override
    public void close() {
        Worker w;
        synchronized (this) {
            closed = true;
            w = worker;
            worker = null;
        }
        if (w != null) {
            w.stop.countDown();
            try {
                w.thread.join(Duration.ofSeconds(10).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Takes the duty's lease (with retry), then runs every interval until stopped. */
    private final class Worker {
        final CountDownLatch stop = new CountDownLatch(1);
        final Thread thread = new Thread(this::run, "ticket-timers");

        Worker() {
            thread.setDaemon(true);
        }

        private void run() {
            while (!stopped()) {
                Long epoch = lease();
                if (epoch == null) {
                    return;
                }
                try {
                    long lastGood = System.nanoTime();
                    do {
                        try {
                            runOnce(epoch);
                            lastGood = System.nanoTime();
                        } catch (DutyLeases.StaleDutyEpochException e) {
                            throw e;
                        } catch (RuntimeException e) {
                            // the database failing over beyond the retry budget: the next run finds the same tickets
                            log.warn("ticket timers run failed duty={} epoch={} error={}", DUTY, epoch, e.toString());
                            if (gaveUp(lastGood, "no complete run for " + settings.giveUpAfter().toSeconds() + " s; last error: " + e)) {
                                return;
                            }
                        }
                    } while (!sleep(settings.interval()));
                    return;
                } catch (DutyLeases.StaleDutyEpochException e) {
                    // Another node took the lease while Helix still says this one leads (it made that
                    // node leader while this one lagged). Taking it back at once could make the two fence
                    // each other in turns; wait, and take it again only if this node still leads then.
                    log.warn("ticket timers fenced out duty={} epoch={} coolDown={}: {}", DUTY, epoch, settings.fencedCoolDown(),
                            e.getMessage());
                    if (sleep(settings.fencedCoolDown())) {
                        return;
                    }
                }
            }
        }

        /**
         * Gives the duty up when this node has not managed it since {@code since} for {@code giveUpAfter}
         * and another node could run it (never to nobody: due tickets would only wait longer).
         *
         * @return whether it gave the duty up (the worker then ends; Helix moves the duty)
         */
        private boolean gaveUp(long since, String reason) {
            if (giveUps == null || Duration.ofNanos(System.nanoTime() - since).compareTo(settings.giveUpAfter()) <= 0) {
                return false;
            }
            if (!giveUps.canHandOver(DUTY)) {
                log.warn("cannot run the duty, and no other node could: keeping it duty={} reason={}", DUTY, reason);
                return false;
            }
            giveUps.giveUp(DUTY, reason);
            return true;
        }

        private Long lease() {
            Duration wait = Duration.ofSeconds(1);
            long since = System.nanoTime();
            while (!stopped()) {
                try {
                    return leases.acquire(DUTY, settings.nodeId());
                } catch (RuntimeException e) {
                    log.warn("cannot take the duty lease yet duty={} retryIn={} error={}", DUTY, wait, e.toString());
                    if (gaveUp(since, "cannot take the duty lease: " + e.getMessage())) {
                        return null;
                    }
                    if (giveUps != null && Duration.ofNanos(System.nanoTime() - since).compareTo(settings.giveUpAfter()) > 0) {
                        since = System.nanoTime(); // kept it: warn again after another period
                    }
                    if (sleep(wait)) {
                        return null;
                    }
                    wait = wait.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : wait.multipliedBy(2);
                }
            }
            return null;
        }

        private boolean stopped() {
            return stop.getCount() == 0;
        }

        /** @return true when stopped meanwhile */
        private boolean sleep(Duration d) {
            try {
                return stop.await(d.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        }
    }
}
