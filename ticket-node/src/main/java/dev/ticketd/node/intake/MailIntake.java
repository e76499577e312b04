package dev.ticketd.node.intake;

import dev.ticketd.cluster.LeadershipListener;
import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailboxReader;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.PassListener;
import dev.ticketd.mail.outbound.OutboxSender;
import dev.ticketd.mail.outbound.SmtpSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs the mailbox readers of the mailboxes this node leads. When the cluster makes this node a
 * mailbox's leader, a worker looks the mailbox up (so one added while the node runs works too),
 * takes its lease (a new epoch) with retry — a database that is down only delays intake and never
 * fails a Helix transition — and runs a reader under that epoch. When leadership goes, the worker
 * stops the reader promptly. A worker that cannot do the work for {@code giveUpAfter} (no lease,
 * or no progress with the mailbox: no pass completed and no mail taken in), or whose reader or outbox sender is fenced out by a
 * newer lease, gives the mailbox up for a cool-down so that Helix lets another node lead it.
 * A worker stuck for only {@code handoverAfter} gives the mailbox up at once when {@link EarlyHandover}
 * says so: this node cannot reach the mail server or the database, and another node can. That look
 * runs on a thread of its own, since a stuck worker's thread may be blocked in a database call.
 *
 * <p>The epoch, not leadership, keeps the data safe: a reader whose epoch is stale is refused by
 * the database. Thread-safe: leadership calls come from cluster threads. {@link #close()} once.
 */
public final class MailIntake implements LeadershipListener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MailIntake.class);
    /**
     * The waits between attempts to take a lease: short, because the database coming back (a
     * promoted standby) should start intake within a second, and an attempt costs one connection.
     */
    private static final Duration FIRST_RETRY = Duration.ofMillis(250);
    private static final Duration MAX_RETRY = Duration.ofSeconds(1);
    private static final Duration WATCH_PERIOD = Duration.ofSeconds(1);

    private final MailboxDirectory mailboxes;
    private final Database db;
    private final MailboxLeases leases;
    private final IngestStore store;
    private final PassListener passListener;
    private final GiveUps giveUps;
    private final Duration giveUpAfter;
    private final Duration handoverAfter;
    private final EarlyHandover earlyHandover;
    private final Duration outboxClaimExpiry;
    private final String nodeId;
    private final Clock clock;
    private final Map<String, Worker> workers = new ConcurrentHashMap<>();
    /** Workers told to stop that have not finished yet; a new worker of the same mailbox waits for its predecessor. */
    private final Map<String, Worker> stopping = new ConcurrentHashMap<>();
    // stopping a worker can wait for a database statement or a mail server; never on a caller's thread
    private final ExecutorService stoppers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "mailbox-stopper");
        t.setDaemon(true);
        return t;
    });
    private boolean closed;
    /** Looks every second for a stuck worker to hand over early; started with the first worker. */
    private ScheduledExecutorService handoverWatch;
    /** Guards the two below; what a worker counted moves from {@code counting} to {@code retired} once it has stopped. */
    private final Object countsLock = new Object();
    private final Set<Worker> counting = new HashSet<>();
    private final Map<String, MailCounters> retired = new HashMap<>();

    /**
     * @param leases       the mailbox leases (epochs) of the node's database
     * @param store        where a reader stores what it reads, under its epoch
     * @param passListener told of every pass (the node's metrics)
     */
    public MailIntake(MailboxDirectory mailboxes, Database db, MailboxLeases leases, IngestStore store,
                      PassListener passListener, GiveUps giveUps, IntakeSettings settings, Clock clock) {
        this(mailboxes, db, leases, store, passListener, giveUps, EarlyHandover.NEVER, settings, clock);
    }

    /** @param earlyHandover whether a worker stuck for {@code settings.handoverAfter()} gives its mailbox up at once */
    public MailIntake(MailboxDirectory mailboxes, Database db, MailboxLeases leases, IngestStore store,
                      PassListener passListener, GiveUps giveUps, EarlyHandover earlyHandover, IntakeSettings settings,
                      Clock clock) {
        this.mailboxes = mailboxes;
        this.db = db;
        this.leases = leases;
        this.store = store;
        this.passListener = passListener;
        this.giveUps = giveUps;
        this.giveUpAfter = settings.giveUpAfter();
        this.handoverAfter = settings.handoverAfter();
        this.earlyHandover = earlyHandover;
        this.outboxClaimExpiry = settings.outboxClaimExpiry();
        this.nodeId = settings.nodeId();
        this.clock = clock;
    }

    @Override
    public synchronized void leadershipGained(String mailboxId) {
        if (closed || workers.containsKey(mailboxId)) {
            return;
        }
        if (handoverWatch == null) {
            handoverWatch = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "mailbox-handover-watch");
                t.setDaemon(true);
                return t;
            });
            handoverWatch.scheduleWithFixedDelay(this::lookForStuckWorkers, WATCH_PERIOD.toMillis(), WATCH_PERIOD.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        Worker worker = new Worker(mailboxId, stopping.get(mailboxId));
        workers.put(mailboxId, worker);
        synchronized (countsLock) {
            counting.add(worker);
        }
        worker.start();
    }

    /**
     * Returns at once: the worker is told to stop, and its reader and sender are closed on a thread of
     * their own. The caller is the leadership gate, which every mailbox's handover and the ZooKeeper
     * watchdog go through; a reader stuck in a database statement must not hold any of them up.
     */
    @Override
    public void leadershipLost(String mailboxId) {
        Worker worker;
        synchronized (this) {
            worker = workers.remove(mailboxId);
            if (worker != null) {
                stopping.put(mailboxId, worker);
            }
        }
        if (worker != null) {
            worker.signalStop();
            stoppers.execute(() -> {
                worker.stop();
                stopping.remove(mailboxId, worker);
            });
        }
    }

    /** The readers running on this node now. */
    public List<MailboxReader.Status> status() {
        return workers.values().stream().map(w -> w.reader).filter(Objects::nonNull).map(MailboxReader::status).toList();
    }

    /**
     * What this node's readers and senders counted, per mailbox it has led since it started (see
     * {@link MailCounters}); sorted by mailbox. Cheap: reads counters only.
     */
    public List<MailCounters> counters() {
        synchronized (countsLock) {
            Map<String, MailCounters> sums = new TreeMap<>(retired);
            for (Worker w : counting) {
                sums.merge(w.mailboxId, w.counts(), MailCounters::plus);
            }
            return List.copyOf(sums.values());
        }
    }

    /**
     * Hands over at once the mailbox of a worker stuck for {@code handoverAfter} (no lease yet, or a
     * reader without progress) when {@link EarlyHandover} gives a reason; once per worker. If this
     * node still leads afterwards (the give-up failed), the slow rule of {@code giveUpAfter} remains.
     * When instead every node that could lead the mailbox is stuck on the same outage (a database
     * failover), the worker is told so: the slow rule's clock does not run meanwhile.
     */
    private void lookForStuckWorkers() {
        for (Worker w : workers.values()) {
            try {
                Instant since = w.stuckSince();
                if (since == null || w.handedOver.get()) {
                    continue;
                }
                Duration stuck = Duration.between(since, clock.instant());
                if (stuck.compareTo(handoverAfter) < 0) {
                    continue;
                }
                Optional<String> reason = earlyHandover.reason(w.mailboxId);
                if (reason.isPresent() && w.stuckSince() != null && w.handedOver.compareAndSet(false, true)) {
                    log.warn("handing mailbox over early mailbox={} stuckFor={}ms reason={}", w.mailboxId, stuck.toMillis(), reason.get());
                    giveUps.giveUp(w.mailboxId, "early handover after " + stuck.toMillis() + " ms without progress: " + reason.get());
                } else if (reason.isEmpty()) {
                    earlyHandover.sharedOutage(w.mailboxId).ifPresent(what -> w.sharedOutageSeen(clock.instant(), what));
                }
            } catch (RuntimeException e) {
                log.warn("early handover check failed mailbox={} error={}", w.mailboxId, e.toString());
            }
        }
    }

    /** Keeps a stopped worker's counts; idempotent. */
    private void retire(Worker worker) {
        synchronized (countsLock) {
            if (counting.remove(worker)) {
                retired.merge(worker.mailboxId, worker.counts(), MailCounters::plus);
            }
        }
    }

    /** Stops every worker and waits for each (a planned shutdown hands the mailboxes over cleanly). */
    @Override
    public void close() {
        List<Worker> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(workers.values());
            all.addAll(stopping.values());
            workers.clear();
            if (handoverWatch != null) {
                handoverWatch.shutdownNow();
            }
        }
        all.forEach(Worker::stop);
        stoppers.shutdown();
    }

    /** Takes the lease, then runs and watches the reader, until stopped. */
    private final class Worker {
        private final String mailboxId;
        private final Worker predecessor;
        private final CountDownLatch stopping = new CountDownLatch(1);
        private final CountDownLatch stopped = new CountDownLatch(1);
        private final Thread thread;
        private volatile MailboxReader reader;
        private volatile OutboxSender sender;
        /** The sender this worker ran, kept after it is closed for its counts. */
        private volatile OutboxSender countedSender;
        private volatile Duration ioTimeout = Duration.ofSeconds(30);
        /** When the current phase (taking the lease, then reading) began; null while the worker does neither. */
        private volatile Instant phaseStart;
        /** Set once this worker's mailbox was handed over early. */
        final AtomicBoolean handedOver = new AtomicBoolean();
        /** When an outage every node that could lead the mailbox shares was last seen; null: never. */
        private volatile Instant sharedOutageAt;

        /** @param predecessor this node's previous worker of the mailbox, still stopping, or null */
        Worker(String mailboxId, Worker predecessor) {
            this.mailboxId = mailboxId;
            this.predecessor = predecessor;
            this.thread = new Thread(this::run, "mailbox-worker-" + mailboxId);
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void run() {
            if (predecessor != null && !predecessor.awaitStopped()) {
                log.warn("the previous reader of the mailbox has not stopped yet; taking the lease anyway (its epoch fences it out) mailbox={}",
                        mailboxId);
            }
            phaseStart = clock.instant();
            MailboxReader r = leaseThenStart();
            phaseStart = r == null ? null : phaseStart;
            if (r != null && watch(r)) {
                // Fenced out while Helix still says this node leads: someone holds a newer lease (a
                // node that Helix already made leader while this one lagged, or a tool). Taking the
                // lease back could make two nodes fence each other in turns, so step aside: give
                // the mailbox up for the cool-down and let Helix choose.
                closeSender();
                giveUps.giveUp(mailboxId, "fenced out by a newer lease of the mailbox");
            }
            phaseStart = null; // done trying: nothing left to hand over early
        }

        private MailboxReader leaseThenStart() {
            Instant since = clock.instant();
            Duration wait = FIRST_RETRY;
            int attempts = 0;
            while (!stopped()) {
                try {
                    Optional<MailboxSettings> settings = mailboxes.mailbox(mailboxId);
                    if (settings.isEmpty()) {
                        log.warn("leading mailbox={} but it is unknown or paused in the database; not reading it", mailboxId);
                        return null;
                    }
                    ioTimeout = settings.get().ioTimeout();
                    long epoch = leases.acquire(mailboxId, nodeId);
                    MailboxReader r = new MailboxReader(settings.get(), store, epoch, clock, passListener);
                    // the leader also sends the mailbox's outbox, under the same epoch; a broken
                    // SMTP setting must never stop the intake
                    OutboxSender s = outboxSender(epoch);
                    synchronized (this) {
                        if (stopped()) {
                            return null;
                        }
                        closeSender();
                        reader = r;
                        sender = s;
                        countedSender = s;
                        phaseStart = clock.instant();
                        r.start();
                        if (s != null) {
                            s.start();
                        }
                    }
                    return r;
                } catch (RuntimeException e) {
                    since = notBeforeSharedOutage(since);
                    if (Duration.between(since, clock.instant()).compareTo(giveUpAfter) > 0) {
                        if (giveUps.canHandOver(mailboxId)) {
                            giveUps.giveUp(mailboxId, "cannot take the mailbox lease: " + e.getMessage());
                            return null;
                        }
                        log.warn("cannot take mailbox lease for {} s, and no other node could lead it: keeping it mailbox={}",
                                giveUpAfter.toSeconds(), mailboxId);
                        since = clock.instant();
                    }
                    attempts++;
                    if (attempts == 1 || attempts % 10 == 0) {
                        log.warn("cannot take mailbox lease yet mailbox={} attempts={} retryIn={} error={}", mailboxId, attempts, wait,
                                e.toString());
                    }
                    if (sleep(wait)) {
                        return null;
                    }
                    wait = wait.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : wait.multipliedBy(2);
                }
            }
            return null;
        }

        /**
         * Gives the mailbox up when the reader has made no progress for {@code giveUpAfter}: it neither
         * completed a pass nor took a mail in (a leader draining a long backlog is never given up).
         *
         * @return true when the reader or the sender was fenced out (another lease holder appeared), false when
         *         the worker was stopped or gave the mailbox up
         */
        private boolean watch(MailboxReader r) {
            Instant startedAt = clock.instant();
            while (!sleep(WATCH_PERIOD)) {
                MailboxReader.Status s = r.status();
                OutboxSender out = sender;
                if (s.state() == MailboxReader.State.FENCED_OUT
                        || (out != null && out.status().state() == OutboxSender.State.FENCED_OUT)) {
                    r.close();
                    return true;
                }
                // progress, not passes: a pass over a backlog lasts minutes while every mail of it commits
                Instant lastGood = notBeforeSharedOutage(
                        s.lastProgressAt() != null && s.lastProgressAt().isAfter(startedAt) ? s.lastProgressAt() : startedAt);
                if (Duration.between(lastGood, clock.instant()).compareTo(giveUpAfter) > 0) {
                    if (!giveUps.canHandOver(mailboxId)) {
                        log.warn("no progress with the mailbox (no pass completed, no mail taken in) for {} s, and no other node"
                                + " could lead it: keeping it"
                                + " mailbox={} lastError={}", giveUpAfter.toSeconds(), mailboxId, s.lastError());
                        startedAt = clock.instant(); // warn again after another period
                        continue;
                    }
                    r.close();
                    closeSender();
                    giveUps.giveUp(mailboxId, "no progress with the mailbox (no pass completed, no mail taken in) for "
                            + giveUpAfter.toSeconds() + " s; last error: " + s.lastError());
                    return false;
                }
            }
            return false;
        }

        /**
         * Since when this worker has got nowhere: the start of its lease phase, or the later of its
         * reader's start and last progress; null when it is not trying (stopped, mailbox unknown).
         */
        Instant stuckSince() {
            Instant since = phaseStart;
            MailboxReader r = reader;
            if (since == null || stopped()) {
                return null;
            }
            if (r != null) {
                MailboxReader.Status s = r.status();
                if (s.state() != MailboxReader.State.RUNNING) {
                    return null; // fenced out or stopping: watch() deals with it
                }
                if (s.lastProgressAt() != null && s.lastProgressAt().isAfter(since)) {
                    return s.lastProgressAt();
                }
            }
            return since;
        }

        /**
         * An outage that stops every node that could lead the mailbox was seen at {@code at}: the
         * slow rule counts no time without progress before it, since handing over would only move
         * the wait (and the lease would have to be taken on the database that is away).
         */
        void sharedOutageSeen(Instant at, String what) {
            Instant before = sharedOutageAt;
            sharedOutageAt = at;
            if (before == null || Duration.between(before, at).compareTo(WATCH_PERIOD.multipliedBy(5)) > 0) {
                log.info("every node that could lead the mailbox is stuck too: keeping it, the give-up clock waits mailbox={} reason={}",
                        mailboxId, what);
            }
        }

        /** The later of {@code t} and the last shared outage seen: where the slow rule's clock starts. */
        private Instant notBeforeSharedOutage(Instant t) {
            Instant shared = sharedOutageAt;
            return shared != null && shared.isAfter(t) ? shared : t;
        }

        /** @return true when the worker was stopped meanwhile */
        private boolean sleep(Duration d) {
            try {
                return stopping.await(d.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        }

        private OutboxSender outboxSender(long epoch) {
            try {
                Optional<SmtpSettings> smtpSettings = mailboxes.smtp(mailboxId);
                if (smtpSettings.isEmpty()) {
                    log.warn("mailbox={} has no SMTP server configured: its outbox is not sent", mailboxId);
                    return null;
                }
                return new OutboxSender(mailboxId, smtpSettings.get(), db, epoch, clock,
                        OutboxSender.Options.defaults(smtpSettings.get()).withClaimExpiry(outboxClaimExpiry));
            } catch (RuntimeException e) {
                log.error("mailbox={} outbox not sent: its SMTP settings are unusable: {}", mailboxId, e.getMessage());
                return null;
            }
        }

        private void closeSender() {
            OutboxSender s = sender;
            sender = null;
            if (s != null) {
                s.close();
            }
        }

        private boolean stopped() {
            return stopping.getCount() == 0;
        }

        /** Tells the worker to stop: cheap, never blocks (beyond the worker's own short start-up section). */
        void signalStop() {
            synchronized (this) {
                stopping.countDown();
            }
        }

        /** Stops the worker and waits for its reader, sender and thread, each up to its I/O timeout. */
        void stop() {
            signalStop();
            MailboxReader r = reader;
            if (r != null) {
                r.close();
            }
            closeSender();
            try {
                thread.join(ioTimeout.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                retire(this);
                stopped.countDown();
            }
        }

        MailCounters counts() {
            MailboxReader r = reader;
            OutboxSender s = countedSender;
            return MailCounters.of(mailboxId, r == null ? null : r.status(), s == null ? null : s.status());
        }

        /** @return whether the worker stopped within its reader's I/O timeout (plus a margin) */
        boolean awaitStopped() {
            try {
                return stopped.await(ioTimeout.plusSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
