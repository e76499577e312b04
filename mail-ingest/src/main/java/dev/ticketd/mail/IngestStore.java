package dev.ticketd.mail;

import dev.ticketd.db.Database;
import dev.ticketd.db.RetryableFailures;
import dev.ticketd.db.Transactions;
import dev.ticketd.db.generated.tables.records.InboundMessageRecord;
import dev.ticketd.desk.Columns;
import dev.ticketd.mail.quarantine.HeaderPeek;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.InsertReturningStep;
import org.jooq.Name;
import org.jooq.Record2;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.ticketd.db.generated.Tables.CANARY_PROBE;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAIL_CONTENT;
import static dev.ticketd.db.generated.Tables.MAIL_FAILURE;

/**
 * Stores mail exactly once. One transaction per mail (or per batch, {@link #ingestAll}, each mail as
 * it would be alone): check the epoch, insert the raw message
 * ({@code ON CONFLICT DO NOTHING} against both unique keys: IMAP coordinates and content key),
 * and only when that inserted a row, attach it to a ticket. A parsed mail is attached only when it is
 * the first stored copy of its content in any mailbox ({@code mail_content}); a copy delivered to
 * another of our addresses is stored, marked a copy of the first, and attached to nothing. No IMAP I/O happens in here; the
 * caller moves the mail out of the INBOX only after this returned (a durable commit).
 */
public final class IngestStore {

    /** What became of one mail. */
    public enum Outcome {
        /** Stored now and attached to a ticket. */
        TICKETED,
        /**
         * Stored now, raw, marked {@code failed} with the reason: unreadable, or not to become a ticket
         * (a bounce for a message we do not know). It is in quarantine; a person will see it.
         */
        STORED_UNPARSEABLE,
        /** Stored before (same coordinates or same content): nothing was created. */
        ALREADY_STORED,
        /**
         * Stored now under its own IMAP coordinates, but the same mail (by content key) had been stored
         * first from another of our mailboxes: marked a copy of that one, no ticket message created.
         */
        STORED_AS_COPY,
        /**
         * Stored now: the self-watch's {@link Canary} mail, whose token it sent to this mailbox. Its
         * probe is marked received; no ticket, no acknowledgement, nothing staff see.
         */
        CANARY
    }

    /** One mail as read from the server. */
    public record IncomingMail(String mailboxId, long uidValidity, long uid, byte[] raw) {
    }

    /** The most of a mail over the size limit that is kept: its headers, cut here. */
    public static final int MAX_OVERSIZED_HEADER_BYTES = 256 * 1024;
    /** How the reason of a mail quarantined for its size begins: its stored raw bytes are its headers only. */
    public static final String OVERSIZED_REASON = "too large: ";

