package dev.ticketd.node.watch;

import dev.ticketd.db.Database;
import dev.ticketd.mail.Canary;
import dev.ticketd.mail.CanarySweep;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.outbound.OneOffMail;
import dev.ticketd.mail.outbound.SmtpSettings;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import static dev.ticketd.db.generated.Tables.CANARY_PROBE;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;

/**
 * The canary: every {@code watch.canary-interval} the watching node sends a tagged mail
 * ({@link Canary}) to each support mailbox through the mailbox's own SMTP route, as a customer's
 * mail would arrive, and intake takes it in through the same code as any mail — exactly once, but
 * into no ticket. A canary not taken in within {@code watch.canary-deadline} is late; after a first
 * late one the next is sent at once (not an interval later), and so on while they are late, so two in
 * a row — a {@code mailbox-stalled} alert — are known within about an interval and two deadlines of the fault. It finds what no other
 * signal can: a mail server that accepts mail and never delivers it, a route that refuses it.
 *
 * <p>Each probe is a row in {@code canary_probe}, inserted before its mail is sent (so intake can
 * recognise it however fast it arrives); sends run on a thread of their own, so a hung SMTP server
 * never delays the watch's round. Every {@link #SWEEP_EVERY} the canaries intake took in are deleted
 * from each mailbox's Processed folder ({@link CanarySweep}, on the same thread), and canaries older
 * than {@link #RETENTION} from the database with their stored mail. The watch thread calls {@link #round}; {@link #sent()} and {@link #failed()} may be
 * read from any thread.
 */
