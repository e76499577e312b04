package dev.ticketd.mail;

import dev.ticketd.db.RetryableFailures;
import jakarta.mail.FolderClosedException;
import jakarta.mail.MessagingException;
import jakarta.mail.StoreClosedException;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Takes in one mailbox's mail for as long as it runs, under one lease epoch.
 *
 * <p>The INBOX is the queue: every pass lists every message still in it (cheap: UIDs, flags and
 * sizes only), so no mail can be stranded behind a cursor. The listing is worked through
 * {@link #BATCH} mails at a time: a message whose IMAP coordinates are already stored is only moved
 * (after re-checking the epoch); the others are downloaded in one {@code UID FETCH} and stored with
 * one commit ({@link IngestStore#ingestAll}, each mail as it would be alone), and moved to the
 * Processed folder only after that transaction committed durably, together with the other mails
 * committed just before it (one {@code UID MOVE} for up to {@link #MOVE_BATCH}, at most
 * {@link #MOVE_DELAY} after the first commit, and at the end of each pass). A crash between commit
 * and move therefore leaves stored mails in the INBOX, which the next pass (of this or any later
 * reader) recognises and moves; the unique keys make a second insert store nothing. The commit of
 * one set runs on the reader's writer thread while the reader downloads and reads the next (one set
 * in flight, stored in the order listed).
 *
 * <p>Between passes it waits with IMAP IDLE, cut short after the poll interval (the safety poll);
 * without IDLE it sleeps for the poll interval. A pass over a backlog can last minutes; while it
 * takes mail in, the reader tells its {@link PassListener} so every {@link #PROGRESS_EVERY} and
 * keeps {@link Status#lastProgressAt()} current, so that nobody takes a long pass for a stall. A
 * broken connection is reopened with exponential backoff. A mail that fails on its own is logged
 * and left in the INBOX for the next pass; it never stops the mails after it. A stale epoch stops
 * the reader for good.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} once; both from any thread. The reader
 * runs on its own thread.
 */
public final class MailboxReader implements AutoCloseable {

    public enum State { NEW, RUNNING, STOPPED, FENCED_OUT }

    /**
     * What an operator (and the cluster page) needs to know about a reader.
     *
     * @param lastPassAt               when the last pass over the INBOX completed (null: none yet)
     * @param lastProgressAt           when the reader last proved it works: a pass completed or a mail
     *                                 taken in (committed, or found stored; its move follows with its set); null: neither yet
     * @param failedAttempts           passes that failed on one mail (each left it in the INBOX)
     * @param quarantinedAfterFailures mails stored raw in the quarantine after failing too many passes
     * @param failingMails             mails in the INBOX that failed a pass and are not stored yet (after the last pass)
     */
    public record Status(String mailboxId, State state, long epoch, Instant lastPassAt, Instant lastProgressAt, String lastError,
                         long stored, long alreadyStored, long unparseable, long failedAttempts, int oversizedWaiting,
                         long quarantinedAfterFailures, int failingMails) {
    }

    private static final Logger log = LoggerFactory.getLogger(MailboxReader.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration DATABASE_RETRY = Duration.ofMillis(500);
    /**
     * The most listed mails handled together: asked about in one query, downloaded in one
     * {@code UID FETCH}, stored with one commit.
     */
    static final int BATCH = 50;
    /** The most bytes of mail downloaded and stored together (a larger mail goes alone). */
    static final long BATCH_BYTES = 8L * 1024 * 1024;
    /** The most committed mails moved out of the INBOX together (one {@code UID MOVE}). */
    static final int MOVE_BATCH = 50;
    /** The longest a committed mail waits for its move during a pass (it is a ticket already). */
    static final Duration MOVE_DELAY = Duration.ofSeconds(1);
    /** How often a long pass that keeps taking mail in tells its {@link PassListener} so. */
    public static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

    private final MailboxSettings settings;
    private final IngestStore store;
    private final long epoch;
    private final Clock clock;
    private final PassListener passListener;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private final AtomicLong stored = new AtomicLong();
    private final AtomicLong alreadyStored = new AtomicLong();
    private final AtomicLong unparseable = new AtomicLong();
    private final AtomicLong failedAttempts = new AtomicLong();
    private final AtomicLong quarantinedAfterFailures = new AtomicLong();
    private volatile int oversizedWaiting;
    private volatile int failingMails;
    private volatile Instant lastPassAt;
    private volatile Instant lastProgressAt;
    /** When the listener was last told (reader thread only). */
    private Instant lastToldAt = Instant.MIN;
    /**
     * UIDs of this pass's mails that are committed and not moved yet (reader thread only): moved
     * together every {@link #MOVE_BATCH} mails, after {@link #MOVE_DELAY} and at the end of the pass.
     * Never carried into another pass (a new connection may see another UIDVALIDITY); a mail whose
     * move never came is stored, and the next pass only moves it.
     */
    private final List<Long> toMove = new ArrayList<>();
    private long firstToMoveNanos;
    /** Mails of the current pass's listing not taken in yet (reader thread only). */
    private int leftInPass;
    private volatile String lastError;
    private volatile ImapMailbox connection;
    private ScheduledExecutorService waker;
    /** Stores one set at a time while the reader thread downloads and reads the next. */
    private ExecutorService writer;
    /** The set the writer is storing, if any (reader thread only). */
    private Storing storing;
    private Thread thread;

    public MailboxReader(MailboxSettings settings, IngestStore store, long epoch, Clock clock) {
        this(settings, store, epoch, clock, PassListener.NONE);
    }

    public MailboxReader(MailboxSettings settings, IngestStore store, long epoch, Clock clock, PassListener passListener) {
        this.settings = settings;
        this.store = store;
        this.epoch = epoch;
        this.clock = clock;
        this.passListener = passListener;
    }

    public void start() {
        if (!state.compareAndSet(State.NEW, State.RUNNING)) {
            throw new IllegalStateException("reader for mailbox " + settings.id() + " was already started");
        }
        waker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "mailbox-waker-" + settings.id()));
        writer = Executors.newSingleThreadExecutor(r -> daemon(r, "mailbox-writer-" + settings.id()));
        thread = daemon(this::run, "mailbox-reader-" + settings.id());
        thread.start();
        log.info("reader started mailbox={} epoch={} settings={}", settings.id(), epoch, settings);
    }

    public Status status() {
        return new Status(settings.id(), state.get(), epoch, lastPassAt, lastProgressAt, lastError, stored.get(), alreadyStored.get(),
                unparseable.get(), failedAttempts.get(), oversizedWaiting, quarantinedAfterFailures.get(), failingMails);
    }

    public boolean isRunning() {
        return state.get() == State.RUNNING;
    }

    /**
     * Stops promptly: aborts IDLE and any blocking read, interrupts a database retry; a transaction in
     * flight completes or rolls back. Waits up to the I/O timeout (plus 5 s) for the reader's thread.
     */
    @Override
    public void close() {
        State previous = state.getAndUpdate(s -> s == State.FENCED_OUT ? s : State.STOPPED);
        if (previous == State.NEW) {
            return;
        }
        stopSignal.countDown();
        ImapMailbox c = connection;
        if (c != null) {
            c.abort(); // a plain close() would wait for an IDLE that may never end
            c.close();
        }
        if (thread != null && thread != Thread.currentThread()) {
            // cuts short a database retry's wait, a wait for a connection and a parse in progress; a
            // statement under way (a commit among them) ends as the database decides, never half-done
            thread.interrupt();
            if (writer != null) {
                writer.shutdownNow(); // its retry's wait too; stopWriter() below waits for it
            }
            try {
                thread.join(settings.ioTimeout().plusSeconds(5).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (waker != null) {
            waker.shutdownNow();
        }
        stopWriter();
        log.info("reader stopped mailbox={} epoch={}", settings.id(), epoch);
    }

    private void run() {
        Duration backoff = Duration.ofSeconds(1);
        long databaseFailures = 0;
        boolean safetyPollDue = false;
        while (isRunning()) {
            try {
                ImapMailbox c = connection;
                if (c == null || !c.isOpen()) {
                    closeConnection();
                    c = new ImapMailbox(settings);
                    connection = c;
                    c.open();
                    log.info("imap connected mailbox={} host={}:{}", settings.id(), settings.imapHost(), settings.imapPort());
                }
                lastError = null;
                if (safetyPollDue) {
                    c.refresh(); // a real poll asks the server, not this connection's cached view
                }
                int backlog = pass(c);
                lastPassAt = clock.instant();
                lastProgressAt = lastPassAt;
                lastToldAt = lastPassAt;
                passListener.passed(settings.id(), epoch, backlog, lastError);
                backoff = Duration.ofSeconds(1);
                databaseFailures = 0;
                safetyPollDue = waitForNews(c);
            } catch (StaleEpochException e) {
                fencedOut(e);
                return;
            } catch (DataAccessException e) {
                // the database is unreachable or failing over: the IMAP session is fine, and the next
                // try should come soon, because a failover ends within seconds
                if (!isRunning()) {
                    break;
                }
                lastError = e.toString();
                if (databaseFailures++ % 20 == 0) { // every 10 s while it lasts
                    log.warn("mailbox pass failed on the database mailbox={} failures={} retryEvery={} error={}",
                            settings.id(), databaseFailures, DATABASE_RETRY, e.toString());
                }
                sleep(DATABASE_RETRY);
            } catch (MessagingException | IOException | RuntimeException e) {
                if (!isRunning()) {
                    break;
                }
                lastError = e.toString();
                log.warn("mailbox pass failed mailbox={} retryIn={} error={}", settings.id(), backoff, e.toString());
                closeConnection();
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
        closeConnection();
    }

    /**
     * The pass got on: a mail committed, or a set of stored mails moved out of the INBOX. The reader
     * works, however long the pass (a backlog after an outage takes minutes). A stored mail merely
     * found again is no progress: a pass that keeps dying after finding the same ones never gets on.
     * Tells the listener every {@link #PROGRESS_EVERY}, with the mails left.
     */
    private void progressed() {
        Instant now = clock.instant();
        lastProgressAt = now;
        if (Duration.between(lastToldAt, now).compareTo(PROGRESS_EVERY) >= 0) {
            lastToldAt = now;
            passListener.passed(settings.id(), epoch, leftInPass, lastError);
        }
    }

    /**
     * One pass over the INBOX. A failure that concerns one mail (the server refuses to hand it
     * over, the database refuses it, a defect of ours) leaves that mail in the INBOX for the next pass
     * and goes on with the others; only a lost IMAP connection, an unreachable database or a stale
     * epoch ends the pass. Failed passes are counted per mail in the database, so the count survives
     * a leader change; a mail that failed {@link MailBudget#maxFailedPasses()} passes is stored raw
     * in the quarantine instead of being tried again.
     */
    private int pass(ImapMailbox c) throws MessagingException, IOException {
        toMove.clear();
        long uidValidity = c.uidValidity();
        List<ImapMailbox.Listed> listed = c.list();
        Pass pass = new Pass(uidValidity, listed.size(), failingMails(uidValidity, listed));
        leftInPass = pass.left;
        try {
            for (int from = 0; from < listed.size() && isRunning(); from += BATCH) {
                window(c, pass, listed.subList(from, Math.min(listed.size(), from + BATCH)));
            }
            finishStoring(c);
        } finally {
            abandonStoring();
        }
        if (!isRunning()) {
            return pass.left;
        }
        moveCommitted(c);
        oversizedWaiting = pass.tooLarge;
        failingMails = pass.failing.size();
        return pass.left;
    }

    /** What one pass keeps count of (reader thread only). */
    private static final class Pass {
        final long uidValidity;
        final Map<Long, IngestStore.Failure> failing;
        int left;
        int tooLarge;

        Pass(long uidValidity, int listed, Map<Long, IngestStore.Failure> failing) {
            this.uidValidity = uidValidity;
            this.left = listed;
            this.failing = failing;
        }
    }

    /**
     * Up to {@link #BATCH} listed mails: which are stored already is asked in one query (they are only
     * moved, after one check of the epoch); the others that need nothing special are downloaded in one
     * {@code UID FETCH} (at most {@link #BATCH_BYTES} at a time) and stored with one commit
     * ({@link IngestStore#ingestAll}); a mail that failed too often, is over the size limit, or is
     * refused in the set goes its own way ({@link #takeInOne}).
     */
    private void window(ImapMailbox c, Pass pass, List<ImapMailbox.Listed> window) throws MessagingException, IOException {
        List<Long> uids = new ArrayList<>(window.size());
        window.forEach(m -> uids.add(m.uid()));
        Set<Long> known = store.storedUids(settings.id(), pass.uidValidity, uids);
        List<ImapMailbox.Listed> plain = new ArrayList<>();
        List<ImapMailbox.Listed> alone = new ArrayList<>();
        boolean leaseConfirmed = false;
        for (ImapMailbox.Listed m : window) {
            IngestStore.Failure failed = pass.failing.get(m.uid());
            if (known.contains(m.uid())) {
                if (m.deleted()) {
                    continue; // copied and flagged by the no-MOVE path already; only an expunge is missing
                }
                if (!leaseConfirmed) {
                    store.confirmLease(settings.id(), epoch);
                    leaseConfirmed = true;
                }
                alreadyStored.incrementAndGet();
                moveLater(c, m.uid());
                tookIn(pass, m);
            } else if (m.size() > settings.maxMessageBytes() || (failed != null && failed.attempts() >= store.budget().maxFailedPasses())) {
                alone.add(m);
            } else {
                plain.add(m);
            }
        }
        int from = 0;
        while (from < plain.size() && isRunning()) {
            int to = from;
            long bytes = 0;
            while (to < plain.size() && (to == from || bytes + plain.get(to).size() <= BATCH_BYTES)) {
                bytes += plain.get(to).size();
                to++;
            }
            takeInTogether(c, pass, plain.subList(from, to));
            from = to;
        }
        for (ImapMailbox.Listed m : alone) {
            if (!isRunning()) {
                return;
            }
            takeInOne(c, pass, m);
        }
    }

    /** Mails that need nothing special: one download, one commit; each failure is its own mail's. */
    private void takeInTogether(ImapMailbox c, Pass pass, List<ImapMailbox.Listed> mails) throws MessagingException, IOException {
        if (mails.size() == 1) {
            takeInOne(c, pass, mails.get(0));
            return;
        }
        long[] uids = mails.stream().mapToLong(ImapMailbox.Listed::uid).toArray();
        Map<Long, byte[]> raws;
        try {
            raws = c.fetchRawSet(uids);
        } catch (MessagingException e) {
            if (e instanceof FolderClosedException || e instanceof StoreClosedException || !c.isOpen() || !isRunning()) {
                throw e;
            }
            // the server refused the set (one mail it will not hand over refuses them all): one by one,
            // so that only that mail fails
            log.warn("downloading {} mails together failed, taking them in one by one mailbox={} error={}", mails.size(),
                    settings.id(), e.toString());
            for (ImapMailbox.Listed m : mails) {
                if (!isRunning()) {
                    return;
                }
                takeInOne(c, pass, m);
            }
            return;
        }
        List<IngestStore.IncomingMail> incoming = new ArrayList<>(mails.size());
        Map<Long, ImapMailbox.Listed> byUid = new HashMap<>();
        for (ImapMailbox.Listed m : mails) {
            byte[] raw = raws.get(m.uid());
            if (raw == null) {
                tookIn(pass, m); // gone meanwhile (moved by someone else)
                continue;
            }
            incoming.add(new IngestStore.IncomingMail(settings.id(), pass.uidValidity, m.uid(), raw));
            byUid.put(m.uid(), m);
        }
        IngestStore.ReadSet read = store.readAll(incoming); // while the set before is being stored
        finishStoring(c);
        storing = new Storing(pass, byUid, writer.submit(() -> store.storeAll(read, epoch)));
    }

    /** A set handed to the writer: its mails by UID and, once committed, their results. */
    private record Storing(Pass pass, Map<Long, ImapMailbox.Listed> byUid, Future<List<IngestStore.Result>> results) {
    }

    /**
     * Waits for the set in flight, if any, and does what its results ask: counts, moves (committed
     * mails only) and failures; on the reader's thread, as if the set had been stored there. A
     * failure of the whole set (a stale epoch, an unreachable database) is thrown as it was thrown.
     */
    private void finishStoring(ImapMailbox c) throws MessagingException, IOException {
        Storing set = storing;
        if (set == null) {
            return;
        }
        storing = null;
        Pass pass = set.pass();
        for (IngestStore.Result r : awaitStored(set)) {
            ImapMailbox.Listed m = set.byUid().get(r.mail().uid());
            if (r.stored()) {
                counted(r.outcome(), m.uid());
                // only now, after a durable commit, may the mail leave the INBOX (with the next few)
                moveLater(c, m.uid());
                if (pass.failing.containsKey(m.uid())) {
                    store.clearFailure(settings.id(), pass.uidValidity, m.uid());
                }
                tookIn(pass, m);
            } else if (mailFailed(c, pass.uidValidity, m, r.failure())) {
                tookIn(pass, m);
            }
        }
    }

    private static List<IngestStore.Result> awaitStored(Storing set) {
        try {
            return set.results().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BudgetedParser.ReaderInterrupted();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * A pass that ends early (a lost connection, a failed set) waits for the set still in flight, so
     * that the next pass never stores beside it, and counts what it did: its commits are progress and
     * its failing mails count a failed pass, as if the set had finished with the pass. Its stored mails
     * stay in the INBOX until a pass finds them stored and moves them. A stale epoch found by that set
     * is thrown (the reader stops for it, whatever else ended the pass), as is an Error.
     */
    private void abandonStoring() {
        Storing set = storing;
        storing = null;
        if (set == null) {
            return;
        }
        List<IngestStore.Result> results;
        boolean interrupted = Thread.interrupted(); // a stop under way: wait all the same, then stop
        try {
            results = set.results().get(settings.ioTimeout().plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
            return;
        } catch (TimeoutException e) {
            log.warn("set in flight still running as its pass ended mailbox={} waited={}", settings.id(), settings.ioTimeout().plusSeconds(5));
            return;
        } catch (CancellationException e) {
            return;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StaleEpochException stale) {
                throw stale;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            log.debug("set in flight ended with the pass mailbox={} error={}", settings.id(), String.valueOf(e.getCause()));
            return;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        for (IngestStore.Result r : results) {
            if (r.stored()) {
                counted(r.outcome(), r.mail().uid());
            } else {
                try {
                    failedAttempts.incrementAndGet();
                    store.recordFailure(settings.id(), r.mail().uidValidity(), r.mail().uid(), plainError(r.failure()));
                } catch (RuntimeException e) {
                    log.warn("failed pass of a mail not counted mailbox={} uid={} error={}", settings.id(), r.mail().uid(), e.toString());
                }
            }
        }
    }

    /** A mail left the INBOX (or will with its set): one fewer in the pass. */
    private void tookIn(Pass pass, ImapMailbox.Listed m) {
        pass.left--;
        leftInPass = pass.left;
        pass.failing.remove(m.uid());
    }

    /**
     * One mail on its own. A failure that concerns only it (the server refuses to hand it over, the
     * database refuses it, a defect of ours) leaves it in the INBOX for the next pass; only a lost
     * IMAP connection, an unreachable database or a stale epoch ends the pass.
     */
    private void takeInOne(ImapMailbox c, Pass pass, ImapMailbox.Listed m) throws MessagingException, IOException {
        finishStoring(c); // mails become ticket messages in the order listed
        long uidValidity = pass.uidValidity;
        boolean tookIn = false;
        try {
            IngestStore.Failure failed = pass.failing.get(m.uid());
            if (failed != null && failed.attempts() >= store.budget().maxFailedPasses()) {
                // its last pass failed and then so did its quarantine (or the leader died first)
                tookIn = quarantinePoison(c, uidValidity, m, failed.attempts(), failed.lastError());
            } else {
                tookIn = takeIn(c, uidValidity, m);
                if (tookIn && failed != null) {
                    store.clearFailure(settings.id(), uidValidity, m.uid());
                }
            }
        } catch (MessagingException | IOException e) {
            if (e instanceof FolderClosedException || e instanceof StoreClosedException || !c.isOpen() || !isRunning()) {
                throw e;
            }
            tookIn = mailFailed(c, uidValidity, m, e);
        } catch (StaleEpochException | BudgetedParser.ReaderInterrupted e) {
            throw e;
        } catch (RuntimeException e) {
            if (RetryableFailures.isRetryable(e) || !isRunning()) {
                throw e;
            }
            tookIn = mailFailed(c, uidValidity, m, e);
        } finally {
            if (!tookIn && m.size() > settings.maxMessageBytes()) {
                pass.tooLarge++; // could not be quarantined this pass: it waits, counted in status()
            }
        }
        if (tookIn) {
            tookIn(pass, m);
        }
    }

    /**
     * The failed passes (by UID) of the mails listed now; forgets those of mails no longer in the
     * INBOX (moved by another reader, removed by a person, or of an older UIDVALIDITY).
     */
    private Map<Long, IngestStore.Failure> failingMails(long uidValidity, List<ImapMailbox.Listed> listed) {
        Map<Long, IngestStore.Failure> failing = new HashMap<>();
        Set<IngestStore.Failure> failures = store.failures(settings.id());
        if (failures.isEmpty()) {
            return failing;
        }
        Set<Long> uids = new HashSet<>();
        listed.forEach(m -> uids.add(m.uid()));
        for (IngestStore.Failure f : failures) {
            if (f.uidValidity() == uidValidity && uids.contains(f.uid())) {
                failing.put(f.uid(), f);
            } else {
                store.clearFailure(settings.id(), f.uidValidity(), f.uid());
            }
        }
        return failing;
    }

    /** @return whether the mail left the INBOX (it failed too often and is now in the quarantine) */
    private boolean mailFailed(ImapMailbox c, long uidValidity, ImapMailbox.Listed m, Exception e)
            throws MessagingException, IOException {
        String error = plainError(e);
        lastError = error;
        failedAttempts.incrementAndGet();
        int attempts = store.recordFailure(settings.id(), uidValidity, m.uid(), error);
        log.warn("mail not taken in, left in inbox for the next pass mailbox={} uidvalidity={} uid={} failedPasses={} limit={} error={}",
                settings.id(), uidValidity, m.uid(), attempts, store.budget().maxFailedPasses(), e.toString());
        if (attempts < store.budget().maxFailedPasses()) {
            return false;
        }
        try {
            return quarantinePoison(c, uidValidity, m, attempts, error);
        } catch (MessagingException | IOException | RuntimeException again) {
            if (again instanceof StaleEpochException || again instanceof FolderClosedException
                    || again instanceof StoreClosedException || RetryableFailures.isRetryable(again)) {
                throw again;
            }
            log.warn("mail that failed too often could not be quarantined either, it stays in the inbox "
                    + "mailbox={} uidvalidity={} uid={} error={}", settings.id(), uidValidity, m.uid(), again.toString());
            return false;
        }
    }

    /**
     * Stores a mail that failed too many passes raw in the quarantine (its headers only when it is
     * over the size limit) and moves it out of the INBOX, so it stops holding up the mailbox.
     */
    private boolean quarantinePoison(ImapMailbox c, long uidValidity, ImapMailbox.Listed m, int attempts, String lastError)
            throws MessagingException, IOException {
        byte[] raw = m.size() > settings.maxMessageBytes()
                ? c.fetchHeaders(m.uid(), IngestStore.MAX_OVERSIZED_HEADER_BYTES)
                : c.fetchRaw(m.uid());
        if (raw == null) {
            return true; // gone meanwhile (moved by someone else)
        }
        IngestStore.Outcome outcome = store.quarantineAfterFailures(
                new IngestStore.IncomingMail(settings.id(), uidValidity, m.uid(), raw), attempts, lastError, epoch);
        progressed();
        if (outcome == IngestStore.Outcome.STORED_UNPARSEABLE) {
            quarantinedAfterFailures.incrementAndGet();
            unparseable.incrementAndGet();
        }
        log.warn("mail failed too many passes, stored raw in the quarantine mailbox={} uidvalidity={} uid={} failedPasses={} outcome={}",
                settings.id(), uidValidity, m.uid(), attempts, outcome);
        return move(c, uidValidity, m.uid());
    }

    /** What went wrong, in a line a person can read: who refused the mail and what it said, no SQL. */
    static String plainError(Exception e) {
        if (e instanceof DataAccessException) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String state = root instanceof SQLException sql && sql.getSQLState() != null ? " (SQLState " + sql.getSQLState() + ")" : "";
            return "the database refused it: " + firstLine(root.getMessage()) + state;
        }
        if (e instanceof MessagingException) {
            return "the mail server: " + firstLine(e.getMessage());
        }
        return e.getClass().getSimpleName() + ": " + firstLine(e.getMessage());
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int nl = message.indexOf('\n');
        String line = (nl < 0 ? message : message.substring(0, nl)).strip();
        return line.length() <= 300 ? line : line.substring(0, 300) + "…";
    }

    /** @return whether the mail left the INBOX */
    private boolean takeIn(ImapMailbox c, long uidValidity, ImapMailbox.Listed m) throws MessagingException, IOException {
        boolean known = store.isStored(settings.id(), uidValidity, m.uid());
        if (known) {
            if (m.deleted()) {
                return false; // copied and flagged by the no-MOVE path already; only an expunge is missing
            }
            store.confirmLease(settings.id(), epoch);
            alreadyStored.incrementAndGet();
            return moveLater(c, m.uid());
        }
        if (m.size() > settings.maxMessageBytes()) {
            // never downloaded whole: its headers go to the quarantine (fenced and keyed like any
            // other mail, so exactly once across leader changes), then it leaves the INBOX
            byte[] headers = c.fetchHeaders(m.uid(), IngestStore.MAX_OVERSIZED_HEADER_BYTES);
            if (headers == null) {
                return true;
            }
            IngestStore.Outcome outcome = store.quarantineOversized(new IngestStore.IncomingMail(settings.id(), uidValidity,
                    m.uid(), headers), m.size(), settings.maxMessageBytes(), epoch);
            progressed();
            if (outcome == IngestStore.Outcome.STORED_UNPARSEABLE) {
                unparseable.incrementAndGet();
            }
            log.warn("mail over the size limit quarantined with its headers only mailbox={} uid={} size={} limit={} outcome={}",
                    settings.id(), m.uid(), m.size(), settings.maxMessageBytes(), outcome);
            return move(c, uidValidity, m.uid());
        }
        byte[] raw = c.fetchRaw(m.uid());
        if (raw == null) {
            return true; // gone meanwhile (moved by someone else)
        }
        IngestStore.Outcome outcome = store.ingest(new IngestStore.IncomingMail(settings.id(), uidValidity, m.uid(), raw), epoch);
        counted(outcome, m.uid());
        // only now, after a durable commit, may the mail leave the INBOX (with the next few)
        return moveLater(c, m.uid());
    }

    /** Counts a mail's outcome; a commit is progress, found stored (another reader was first) is none. */
    private void counted(IngestStore.Outcome outcome, long uid) {
        if (outcome != IngestStore.Outcome.ALREADY_STORED) {
            progressed();
        }
        switch (outcome) {
            case TICKETED -> stored.incrementAndGet();
            case STORED_UNPARSEABLE -> {
                unparseable.incrementAndGet();
                log.warn("mail stored raw but unparseable mailbox={} uid={}", settings.id(), uid);
            }
            case ALREADY_STORED, STORED_AS_COPY -> alreadyStored.incrementAndGet();
            case CANARY -> log.debug("canary mail received mailbox={} uid={}", settings.id(), uid);
        }
        log.debug("mail taken in mailbox={} uid={} outcome={}", settings.id(), uid, outcome);
    }

    /**
     * A mail is committed: it leaves the INBOX with the others of its batch ({@link #toMove}).
     *
     * @return true (taken in: a mail whose move fails or never comes is only moved by the next pass)
     */
    private boolean moveLater(ImapMailbox c, long uid) throws MessagingException {
        if (toMove.isEmpty()) {
            firstToMoveNanos = System.nanoTime();
        }
        toMove.add(uid);
        if (toMove.size() >= MOVE_BATCH || System.nanoTime() - firstToMoveNanos >= MOVE_DELAY.toNanos()) {
            moveCommitted(c);
        }
        return true;
    }

    /**
     * Moves this pass's committed mails out of the INBOX, all in one command. When the server refuses
     * the set (one mail it will not move refuses them all), they are moved one by one, so that only
     * that mail stays (stored: the next pass tries its move again) and it is nobody else's failure.
     * Only a lost connection ends the pass.
     */
    private void moveCommitted(ImapMailbox c) throws MessagingException {
        if (toMove.isEmpty()) {
            return;
        }
        long[] uids = toMove.stream().mapToLong(Long::longValue).toArray();
        toMove.clear();
        try {
            if (!c.moveToProcessed(uids)) {
                log.warn("server offers neither MOVE nor UIDPLUS: mails copied and flagged \\Deleted but left in inbox mailbox={} mails={}",
                        settings.id(), uids.length);
            }
        } catch (MessagingException e) {
            if (e instanceof FolderClosedException || e instanceof StoreClosedException || !c.isOpen() || !isRunning()) {
                throw e;
            }
            log.warn("moving {} stored mails out of the inbox together failed, moving them one by one mailbox={} error={}",
                    uids.length, settings.id(), e.toString());
            int moved = 0;
            for (long uid : uids) {
                try {
                    c.moveToProcessed(uid);
                    moved++;
                } catch (MessagingException one) {
                    if (one instanceof FolderClosedException || one instanceof StoreClosedException || !c.isOpen() || !isRunning()) {
                        throw one;
                    }
                    log.warn("mail stored but not moved out of the inbox; the next pass tries again mailbox={} uid={} error={}",
                            settings.id(), uid, one.toString());
                }
            }
            if (moved == 0) {
                return; // nothing got on: a pass that only finds the same unmovable mails is no progress
            }
        }
        progressed();
    }

    private boolean move(ImapMailbox c, long uidValidity, long uid) throws MessagingException {
        if (!c.moveToProcessed(uid)) {
            log.warn("server offers neither MOVE nor UIDPLUS: mail copied and flagged \\Deleted but left in inbox mailbox={} uidvalidity={} uid={}",
                    settings.id(), uidValidity, uid);
            return false;
        }
        return true;
    }

    /** @return true when the wait ended by the safety poll rather than by news from the server */
    private boolean waitForNews(ImapMailbox c) throws MessagingException {
        if (!isRunning()) {
            return false;
        }
        // Repeating, not one-shot: a nudge that fires before the IDLE has started (a slow or paused
        // thread) would otherwise be lost, and Angus ignores read timeouts while idling, so the
        // reader would wait for the next new mail however long that takes.
        // If IDLE still has not ended after three nudges, the server is not answering its DONE (seen
        // with GreenMail under load): drop the connection, which ends the blocked read, and reconnect.
        long poll = settings.pollInterval().toMillis();
        AtomicLong nudges = new AtomicLong();
        ScheduledFuture<?> safetyPoll = waker.scheduleAtFixedRate(() -> {
            if (nudges.incrementAndGet() > 3) {
                log.warn("imap idle did not end after {} nudges, reconnecting mailbox={}", nudges.get() - 1, settings.id());
                c.abort();
            } else {
                c.wakeUp();
            }
        }, poll, poll, TimeUnit.MILLISECONDS);
        try {
            if (!c.waitForNews()) {
                sleep(settings.pollInterval());
                return true;
            }
            return nudges.get() > 0;
        } finally {
            safetyPoll.cancel(false);
        }
    }

    private void fencedOut(StaleEpochException e) {
        state.set(State.FENCED_OUT);
        lastError = e.getMessage();
        log.error("reader fenced out, stopping mailbox={} epoch={}: {}", settings.id(), epoch, e.getMessage());
        closeConnection();
        if (waker != null) {
            waker.shutdownNow();
        }
        stopWriter();
    }

    /**
     * Interrupts the writer (a retry's wait ends; a statement under way ends as the database decides)
     * and waits for it as for the reader's thread, so that no transaction of this reader runs on
     * after it stopped.
     */
    private void stopWriter() {
        ExecutorService w = writer;
        if (w == null || w.isTerminated()) {
            return;
        }
        w.shutdownNow();
        try {
            if (!w.awaitTermination(settings.ioTimeout().plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("the reader's writer did not stop in time mailbox={} epoch={}", settings.id(), epoch);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeConnection() {
        ImapMailbox c = connection;
        connection = null;
        if (c != null) {
            c.close();
        }
    }

    private void sleep(Duration d) {
        try {
            stopSignal.await(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            state.compareAndSet(State.RUNNING, State.STOPPED);
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