    /** How many mails of a batch are read (parsed) at once: one a core. */
    static final int PARSE_THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());

    private static final Logger log = LoggerFactory.getLogger(IngestStore.class);

    private final DSLContext reads;
    private final Transactions transactions;
    private final BudgetedParser parser;
    private final TicketsFromMail tickets;
    private final IngestObserver observer;
    private final MailBudget budget;
    /** Reads the mails of one {@link #ingestAll} batch in parallel, one a core; idle threads end. */
    private final ThreadPoolExecutor preparers;

    public IngestStore(Database db, MailParser parser, TicketsFromMail tickets) {
        this(db, parser, tickets, IngestObserver.NONE);
    }

    public IngestStore(Database db, MailParser parser, TicketsFromMail tickets, IngestObserver observer) {
        this(db, parser, tickets, observer, MailBudget.DEFAULT);
    }

    public IngestStore(Database db, MailParser parser, TicketsFromMail tickets, IngestObserver observer, MailBudget budget) {
        this.observer = observer;
        this.reads = db.dsl();
        this.transactions = db.transactions();
        this.parser = new BudgetedParser(parser, budget);
        this.tickets = tickets;
        this.budget = budget;
        AtomicInteger numbers = new AtomicInteger();
        this.preparers = new ThreadPoolExecutor(PARSE_THREADS, PARSE_THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "mail-read-" + numbers.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.preparers.allowCoreThreadTimeOut(true);
    }

    public MailBudget budget() {
        return budget;
    }

    /** Parses past their time budget that are still running (see {@link BudgetedParser#overrunning()}). */
    public int parsesOverBudget() {
        return parser.overrunning();
    }

    /** Is a mail with these IMAP coordinates stored? A hint that saves downloading it, never a guard. */
    public boolean isStored(String mailboxId, long uidValidity, long uid) {
        return reads.fetchExists(INBOUND_MESSAGE, INBOUND_MESSAGE.MAILBOX_ID.eq(mailboxId)
                .and(INBOUND_MESSAGE.UIDVALIDITY.eq(uidValidity)).and(INBOUND_MESSAGE.UID.eq(uid)));
    }

    /**
     * Which of these IMAP coordinates are stored, in one query: a hint that saves downloading mails,
     * never a guard.
     */
    public Set<Long> storedUids(String mailboxId, long uidValidity, Collection<Long> uids) {
        if (uids.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(reads.select(INBOUND_MESSAGE.UID).from(INBOUND_MESSAGE)
                .where(INBOUND_MESSAGE.MAILBOX_ID.eq(mailboxId))
                .and(INBOUND_MESSAGE.UIDVALIDITY.eq(uidValidity))
                .and(INBOUND_MESSAGE.UID.in(uids))
                .fetch(INBOUND_MESSAGE.UID));
    }

    /**
     * Re-checks the epoch of a reader about to move a mail that is already stored.
     *
     * @throws StaleEpochException when another reader holds the lease
     */
    public void confirmLease(String mailboxId, long epoch) {
        try {
            transactions.run(tx -> EpochFence.check(tx, mailboxId, epoch));
        } catch (StaleEpochException e) {
            observer.epochRejected(mailboxId);
            throw e;
        }
    }

    /**
     * Stores a mail and everything that follows from it, or nothing.
     *
     * @throws StaleEpochException when another reader holds the lease (nothing was written)
     */
    public Outcome ingest(IncomingMail mail, long epoch) {
        long started = System.nanoTime();
        try {
            Outcome outcome = storeOne(prepare(mail), epoch);
            observer.ingested(mail.mailboxId(), outcome, Duration.ofNanos(System.nanoTime() - started));
            return outcome;
        } catch (StaleEpochException e) {
            observer.epochRejected(mail.mailboxId());
            throw e;
        }
    }

    /**
     * What became of one mail of {@link #ingestAll}: its outcome, or the failure that left it unstored
     * (a failure of this mail alone; the others of its batch went on).
     */
    public record Result(IncomingMail mail, Outcome outcome, RuntimeException failure) {
        public boolean stored() {
            return failure == null;
        }
    }

    /**
     * Stores several mails of one mailbox, each exactly as {@link #ingest} would, with one commit for
     * all: their content is read in parallel ({@link #PARSE_THREADS} at a time, each within its own
     * budget) before the transaction, which checks the epoch once and stores them in order. When that
     * transaction fails on something other than an unreachable database (one mail the database refuses,
     * a defect), every mail is stored again in a transaction of its own, so that a failing mail fails
     * alone. Nothing of a mail is visible before its commit; the caller moves mails only after this returned.
     *
     * @param mails of one mailbox, in the order they are to become ticket messages
     * @return one result for each mail, in the same order
     * @throws StaleEpochException when another reader holds the lease (nothing of the batch was written)
     * @throws RuntimeException    a database that cannot be reached (retryable): mails before it may be stored
     */
    public List<Result> ingestAll(List<IncomingMail> mails, long epoch) {
        return storeAll(readAll(mails), epoch);
    }

    /**
     * Mails of one mailbox whose content is read ({@link #readAll}) and that wait for their commit
     * ({@link #storeAll}). Nothing of them is in the database yet.
     */
    public static final class ReadSet {
        private final List<IncomingMail> mails;
        private final List<Object> prepared;
        private final long readNanos;

        private ReadSet(List<IncomingMail> mails, List<Object> prepared, long readNanos) {
            this.mails = mails;
            this.prepared = prepared;
            this.readNanos = readNanos;
        }
    }

    /**
     * The first half of {@link #ingestAll}: reads the mails' content, in parallel, each within its
     * budget; no database work. A reader reads the next set while the one before is being stored.
     */
    public ReadSet readAll(List<IncomingMail> mails) {
        long started = System.nanoTime();
        List<Object> prepared = mails.isEmpty() ? List.of() : prepareAll(mails);
        return new ReadSet(List.copyOf(mails), prepared, System.nanoTime() - started);
    }

    /** The second half of {@link #ingestAll}: stores a set read by {@link #readAll}, with one commit. */
    public List<Result> storeAll(ReadSet set, long epoch) {
        List<IncomingMail> mails = set.mails;
        if (mails.isEmpty()) {
            return List.of();
        }
        String mailboxId = mails.get(0).mailboxId();
        long started = System.nanoTime();
        List<Object> prepared = set.prepared;
        List<Prepared> ready = new ArrayList<>();
        for (Object p : prepared) {
            if (p instanceof Prepared r) {
                ready.add(r);
            }
        }
        Map<Prepared, Outcome> outcomes = new IdentityHashMap<>();
        try {
            if (ready.size() > 1) {
                try {
                    List<Outcome> together = transactions.write(tx -> {
                        EpochFence.check(tx, mailboxId, epoch);
                        List<Outcome> out = new ArrayList<>(ready.size());
                        for (Prepared r : ready) {
                            out.add(store(tx, r, epoch, false));
                        }
                        return out;
                    });
                    for (int i = 0; i < ready.size(); i++) {
                        outcomes.put(ready.get(i), together.get(i));
                    }
                } catch (StaleEpochException | BudgetedParser.ReaderInterrupted e) {
                    throw e;
                } catch (RuntimeException e) {
                    if (RetryableFailures.isRetryable(e)) {
                        throw e;
                    }
                    log.info("a batch of {} mails failed together, storing each on its own mailbox={} error={}", ready.size(),
                            mailboxId, MailboxReader.plainError(e));
                }
            }
            List<Result> results = new ArrayList<>(mails.size());
            for (int i = 0; i < mails.size(); i++) {
                Object p = prepared.get(i);
                if (p instanceof RuntimeException failed) {
                    results.add(new Result(mails.get(i), null, failed));
                    continue;
                }
                Prepared r = (Prepared) p;
                Outcome outcome = outcomes.get(r);
                if (outcome == null) {
                    try {
                        outcome = storeOne(r, epoch);
                    } catch (StaleEpochException | BudgetedParser.ReaderInterrupted e) {
                        throw e;
                    } catch (RuntimeException e) {
                        if (RetryableFailures.isRetryable(e)) {
                            throw e;
                        }
                        results.add(new Result(r.mail(), null, e));
                        continue;
                    }
                }
                results.add(new Result(r.mail(), outcome, null));
            }
            // each mail's share of the set's reading and storing (not of its wait for the set before):
            // what intake costs a mail, as the timer reports it
            Duration each = Duration.ofNanos((set.readNanos + System.nanoTime() - started) / mails.size());
            for (Result r : results) {
                if (r.stored()) {
                    observer.ingested(mailboxId, r.outcome(), each);
                }
            }
            return results;
        } catch (StaleEpochException e) {
            observer.epochRejected(mailboxId);
            throw e;
        }
    }

    /** A mail whose content is read: what its transaction needs, every value capped in size. */
    private record Prepared(IncomingMail mail, String contentKey, String rawSha, ParseResult parsed, String canaryToken) {
    }

    /**
     * All work on the mail's content happens here, before any transaction and within the mail's budget;
     * the transaction does database work on values already capped in size.
     */
    private Prepared prepare(IncomingMail mail) {
        String contentKey = ContentKey.of(mail.raw());
        String rawSha = ContentKey.rawSha256(mail.raw());
        ParseResult parsed = parser.parse(mail.raw());
        if (BudgetedParser.isOverBudget(parsed)) {
            observer.overBudget(mail.mailboxId());
        }
        String canaryToken = Canary.claimedToken(mail.raw()).orElse(null);
        return new Prepared(mail, contentKey, rawSha, parsed, canaryToken);
    }

    /**
     * Each mail {@link #prepare prepared}, at most {@link #PARSE_THREADS} at once (so that a mail's
     * budget, counted from its start, is not spent waiting for a core).
     *
     * @return for each mail its {@link Prepared}, or the RuntimeException that stopped it
     */
    private List<Object> prepareAll(List<IncomingMail> mails) {
        List<Object> out = new ArrayList<>(mails.size());
        if (mails.size() == 1 || PARSE_THREADS == 1) {
            for (IncomingMail m : mails) {
                out.add(prepareOrFailure(m));
            }
            return out;
        }
        List<Future<Object>> futures = new ArrayList<>(mails.size());
        for (IncomingMail m : mails) {
            futures.add(preparers.submit(() -> prepareOrFailure(m)));
        }
        try {
            for (Future<Object> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new BudgetedParser.ReaderInterrupted();
        } catch (ExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            // prepareOrFailure returns what one mail can cause; what is left (out of memory) is not the mail's
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private Object prepareOrFailure(IncomingMail mail) {
        try {
            return prepare(mail);
        } catch (BudgetedParser.ReaderInterrupted e) {
            throw e;
        } catch (RuntimeException e) {
            return e;
        } catch (StackOverflowError e) {
            return new IllegalStateException("the mail could not be read: " + e, e);
        }
    }

    /** One mail in a transaction of its own; a value the database refuses stores the mail raw instead. */
    private Outcome storeOne(Prepared p, long epoch) {
        try {
            return transactions.write(tx -> store(tx, p, epoch, true));
        } catch (DataAccessException e) {
            if (!Columns.isAboutThisMail(e)) {
                throw e;
            }
            // The database refused something derived from this mail (a value it cannot hold). The
            // raw bytes can always be stored: keep them, marked, so a person sees the mail.
            IncomingMail mail = p.mail();
            log.warn("mail refused as a ticket, storing it raw mailbox={} uid={} sqlState={}", mail.mailboxId(), mail.uid(), e.sqlState());
            ParseResult refused = new ParseResult.Failed("The mail was read, but the database refused to store it as a ticket ("
                    + e.sqlState() + ": " + firstLine(Optional.ofNullable(e.getCause()).map(Throwable::getMessage).orElse(e.getMessage()))
                    + "); it was stored as it arrived for a person to look at.");
            Prepared raw = new Prepared(mail, p.contentKey(), p.rawSha(), refused, p.canaryToken());
            return transactions.write(tx -> store(tx, raw, epoch, true));
        }
    }

    /** @param fence whether to check the epoch here (false: the caller's transaction checked it already) */
    private Outcome store(DSLContext tx, Prepared prepared, long epoch, boolean fence) {
        IncomingMail mail = prepared.mail();
        String contentKey = prepared.contentKey();
        String rawSha = prepared.rawSha();
        String canaryToken = prepared.canaryToken();
        ParseResult parsed = prepared.parsed();
        ParsedMail ok = parsed instanceof ParseResult.Parsed p ? p.mail() : null;
        String error = parsed instanceof ParseResult.Failed f ? f.reason() : null;
        if (fence) {
            EpochFence.check(tx, mail.mailboxId(), epoch);
        }
        InsertReturningStep<InboundMessageRecord> insert = tx.insertInto(INBOUND_MESSAGE)
                .set(INBOUND_MESSAGE.MAILBOX_ID, mail.mailboxId())
                .set(INBOUND_MESSAGE.UIDVALIDITY, mail.uidValidity())
                .set(INBOUND_MESSAGE.UID, mail.uid())
                .set(INBOUND_MESSAGE.CONTENT_KEY, contentKey)
                .set(INBOUND_MESSAGE.RAW_SHA256, rawSha)
                .set(INBOUND_MESSAGE.RAW, mail.raw())
                .set(INBOUND_MESSAGE.SIZE_BYTES, mail.raw().length)
                .set(INBOUND_MESSAGE.MESSAGE_ID, ok == null ? null : ok.messageId().map(id -> Columns.truncate(id, 998)).orElse(null))
                .set(INBOUND_MESSAGE.FROM_ADDRESS, ok == null ? null : Columns.truncate(ok.fromAddress(), 320))
                .set(INBOUND_MESSAGE.SUBJECT, ok == null ? null : ok.subject())
                .set(INBOUND_MESSAGE.SENT_AT, ok == null ? null : ok.sentAt().orElse(null))
                .set(INBOUND_MESSAGE.PARSE_STATUS, ok == null ? "failed" : "parsed")
                .set(INBOUND_MESSAGE.PARSE_ERROR, error)
                .set(INBOUND_MESSAGE.EPOCH, epoch)
                .onConflictDoNothing();
        // Global exactly-once across mailboxes: the first copy of this content to commit owns it
        // (mail_content). A concurrent transaction holding the same key makes that insert wait for
        // its commit (then it conflicts) or its rollback (then it inserts); read committed lets the
        // select below see it. Claimed before attach, and attach is what takes the other locks
        // (ticket, contact), so two copies cannot deadlock. A parsed mail that is no canary (nearly
        // every mail) is stored and claims its content in one statement.
        Optional<Long> inboundId;
        Boolean first = null;
        if (ok != null && canaryToken == null) {
            Record2<Long, Boolean> row = storeAndClaim(tx, insert, contentKey);
            inboundId = Optional.ofNullable(row).map(Record2::value1);
            first = row != null && row.value2();
        } else {
            inboundId = insert.returning(INBOUND_MESSAGE.ID).fetchOptional(INBOUND_MESSAGE.ID);
        }
        if (inboundId.isEmpty()) {
            recordRepeatDelivery(tx, mail, contentKey);
            return Outcome.ALREADY_STORED;
        }
        if (canaryToken != null && isAwaitedCanary(tx, mail.mailboxId(), canaryToken, inboundId.get())) {
            return Outcome.CANARY;
        }
        if (ok == null) {
            return Outcome.STORED_UNPARSEABLE;
        }
        if (first == null) {
            first = tx.insertInto(MAIL_CONTENT)
                    .set(MAIL_CONTENT.CONTENT_KEY, contentKey)
                    .set(MAIL_CONTENT.INBOUND_MESSAGE_ID, inboundId.get())
                    .onConflictDoNothing()
                    .execute() == 1;
        }
        if (!first) {
            long firstId = tx.select(MAIL_CONTENT.INBOUND_MESSAGE_ID).from(MAIL_CONTENT)
                    .where(MAIL_CONTENT.CONTENT_KEY.eq(contentKey)).fetchSingle(MAIL_CONTENT.INBOUND_MESSAGE_ID);
            tx.update(INBOUND_MESSAGE)
                    .set(INBOUND_MESSAGE.COPY_OF_INBOUND_MESSAGE_ID, firstId)
                    .where(INBOUND_MESSAGE.ID.eq(inboundId.get()))
                    .execute();
            tickets.recordCopy(tx, mail.mailboxId(), inboundId.get(), firstId);
            return Outcome.STORED_AS_COPY;
        }
        try {
            tickets.attach(tx, mail.mailboxId(), inboundId.get(), ok);
        } catch (TicketsFromMail.NotTicketable notTicketable) {
            // thrown before attach wrote anything: the raw mail stays, in quarantine with the reason
            log.info("mail stored but not ticketed mailbox={} uid={} reason={}", mail.mailboxId(), mail.uid(),
                    notTicketable.reason());
            tx.update(INBOUND_MESSAGE)
                    .set(INBOUND_MESSAGE.PARSE_STATUS, "failed")
                    .set(INBOUND_MESSAGE.PARSE_ERROR, notTicketable.reason())
                    .where(INBOUND_MESSAGE.ID.eq(inboundId.get()))
                    .execute();
            return Outcome.STORED_UNPARSEABLE;
        }
        return Outcome.TICKETED;
    }

    /**
     * Inserts the mail ({@code insert}) and, when that stored a row, claims its content key, in one
     * statement: {@code with inserted as (insert … returning id), claimed as (insert into mail_content
     * select … from inserted on conflict do nothing returning …) select id, exists(claimed) from inserted}.
     *
     * @return the new row's id and whether its content was claimed; null when the mail was stored before
     */
    private static Record2<Long, Boolean> storeAndClaim(DSLContext tx, InsertReturningStep<InboundMessageRecord> insert,
                                                        String contentKey) {
        Name inserted = DSL.name("inserted");
        Name claimed = DSL.name("claimed");
        Field<Long> insertedId = DSL.field(DSL.name("inserted", "id"), Long.class);
        return tx.with(inserted).as(insert.returning(INBOUND_MESSAGE.ID))
                .with(claimed).as(DSL.insertInto(MAIL_CONTENT, MAIL_CONTENT.CONTENT_KEY, MAIL_CONTENT.INBOUND_MESSAGE_ID)
                        .select(DSL.select(DSL.val(contentKey), insertedId).from(DSL.table(inserted)))
                        .onConflictDoNothing()
                        .returning(MAIL_CONTENT.INBOUND_MESSAGE_ID))
                .select(insertedId, DSL.field(DSL.exists(DSL.selectOne().from(DSL.table(claimed)))))
                .from(DSL.table(inserted))
                .fetchOne();
    }

    /**
     * Marks the probe of {@code token} received by this mail when the self-watch sent it to this
     * mailbox and it was not received before; whether it did. The mail itself is stored already
     * (under the usual exactly-once keys): a second copy of a canary never gets here.
     */
    private static boolean isAwaitedCanary(DSLContext tx, String mailboxId, String token, long inboundId) {
        return tx.update(CANARY_PROBE)
                .set(CANARY_PROBE.RECEIVED_AT, DSL.currentOffsetDateTime())
                .set(CANARY_PROBE.INBOUND_MESSAGE_ID, inboundId)
                .where(CANARY_PROBE.TOKEN.eq(token))
                .and(CANARY_PROBE.MAILBOX_ID.eq(mailboxId))
                .and(CANARY_PROBE.RECEIVED_AT.isNull())
                .execute() == 1;
    }

    /**
     * The same mail stored before under other IMAP coordinates (the server delivered it again, or
     * handed it out under a new UIDVALIDITY): nothing new is stored, but the ticket it became says so
     * once per delivery, so staff can see why the mail is not there twice.
     */
    private void recordRepeatDelivery(DSLContext tx, IncomingMail mail, String contentKey) {
        tx.select(INBOUND_MESSAGE.ID, INBOUND_MESSAGE.UIDVALIDITY, INBOUND_MESSAGE.UID, INBOUND_MESSAGE.COPY_OF_INBOUND_MESSAGE_ID)
                .from(INBOUND_MESSAGE)
                .where(INBOUND_MESSAGE.MAILBOX_ID.eq(mail.mailboxId()))
                .and(INBOUND_MESSAGE.CONTENT_KEY.eq(contentKey))
                .fetchOptional()
                .filter(first -> first.value2() != mail.uidValidity() || first.value3() != mail.uid())
                .ifPresent(first -> tickets.recordRepeatDelivery(tx, mail.mailboxId(),
                        first.value4() != null ? first.value4() : first.value1(), mail.uidValidity(), mail.uid()));
    }

    /**
     * Counts one more failed pass of a mail (outside any transaction of the mail's own, which rolled back).
     *
     * @return how many passes have failed on this mail so far, across leaders
     */
    public int recordFailure(String mailboxId, long uidValidity, long uid, String error) {
        String shortError = Columns.truncate(error == null ? "" : error, 2_000);
        int attempts = transactions.write(tx -> tx.insertInto(MAIL_FAILURE)
                .set(MAIL_FAILURE.MAILBOX_ID, mailboxId)
                .set(MAIL_FAILURE.UIDVALIDITY, uidValidity)
                .set(MAIL_FAILURE.UID, uid)
                .set(MAIL_FAILURE.ATTEMPTS, 1)
                .set(MAIL_FAILURE.LAST_ERROR, shortError)
                .onConflict(MAIL_FAILURE.MAILBOX_ID, MAIL_FAILURE.UIDVALIDITY, MAIL_FAILURE.UID)
                .doUpdate()
                .set(MAIL_FAILURE.ATTEMPTS, MAIL_FAILURE.ATTEMPTS.plus(1))
                .set(MAIL_FAILURE.LAST_ERROR, shortError)
                .set(MAIL_FAILURE.LAST_FAILED_AT, DSL.currentOffsetDateTime())
                .returning(MAIL_FAILURE.ATTEMPTS)
                .fetchSingle(MAIL_FAILURE.ATTEMPTS));
        observer.mailFailed(mailboxId);
        return attempts;
    }

    /** The mails of a mailbox that failed a pass and are not stored yet: UID by UIDVALIDITY. */
    public Set<Failure> failures(String mailboxId) {
        return new HashSet<>(reads.select(MAIL_FAILURE.UIDVALIDITY, MAIL_FAILURE.UID, MAIL_FAILURE.ATTEMPTS, MAIL_FAILURE.LAST_ERROR)
                .from(MAIL_FAILURE).where(MAIL_FAILURE.MAILBOX_ID.eq(mailboxId))
                .fetch(r -> new Failure(r.value1(), r.value2(), r.value3(), r.value4())));
    }

    /** A mail that failed {@code attempts} passes so far, the latest with {@code lastError}. */
    public record Failure(long uidValidity, long uid, int attempts, String lastError) {
    }

    /** Forgets the failed passes of a mail that is now stored or no longer in the INBOX. */
    public void clearFailure(String mailboxId, long uidValidity, long uid) {
        transactions.run(tx -> tx.deleteFrom(MAIL_FAILURE)
                .where(MAIL_FAILURE.MAILBOX_ID.eq(mailboxId))
                .and(MAIL_FAILURE.UIDVALIDITY.eq(uidValidity))
                .and(MAIL_FAILURE.UID.eq(uid))
                .execute());
    }

    /**
     * Stores a mail that failed {@code attempts} passes raw in the quarantine, so it stops holding up
     * its mailbox: fenced by the epoch and keyed like any other mail, so exactly once. No parsing: its
     * content key is the same as intake's when that can be worked out, else its exact bytes'.
     *
     * @return {@link Outcome#STORED_UNPARSEABLE} when recorded now, {@link Outcome#ALREADY_STORED} when it was before
     * @throws StaleEpochException when another reader holds the lease (nothing was written)
     */
    public Outcome quarantineAfterFailures(IncomingMail mail, int attempts, String lastError, long epoch) {
        String contentKey;
        try {
            contentKey = ContentKey.of(mail.raw());
        } catch (RuntimeException | StackOverflowError e) {
            contentKey = ContentKey.rawSha256(mail.raw());
        }
        String key = contentKey;
        String reason = "The mail could not be taken in: " + attempts + " passes over the mailbox failed on it, so it was "
                + "stored as it arrived for a person to look at. Last error: " + Columns.truncate(lastError == null ? "" : lastError, 300);
        try {
            Outcome outcome = transactions.write(tx -> {
                EpochFence.check(tx, mail.mailboxId(), epoch);
                boolean inserted = insertUnread(tx, mail, key, mail.raw().length, reason, epoch);
                tx.deleteFrom(MAIL_FAILURE)
                        .where(MAIL_FAILURE.MAILBOX_ID.eq(mail.mailboxId()))
                        .and(MAIL_FAILURE.UIDVALIDITY.eq(mail.uidValidity()))
                        .and(MAIL_FAILURE.UID.eq(mail.uid()))
                        .execute();
                return inserted ? Outcome.STORED_UNPARSEABLE : Outcome.ALREADY_STORED;
            });
            if (outcome == Outcome.STORED_UNPARSEABLE) {
                observer.quarantinedAfterFailures(mail.mailboxId());
            }
            observer.ingested(mail.mailboxId(), outcome, Duration.ZERO);
            return outcome;
        } catch (StaleEpochException e) {
            observer.epochRejected(mail.mailboxId());
            throw e;
        }
    }

    /**
     * Records a mail over the size limit in the quarantine without its body: {@code mail.raw()} holds
     * only its header section, {@code size} is the whole mail's size on the server. One transaction,
     * fenced by the epoch and keyed like any other mail (its IMAP coordinates, and a content key of
     * its headers and size), so it is recorded exactly once whichever leader sees it, however often.
     *
     * @return {@link Outcome#STORED_UNPARSEABLE} when recorded now, {@link Outcome#ALREADY_STORED} when it was before
     * @throws StaleEpochException when another reader holds the lease (nothing was written)
     */
    public Outcome quarantineOversized(IncomingMail headersOnly, long size, long limit, long epoch) {
        byte[] head = headersOnly.raw();
        String contentKey = ContentKey.rawSha256(concat(("oversized:" + size + "\n").getBytes(StandardCharsets.US_ASCII),
                ContentKey.of(head).getBytes(StandardCharsets.US_ASCII)));
        String reason = OVERSIZED_REASON + size + " bytes, the limit is " + limit
                + "; only its headers are stored, the whole mail is in the Processed folder";
        try {
            Outcome outcome = transactions.write(tx -> {
                EpochFence.check(tx, headersOnly.mailboxId(), epoch);
                boolean inserted = insertUnread(tx, headersOnly, contentKey, size, reason, epoch);
                return inserted ? Outcome.STORED_UNPARSEABLE : Outcome.ALREADY_STORED;
            });
            observer.ingested(headersOnly.mailboxId(), outcome, Duration.ZERO);
            return outcome;
        } catch (StaleEpochException e) {
            observer.epochRejected(headersOnly.mailboxId());
            throw e;
        }
    }

    /**
     * Stores a mail's bytes unread, marked failed with {@code reason} (so it is in the quarantine);
     * sender and subject only as {@link HeaderPeek} can see them, for the list.
     *
     * @param size the whole mail's size on the server (more than {@code mail.raw()} holds when only its headers are kept)
     * @return whether it was stored now (false: these coordinates or this content were stored before)
     */
    private static boolean insertUnread(DSLContext tx, IncomingMail mail, String contentKey, long size, String reason, long epoch) {
        return tx.insertInto(INBOUND_MESSAGE)
                .set(INBOUND_MESSAGE.MAILBOX_ID, mail.mailboxId())
                .set(INBOUND_MESSAGE.UIDVALIDITY, mail.uidValidity())
                .set(INBOUND_MESSAGE.UID, mail.uid())
                .set(INBOUND_MESSAGE.CONTENT_KEY, contentKey)
                .set(INBOUND_MESSAGE.RAW_SHA256, ContentKey.rawSha256(mail.raw()))
                .set(INBOUND_MESSAGE.RAW, mail.raw())
                .set(INBOUND_MESSAGE.SIZE_BYTES, (int) Math.min(Integer.MAX_VALUE, size))
                .set(INBOUND_MESSAGE.FROM_ADDRESS, HeaderPeek.fromAddress(mail.raw()).orElse(null))
                .set(INBOUND_MESSAGE.SUBJECT, HeaderPeek.header(mail.raw(), "Subject").orElse(null))
                .set(INBOUND_MESSAGE.PARSE_STATUS, "failed")
                .set(INBOUND_MESSAGE.PARSE_ERROR, reason)
                .set(INBOUND_MESSAGE.EPOCH, epoch)
                .onConflictDoNothing()
                .execute() == 1;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static String firstLine(String message) {
        String line = message == null ? "" : message.lines().findFirst().orElse("").strip();
        return Columns.truncate(line, 300);
    }
}
