package dev.ticketd.mail.outbound;

import dev.ticketd.db.Database;
import dev.ticketd.db.Transactions;
import dev.ticketd.mail.StaleEpochException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sends one mailbox's outbox for as long as it runs, under one lease epoch (promise 5).
 *
 * <p>Each mail: claim its row in a transaction that first checks the epoch (status 'sending',
 * attempts + 1, claimed_at, claimed_epoch) and commit; send it over SMTP with its stable
 * Message-ID; record the result in a second transaction: 'sent' with the server's reply, back to
 * 'pending' with a growing backoff and the error for a transient failure, or 'failed' for a
 * permanent refusal (5xx) or after {@link Options#maxAttempts()}. No transaction is open while
 * SMTP talks.
 *
 * <p>A mail is therefore sent twice only when a sender died (or could not record the result)
 * between handing the mail to the server and committing 'sent': its row stays 'sending' and,
 * once the claim is older than {@link Options#claimExpiry()} (longer than any one send can take),
 * the next sender sends it again with the same Message-ID, so the recipient's mail program can
 * recognise the copy. Such re-sends are counted in {@link Status#resent()}.
 *
 * <p>A stale epoch stops the sender for good (a newer leader sends the outbox now); an unreachable
 * database or SMTP server is retried with backoff. Lifecycle: {@link #start()} once,
 * {@link #close()} once, both from any thread; the sender runs on its own thread.
 */
public final class OutboxSender implements AutoCloseable {

    public enum State { NEW, RUNNING, STOPPED, FENCED_OUT }

    /**
     * What an operator (and the cluster page) needs to know about a sender.
     *
     * @param sent              mails the SMTP server accepted
     * @param retried           transient failures (the mail waits for its next attempt)
     * @param failed            mails given up (permanent refusal or too many attempts)
     * @param resent            rows found 'sending' past the claim expiry and sent again (possible duplicates)
     * @param lastError         the last failure, or null after a pass without one
     */
    public record Status(String mailboxId, State state, long epoch, Instant lastPassAt, Instant lastSentAt,
                         String lastError, long sent, long retried, long failed, long resent) {
    }

    /**
     * @param pollInterval how often the outbox is looked at when it was empty
     * @param batchSize    at most this many mails per pass (then the next pass starts at once)
     * @param claimExpiry  a 'sending' row claimed longer ago than this is taken over; must exceed
     *                     {@link SmtpSettings#longestSend()}
     * @param maxAttempts  a mail that failed this often (transiently) is given up as 'failed'
     * @param minBackoff   wait after a mail's first transient failure; doubles per attempt
     * @param maxBackoff   the longest wait between attempts (of a mail, and of the sender after losing its server)
     */
    public record Options(Duration pollInterval, int batchSize, Duration claimExpiry, int maxAttempts,
                          Duration minBackoff, Duration maxBackoff) {

        public Options {
            Objects.requireNonNull(pollInterval, "pollInterval");
            Objects.requireNonNull(claimExpiry, "claimExpiry");
            Objects.requireNonNull(minBackoff, "minBackoff");
            Objects.requireNonNull(maxBackoff, "maxBackoff");
            if (pollInterval.toMillis() < 10 || batchSize < 1 || maxAttempts < 1 || minBackoff.toMillis() < 10
                    || maxBackoff.compareTo(minBackoff) < 0) {
                throw new IllegalArgumentException("invalid outbox sender options: " + this);
            }
        }

        /** Every second, 20 a pass, 5 s to 15 min backoff, give up after 100 attempts (about a day). */
        public static Options defaults(SmtpSettings smtp) {
            return new Options(Duration.ofSeconds(1), 20, defaultClaimExpiry(smtp.longestSend()), 100, Duration.ofSeconds(5),
                    Duration.ofMinutes(15));
        }

        /** Twice the longest send, and at least 15 minutes. */
        public static Duration defaultClaimExpiry(Duration longestSend) {
            Duration expiry = longestSend.multipliedBy(2);
            return expiry.compareTo(Duration.ofMinutes(15)) < 0 ? Duration.ofMinutes(15) : expiry;
        }

        public Options withClaimExpiry(Duration expiry) {
            return new Options(pollInterval, batchSize, expiry, maxAttempts, minBackoff, maxBackoff);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(OutboxSender.class);

    private final String mailboxId;
    private final SmtpSettings smtp;
    private final long epoch;
    private final Clock clock;
    private final Options options;
    private final OutboxRows rows;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong resent = new AtomicLong();
    private volatile Instant lastPassAt;
    private volatile Instant lastSentAt;
    private volatile String lastError;
    private Thread thread;
    /** Rows this sender handed to SMTP whose result it could not record (only this thread touches it). */
    private final java.util.Set<Long> handedOverUnrecorded = new java.util.HashSet<>();
    private final Object sendLock = new Object();
    /** Giving back a claim at shutdown must not hold up the handover: a short budget, then the claim expiry decides. */
    private static final Duration RELEASE_BUDGET = Duration.ofSeconds(2);
    private final Transactions releases;
    private boolean stopping;     // guarded by sendLock
    private boolean sendingMail;  // guarded by sendLock: between handing a mail to SMTP and recording the result

    public OutboxSender(String mailboxId, SmtpSettings smtp, Database db, long epoch, Clock clock) {
        this(mailboxId, smtp, db, epoch, clock, Options.defaults(smtp));
    }

    public OutboxSender(String mailboxId, SmtpSettings smtp, Database db, long epoch, Clock clock, Options options) {
        this.mailboxId = Objects.requireNonNull(mailboxId, "mailboxId");
        this.smtp = Objects.requireNonNull(smtp, "smtp");
        this.epoch = epoch;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.options = Objects.requireNonNull(options, "options");
        if (options.claimExpiry().compareTo(smtp.longestSend()) <= 0) {
            throw new IllegalArgumentException("mailbox " + mailboxId + ": the claim expiry " + options.claimExpiry()
                    + " must be longer than the longest SMTP send " + smtp.longestSend());
        }
        this.rows = new OutboxRows(db.transactions(), mailboxId, epoch);
        this.releases = db.transactions().withRetryBudget(RELEASE_BUDGET);
    }

    public void start() {
        if (!state.compareAndSet(State.NEW, State.RUNNING)) {
            throw new IllegalStateException("outbox sender for mailbox " + mailboxId + " was already started");
        }
        thread = new Thread(this::run, "outbox-sender-" + mailboxId);
        thread.setDaemon(true);
        thread.start();
        log.info("outbox sender started mailbox={} epoch={} smtp={}", mailboxId, epoch, smtp);
    }

    public Status status() {
        return new Status(mailboxId, state.get(), epoch, lastPassAt, lastSentAt, lastError, sent.get(), retried.get(),
                failed.get(), resent.get());
    }

    /** Once this is false after {@link #close()}, no mail that was not yet handed to SMTP will be. */
    public boolean isRunning() {
        return state.get() == State.RUNNING;
    }

    /**
     * Stops promptly: no new mail is claimed, and a claim or a transaction waiting to be retried
     * while the database is away is interrupted (a leader that lost its database must hand the
     * mailbox over at once, not after the retry budget). A mail already handed to SMTP is not cut
     * off (that would make a duplicate likely); its send ends within the SMTP timeouts and its
     * result is recorded by the (daemon) thread after this returned, if it takes longer than the wait here.
     */
    @Override
    public void close() {
        synchronized (sendLock) {
            // one step with the stopping flag, so that a sender seen not running sends nothing new
            State previous = state.getAndUpdate(s -> s == State.FENCED_OUT ? s : State.STOPPED);
            if (previous == State.NEW) {
                return;
            }
            stopping = true;
            // a claim or a database retry is cut short; a mail handed to SMTP, and the recording of
            // its result, are not (cutting them off would make a duplicate likely)
            if (!sendingMail && thread != null && thread != Thread.currentThread()) {
                thread.interrupt();
            }
        }
        stopSignal.countDown();
        if (thread != null && thread != Thread.currentThread()) {
            try {
                thread.join(smtp.connectTimeout().plus(smtp.readTimeout()).plusSeconds(1).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        log.info("outbox sender stopped mailbox={} epoch={}", mailboxId, epoch);
    }

    private void run() {
        Duration serverBackoff = options.minBackoff();
        try (SmtpDelivery smtpConnection = new SmtpDelivery(smtp, () -> Date.from(clock.instant()))) {
            while (isRunning()) {
                Pass pass;
                try {
                    pass = pass(smtpConnection);
                } catch (StaleEpochException e) {
                    state.set(State.FENCED_OUT);
                    lastError = e.getMessage();
                    log.error("outbox sender fenced out, stopping mailbox={} epoch={}: {}", mailboxId, epoch, e.getMessage());
                    return;
                } catch (RuntimeException e) {
                    // the database, most likely: nothing was claimed, or a claim waits for its expiry
                    lastError = e.toString();
                    log.warn("outbox pass failed mailbox={} retryIn={} error={}", mailboxId, serverBackoff, e.toString());
                    sleep(serverBackoff);
                    serverBackoff = doubled(serverBackoff);
                    continue;
                } finally {
                    smtpConnection.close(); // no idle SMTP connection between passes
                }
                lastPassAt = clock.instant();
                if (pass.serverLost()) {
                    sleep(serverBackoff);
                    serverBackoff = doubled(serverBackoff);
                } else {
                    serverBackoff = options.minBackoff();
                    if (pass.handled() < options.batchSize()) {
                        sleep(options.pollInterval());
                    }
                }
            }
        }
    }

    private record Pass(int handled, boolean serverLost) {
    }

    /** Up to one batch; ends early when the SMTP server is unreachable (the other mails would fail alike). */
    private Pass pass(SmtpDelivery smtpConnection) {
        String error = null;
        for (int i = 0; i < options.batchSize(); i++) {
            if (!isRunning()) {
                lastError = error;
                return new Pass(i, false);
            }
            Optional<OutboxRows.Claimed> claimed = rows.claimNext(options.claimExpiry(), handedOverUnrecorded);
            if (claimed.isEmpty()) {
                lastError = error;
                return new Pass(i, false);
            }
            OutboxRows.Claimed row = claimed.get();
            if (row.reclaimed()) {
                resent.incrementAndGet();
                log.warn("outbox row left 'sending' past its claim expiry, sending it again with the same Message-ID "
                        + "(a duplicate if the earlier sender had delivered it) mailbox={} outbox={} messageId={} attempt={}",
                        mailboxId, row.id(), row.messageId(), row.attempt());
            }
            SmtpDelivery.Result result;
            synchronized (sendLock) {
                if (stopping) {
                    lastError = error;
                    releaseUnsent(row);
                    return new Pass(i, false);
                }
                sendingMail = true;
            }
            try {
                result = smtpConnection.deliver(row);
                record(row, result);
            } finally {
                synchronized (sendLock) {
                    sendingMail = false;
                }
            }
            if (result instanceof SmtpDelivery.Result.Transient t) {
                error = t.error();
                if (t.connectionLost()) {
                    lastError = error;
                    return new Pass(i + 1, true);
                }
            } else if (result instanceof SmtpDelivery.Result.Permanent p) {
                error = p.error();
            } else if (result instanceof SmtpDelivery.Result.Uncertain u) {
                lastError = u.error(); // the server stopped answering: back off like a lost connection
                return new Pass(i + 1, true);
            }
        }
        lastError = error;
        return new Pass(options.batchSize(), false);
    }

    /**
     * Claimed, then told to stop before the mail went to SMTP: give the claim back, so the next
     * leader sends the mail at once (found by the chaos scenario: a reply claimed in the last
     * moment of a leadership waited for the 15-minute claim expiry). When that fails too, the row
     * waits for the claim expiry as any other claim of a sender that stopped.
     */
    private void releaseUnsent(OutboxRows.Claimed row) {
        boolean interrupted = Thread.interrupted(); // close() may have interrupted the claim just made
        try {
            boolean released = rows.release(row, releases);
            log.info("outbox sender stopping, claim given back unsent mailbox={} outbox={} released={}", mailboxId, row.id(), released);
        } catch (RuntimeException e) {
            log.warn("outbox sender stopping, could not give back an unsent claim; it is sent after the claim expiry "
                    + "mailbox={} outbox={} error={}", mailboxId, row.id(), e.toString());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Records the result; retried while the database is away, because a mail that went out but is
     * not recorded as sent would be sent again after the claim expiry.
     */
    private void record(OutboxRows.Claimed row, SmtpDelivery.Result result) {
        Duration wait = Duration.ofMillis(200);
        Instant giveUpAt = clock.instant().plus(options.claimExpiry().dividedBy(2));
        while (true) {
            try {
                boolean ours;
                if (result instanceof SmtpDelivery.Result.Sent s) {
                    ours = recordSent(row, s);
                } else if (result instanceof SmtpDelivery.Result.Transient t) {
                    ours = recordTransient(row, t);
                } else if (result instanceof SmtpDelivery.Result.Uncertain u) {
                    handedOverUnrecorded.add(row.id()); // may have gone out: only the claim expiry sends it again
                    log.warn("no answer after a mail's data; it may have been delivered, so it is sent again only after the "
                            + "claim expiry mailbox={} outbox={} messageId={} error={}", mailboxId, row.id(), row.messageId(), u.error());
                    ours = rows.uncertain(row, u.error());
                } else {
                    ours = recordPermanent(row, (SmtpDelivery.Result.Permanent) result);
                }
                if (!ours) {
                    log.warn("outbox row was claimed by another sender meanwhile, result not recorded mailbox={} outbox={} result={}",
                            mailboxId, row.id(), result);
                }
                return;
            } catch (RuntimeException e) {
                if (!isRunning() || clock.instant().isAfter(giveUpAt)) {
                    handedOverUnrecorded.add(row.id()); // it may have gone out: only a claim expiry may send it again
                    log.error("could not record an outbox result; the row stays 'sending' and is retried after the claim "
                            + "expiry mailbox={} outbox={} result={} error={}", mailboxId, row.id(), result, e.toString());
                    throw e;
                }
                log.warn("recording an outbox result failed, retrying mailbox={} outbox={} error={}", mailboxId, row.id(), e.toString());
                sleep(wait);
                wait = doubled(wait);
            }
        }
    }

    private boolean recordSent(OutboxRows.Claimed row, SmtpDelivery.Result.Sent s) {
        boolean ours = rows.sent(row, s.smtpReply());
        sent.incrementAndGet();
        lastSentAt = clock.instant();
        log.info("mail sent mailbox={} outbox={} kind={} messageId={} attempt={} reply={}",
                mailboxId, row.id(), row.kind(), row.messageId(), row.attempt(), s.smtpReply());
        return ours;
    }

    private boolean recordTransient(OutboxRows.Claimed row, SmtpDelivery.Result.Transient t) {
        if (row.attempt() >= options.maxAttempts()) {
            failed.incrementAndGet();
            log.error("mail given up after {} attempts mailbox={} outbox={} messageId={} error={}",
                    row.attempt(), mailboxId, row.id(), row.messageId(), t.error());
            return rows.failed(row, "gave up after " + row.attempt() + " attempts: " + t.error());
        }
        retried.incrementAndGet();
        Duration backoff = backoff(row.attempt());
        log.warn("mail not sent, retrying later mailbox={} outbox={} attempt={} retryIn={} error={}",
                mailboxId, row.id(), row.attempt(), backoff, t.error());
        return rows.retryLater(row, t.error(), backoff);
    }

    private boolean recordPermanent(OutboxRows.Claimed row, SmtpDelivery.Result.Permanent p) {
        failed.incrementAndGet();
        log.error("mail refused for good mailbox={} outbox={} messageId={} error={}", mailboxId, row.id(), row.messageId(), p.error());
        return rows.failed(row, p.error());
    }

    /** minBackoff × 2^(attempt-1), at most maxBackoff. */
    Duration backoff(int attempt) {
        Duration d = options.minBackoff();
        for (int i = 1; i < attempt && d.compareTo(options.maxBackoff()) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(options.maxBackoff()) > 0 ? options.maxBackoff() : d;
    }

    private Duration doubled(Duration d) {
        Duration twice = d.multipliedBy(2);
        return twice.compareTo(options.maxBackoff()) > 0 ? options.maxBackoff() : twice;
    }

    private void sleep(Duration d) {
        try {
            stopSignal.await(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            state.compareAndSet(State.RUNNING, State.STOPPED);
        }
    }
}