final class Canaries implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Canaries.class);
    /** How long canaries and their stored mail are kept. */
    static final Duration RETENTION = Duration.ofDays(7);
    private static final Duration CLEAN_EVERY = Duration.ofHours(1);
    static final Duration SWEEP_EVERY = Duration.ofMinutes(10);
    private static final int SWEEP_MAX = 500;
    private static final int CLEAN_BATCH = 500;
    /** Of each mailbox the canaries of this last while are read: enough for "late in a row", bounded. */
    private static final Duration READ_BACK = Duration.ofMinutes(30);
    private static final int READ_LIMIT = 6;
    private static final Field<Double> AGE = DSL.field("extract(epoch from now() - {0})", Double.class, CANARY_PROBE.SENT_AT).as("age");
    private static final Field<Double> TOOK = DSL.field("extract(epoch from {0} - {1})", Double.class, CANARY_PROBE.RECEIVED_AT,
            CANARY_PROBE.SENT_AT).as("took");

    private final Database db;
    private final Function<String, Optional<SmtpSettings>> routes;
    /** How to read each mailbox over IMAP, for the sweep of its Processed folder. */
    private final Function<String, Optional<MailboxSettings>> mailboxes;
    private final String nodeId;
    private final Duration interval;
    private final Duration deadline;
    private final ExecutorService sender;
    /** Mailboxes whose canary is being sent now: no second one until that send ended. */
    private final Set<String> sending = ConcurrentHashMap.newKeySet();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private Instant lastClean = Instant.EPOCH;
    private final Map<String, Instant> lastSweep = new HashMap<>();
    private final AtomicLong swept = new AtomicLong();

    /**
     * @param routes    each mailbox's SMTP route (host, login, its address as sender), or empty when it has none
     * @param mailboxes how to read each mailbox over IMAP, or empty when this node cannot
     */
    Canaries(Database db, Function<String, Optional<SmtpSettings>> routes, Function<String, Optional<MailboxSettings>> mailboxes,
             String nodeId, Duration interval, Duration deadline) {
        this.db = db;
        this.routes = routes;
        this.mailboxes = mailboxes;
        this.nodeId = nodeId;
        this.interval = interval;
        this.deadline = deadline;
        this.sender = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "canary-sender");
            t.setDaemon(true);
            return t;
        });
    }

    /** A canary mail handed to its route by this node. */
    long sent() {
        return sent.get();
    }

    /** Canary mails this node deleted from a Processed folder. */
    long swept() {
        return swept.get();
    }

    /** A canary mail its route refused or could not take from this node. */
    long failed() {
        return failed.get();
    }

    /**
     * One round of the watching node: reads each mailbox's latest canaries, sends the ones due,
     * now and then deletes old ones.
     *
     * @param mailboxes the mailboxes that take mail now (not paused)
     * @return each mailbox's canary signal (mailboxes without a route have none)
     */
    List<Sample.CanarySignal> round(List<Sample.MailboxSignal> mailboxes, Instant now) {
        List<Sample.CanarySignal> out = new ArrayList<>();
        Map<String, List<Probe>> latest = latest(mailboxes.stream().map(Sample.MailboxSignal::id).toList());
        for (Sample.MailboxSignal m : mailboxes) {
            Optional<SmtpSettings> route = routes.apply(m.id());
            if (route.isEmpty()) {
                continue;
            }
            List<Probe> probes = latest.getOrDefault(m.id(), List.of());
            if (isDue(probes)) {
                send(m.id(), m.address(), route.get());
            }
            if (Duration.between(lastSweep.getOrDefault(m.id(), Instant.EPOCH), now).compareTo(SWEEP_EVERY) >= 0) {
                lastSweep.put(m.id(), now);
                sweepLater(m.id());
            }
            out.add(signal(m, probes));
        }
        if (Duration.between(lastClean, now).compareTo(CLEAN_EVERY) >= 0) {
            lastClean = now;
            cleanUp();
        }
        return out;
    }

    /** One canary as read: its age and, when it came back, how long that took. */
    record Probe(Duration age, Duration took, String sendError) {
    }

    /** Whether a canary is late: refused by its route, or not back within the deadline. */
    boolean late(Probe p) {
        return p.sendError() != null || (p.took() == null ? p.age().compareTo(deadline) >= 0 : p.took().compareTo(deadline) > 0);
    }

    /** Whether a canary is still on its way within its deadline: neither late nor on time yet. */
    private boolean undecided(Probe p) {
        return p.sendError() == null && p.took() == null && p.age().compareTo(deadline) < 0;
    }

    /**
     * Newest first: none yet, the interval passed, or the newest is late — then one more at once, and
     * every deadline while they stay late, so a stop is confirmed soon and its end seen soon (at most
     * a few canaries a minute wait at a mail server that does not deliver).
     */
    boolean isDue(List<Probe> newestFirst) {
        if (newestFirst.isEmpty()) {
            return true;
        }
        Probe last = newestFirst.get(0);
        return last.age().compareTo(interval) >= 0 || (late(last) && last.age().compareTo(deadline) >= 0);
    }

    Sample.CanarySignal signal(Sample.MailboxSignal m, List<Probe> newestFirst) {
        int lateInARow = 0;
        String error = null;
        for (Probe p : newestFirst) {
            if (undecided(p)) {
                continue;
            }
            if (!late(p)) {
                break;
            }
            if (lateInARow == 0) {
                error = p.sendError();
            }
            lateInARow++;
        }
        Duration took = newestFirst.stream().map(Probe::took).filter(t -> t != null).findFirst().orElse(null);
        return new Sample.CanarySignal(m.id(), m.address(), lateInARow, took, error);
    }

    /** The latest canaries of each mailbox, newest first: a few rows each, by the (mailbox, sent_at) index. */
    private Map<String, List<Probe>> latest(List<String> mailboxIds) {
        Map<String, List<Probe>> out = new HashMap<>();
        for (String id : mailboxIds) {
            out.put(id, db.dsl().select(AGE, TOOK, CANARY_PROBE.SEND_ERROR).from(CANARY_PROBE)
                    .where(CANARY_PROBE.MAILBOX_ID.eq(id))
                    .and(CANARY_PROBE.SENT_AT.gt(ago(READ_BACK)))
                    .orderBy(CANARY_PROBE.SENT_AT.desc(), CANARY_PROBE.ID.desc())
                    .limit(READ_LIMIT)
                    .fetch(r -> new Probe(seconds(r.get(AGE)), r.get(TOOK) == null ? null : seconds(r.get(TOOK)), r.get(CANARY_PROBE.SEND_ERROR))));
        }
        return out;
    }

    /** Records the probe, then hands its mail to the route on the sender thread. */
    private void send(String mailboxId, String address, SmtpSettings route) {
        if (!sending.add(mailboxId)) {
            return; // the previous canary's send has not ended
        }
        String token = Canary.newToken();
        String messageId = Canary.messageId(token, address);
        try {
            db.transactions().run(tx -> tx.insertInto(CANARY_PROBE)
                    .set(CANARY_PROBE.MAILBOX_ID, mailboxId)
                    .set(CANARY_PROBE.TOKEN, token)
                    .set(CANARY_PROBE.MESSAGE_ID, messageId)
                    .set(CANARY_PROBE.SENT_BY, nodeId)
                    .execute());
            sender.execute(() -> {
                try {
                    OneOffMail.send(route, List.of(address), "ticketd canary for " + address,
                            "This mail tests that mail sent to " + address + " reaches the help desk. The help desk takes it in"
                                    + " and drops it; nobody needs to read it.",
                            Map.of(Canary.HEADER, token, "Auto-Submitted", "auto-generated", "X-Auto-Response-Suppress", "All"),
                            messageId);
                    sent.incrementAndGet();
                    log.debug("canary sent mailbox={} messageId={}", mailboxId, messageId);
                } catch (Exception e) {
                    failed.incrementAndGet();
                    String why = e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).lines().findFirst().orElse("");
                    log.warn("canary could not be sent mailbox={} error={}", mailboxId, why);
                    recordSendError(token, why);
                } finally {
                    sending.remove(mailboxId);
                }
            });
        } catch (RejectedExecutionException e) {
            sending.remove(mailboxId); // closing
        } catch (RuntimeException e) {
            sending.remove(mailboxId);
            throw e;
        }
    }

    /** Deletes the mailbox's received canaries from its Processed folder, on the sender thread. */
    private void sweepLater(String mailboxId) {
        Optional<MailboxSettings> settings = mailboxes.apply(mailboxId);
        if (settings.isEmpty()) {
            return;
        }
        try {
            sender.execute(() -> sweep(settings.get()));
        } catch (RejectedExecutionException closing) {
            // the watch is closing
        }
    }

    /** Deletes the mailbox's canaries that intake took in from its Processed folder; how many. */
    int sweep(MailboxSettings settings) {
        try {
            int n = CanarySweep.sweep(settings, (token, messageId) -> db.dsl().fetchExists(CANARY_PROBE,
                    CANARY_PROBE.TOKEN.eq(token).and(CANARY_PROBE.MESSAGE_ID.eq(messageId))
                            .and(CANARY_PROBE.MAILBOX_ID.eq(settings.id())).and(CANARY_PROBE.RECEIVED_AT.isNotNull())), SWEEP_MAX);
            swept.addAndGet(n);
            if (n > 0) {
                log.debug("canaries deleted from the processed folder mailbox={} count={}", settings.id(), n);
            }
            return n;
        } catch (Exception e) {
            log.warn("canaries not deleted from the processed folder mailbox={} error={}", settings.id(), e.toString());
            return 0;
        }
    }

    private void recordSendError(String token, String why) {
        try {
            db.transactions().run(tx -> tx.update(CANARY_PROBE)
                    .set(CANARY_PROBE.SEND_ERROR, why.length() > 500 ? why.substring(0, 500) : why)
                    .where(CANARY_PROBE.TOKEN.eq(token)).execute());
        } catch (RuntimeException e) {
            log.warn("canary send error not recorded token-prefix={} error={}", token.substring(0, 6), e.toString());
        }
    }

    /** Deletes canaries older than the retention, with the mail stored for them, a batch at a time. */
    void cleanUp() {
        try {
            int deleted = db.transactions().write(tx -> {
                List<Long> ids = tx.select(CANARY_PROBE.ID).from(CANARY_PROBE)
                        .where(CANARY_PROBE.SENT_AT.lt(ago(RETENTION)))
                        .orderBy(CANARY_PROBE.ID).limit(CLEAN_BATCH).fetch(CANARY_PROBE.ID);
                if (ids.isEmpty()) {
                    return 0;
                }
                List<Long> inbound = tx.select(CANARY_PROBE.INBOUND_MESSAGE_ID).from(CANARY_PROBE)
                        .where(CANARY_PROBE.ID.in(ids)).and(CANARY_PROBE.INBOUND_MESSAGE_ID.isNotNull())
                        .fetch(CANARY_PROBE.INBOUND_MESSAGE_ID);
                tx.deleteFrom(CANARY_PROBE).where(CANARY_PROBE.ID.in(ids)).execute();
                tx.deleteFrom(INBOUND_MESSAGE).where(INBOUND_MESSAGE.ID.in(inbound)).execute();
                return ids.size();
            });
            if (deleted > 0) {
                log.info("old canaries deleted count={}", deleted);
            }
        } catch (RuntimeException e) {
            log.warn("old canaries not deleted error={}", e.toString());
        }
    }

    /** The database's now minus {@code d} (whole seconds). */
    private static Field<OffsetDateTime> ago(Duration d) {
        return DSL.field("now() - make_interval(secs => {0})", OffsetDateTime.class, DSL.val((double) d.toSeconds()));
    }

    private static Duration seconds(Double s) {
        return Duration.ofMillis(Math.max(0, Math.round((s == null ? 0 : s) * 1000)));
    }

    @Override
    public void close() {
        sender.shutdownNow();
    }
}
