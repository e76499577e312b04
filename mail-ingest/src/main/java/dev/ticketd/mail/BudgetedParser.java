package dev.ticketd.mail;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Parses a mail within a time budget: the caller waits at most {@link MailBudget#parseTimeout()} and
 * then gets a {@link ParseResult.Failed} saying so, whatever the mail holds. Every stage of the
 * parser is meant to be linear in the mail's size (and capped), so this is the second wall: a stage
 * that turns out slower on some input costs the mailbox one timeout, not its intake.
 *
 * <p>Parsing runs on a thread of its own. A parse past its budget is interrupted and abandoned:
 * Java cannot stop a thread that ignores interrupts (a regex, jsoup), so it may run on to its end;
 * {@link #overrunning()} says how many do. An {@link Error} in the parser (a stack overflow on deep
 * nesting) fails that mail only. Thread-safe.
 */
public final class BudgetedParser {

    private static final Logger log = LoggerFactory.getLogger(BudgetedParser.class);
    private static final int RUNNING = 0;
    private static final int DONE = 1;
    private static final int ABANDONED = 2;

    private final MailParser parser;
    private final Duration timeout;
    private final String timeoutText;
    private final AtomicInteger overrunning = new AtomicInteger();
    private final AtomicInteger threadNumbers = new AtomicInteger();
    // unbounded, so an abandoned parse never holds up the next mail's; idle threads end after a minute
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "mail-parse-" + threadNumbers.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    public BudgetedParser(MailParser parser, MailBudget budget) {
        this.parser = parser;
        this.timeout = budget.parseTimeout();
        this.timeoutText = budget.parseTimeoutText();
    }

    private static final String OVER_BUDGET = "The mail took longer than ";

    /** The reason of a mail that took longer than its budget to read, as a person sees it. */
    static String overBudgetReason(String limit) {
        return OVER_BUDGET + limit + " to read (the limit per mail), so it was stored as it arrived "
                + "for a person to look at; the mails after it went on.";
    }

    /** Whether this is the outcome of a parse that ran out of its budget. */
    public static boolean isOverBudget(ParseResult result) {
        return result instanceof ParseResult.Failed f && f.reason().startsWith(OVER_BUDGET);
    }

    public ParseResult parse(byte[] raw) {
        // RUNNING -> DONE when the parse ends in time; RUNNING -> ABANDONED when its budget runs out first
        AtomicInteger state = new AtomicInteger(RUNNING);
        Future<ParseResult> parsing = threads.submit(() -> {
            try {
                return parser.parse(raw);
            } finally {
                if (!state.compareAndSet(RUNNING, DONE)) {
                    overrunning.decrementAndGet(); // an abandoned parse has ended after all
                }
                Thread.interrupted(); // a late interrupt must not leak into the pool's next task
            }
        });
        try {
            return parsing.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            overrunning.incrementAndGet();
            if (!state.compareAndSet(RUNNING, ABANDONED)) {
                overrunning.decrementAndGet(); // it ended just now: take its result after all
                return result(parsing, raw.length);
            }
            parsing.cancel(true);
            log.warn("mail took longer than its parse budget, storing it raw for the quarantine budget={} size={} parsesStillRunning={}",
                    timeout, raw.length, overrunning.get());
            return new ParseResult.Failed(overBudgetReason(timeoutText));
        } catch (ExecutionException e) {
            return failed(e.getCause(), raw.length);
        } catch (InterruptedException e) {
            parsing.cancel(true);
            Thread.currentThread().interrupt();
            throw new ReaderInterrupted();
        }
    }

    private static ParseResult result(Future<ParseResult> done, int size) {
        try {
            return done.get();
        } catch (ExecutionException e) {
            return failed(e.getCause(), size);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReaderInterrupted();
        }
    }

    private static ParseResult failed(Throwable cause, int size) {
        log.warn("parser failed on a mail size={} error={}", size, cause.toString());
        return new ParseResult.Failed("The mail could not be read: the parser stopped with "
                + cause.getClass().getSimpleName() + ".");
    }

    /** Parses past their budget that have not ended yet (each one may be using a core). */
    public int overrunning() {
        return overrunning.get();
    }

    /** The thread waiting for a parse was interrupted: its reader is stopping. Not the mail's fault. */
    public static final class ReaderInterrupted extends RuntimeException {
        ReaderInterrupted() {
            super("interrupted while waiting for a mail to be parsed", null, false, false);
        }
    }
}
