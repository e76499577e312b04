package dev.ticketd.db;

import com.zaxxer.hikari.HikariDataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs work in one database transaction, reports success only for a durable commit, and rides out
 * a failover of the database by retrying.
 *
 * <p>PostgreSQL answers a commit whose wait for synchronous replication was cancelled with
 * success plus the warning {@code canceling wait for synchronous replication}; the row may then
 * vanish on failover. Such a commit is reported here as {@link CommitNotDurableException}.
 *
 * <p>A transaction that fails for a retryable reason ({@link RetryableFailures}: the connection
 * broke, the server is shutting down or read-only, no connection in time, a commit not durable) is
 * run again, whole, on a new connection, with backoff, until the {@link RetryPolicy}'s budget is
 * spent; then {@link DatabaseUnavailableException}. Any other failure is thrown at once. <b>The
 * work may therefore run more than once, and a commit whose answer was lost may have happened</b>:
 * every caller's work must be idempotent (fenced by an epoch, keyed by an idempotency key or
 * {@code ON CONFLICT}) and must do nothing outside the database that cannot be repeated.
 *
 * <p>Inside the work only the given {@link DSLContext} may be used; it is bound to the
 * transaction's connection. Thread-safe; {@link #withRetryBudget(Duration)} views share the pool
 * and the counters.
 */
public final class Transactions {

    static final String SYNC_REP_CANCELLED = "canceling wait for synchronous replication";

    private static final Logger log = LoggerFactory.getLogger(Transactions.class);

    /** Counters shared by all budget views of one pool, for metrics. */
    public static final class RetryCounters {
        private final AtomicLong retries = new AtomicLong();
        private final AtomicLong exhausted = new AtomicLong();

        /** Attempts that failed retryably and were tried again. */
        public long retries() {
            return retries.get();
        }

        /** Transactions given up with {@link DatabaseUnavailableException}. */
        public long exhausted() {
            return exhausted.get();
        }
    }

    /**
     * How a failed attempt waits out its backoff before the next. {@link #SLEEP} sleeps; with Patroni
     * the wait ends as soon as Patroni names another primary than the one the attempt saw, so a
     * transaction that failed on a vanished primary is tried on the promoted one at once instead of
     * up to a backoff later.
     */
    public interface RetryWait {
        RetryWait SLEEP = (seen, millis) -> Thread.sleep(millis);

        /** What the attempt about to start sees (e.g. the primary's address); null when nothing is known. */
        default Object view() {
            return null;
        }

        /** Waits {@code millis}, or less once the database is no longer as {@code seen} (from {@link #view()} before the attempt). */
        void await(Object seen, long millis) throws InterruptedException;
    }

    private final DataSource dataSource;
    private final RetryPolicy policy;
    private final RetryCounters counters;
    private final RetryWait wait;

    /** Transactions without retry (a single attempt), e.g. for tools and tests. */
    public Transactions(DataSource dataSource) {
        this(dataSource, RetryPolicy.withBudget(Duration.ZERO), new RetryCounters(), RetryWait.SLEEP);
    }

    public Transactions(DataSource dataSource, RetryPolicy policy) {
        this(dataSource, policy, RetryWait.SLEEP);
    }

    public Transactions(DataSource dataSource, RetryPolicy policy, RetryWait wait) {
        this(dataSource, policy, new RetryCounters(), wait);
    }

    private Transactions(DataSource dataSource, RetryPolicy policy, RetryCounters counters, RetryWait wait) {
        this.dataSource = dataSource;
        this.policy = policy;
        this.counters = counters;
        this.wait = wait;
    }

    /** The same pool with another retry budget (e.g. a short one for staff requests). */
    public Transactions withRetryBudget(Duration budget) {
        return new Transactions(dataSource, policy.withBudgetOf(budget), counters, wait);
    }

    public RetryPolicy policy() {
        return policy;
    }

    public RetryCounters counters() {
        return counters;
    }

    public <T> T write(Function<DSLContext, T> work) {
        long start = System.nanoTime();
        long deadline = start + policy.budget().toNanos();
        for (int attempt = 1; ; attempt++) {
            Object seen = wait.view();
            try {
                return attempt(work);
            } catch (RuntimeException e) {
                if (!RetryableFailures.isRetryable(e)) {
                    throw e;
                }
                String sqlState = RetryableFailures.sqlState(e);
                long now = System.nanoTime();
                long pause = policy.backoffMillis(attempt);
                long remainingMillis = (deadline - now) / 1_000_000;
                if (remainingMillis <= 0) {
                    counters.exhausted.incrementAndGet();
                    long elapsed = (now - start) / 1_000_000;
                    log.warn("database transaction given up attempts={} elapsedMs={} budgetMs={} sqlState={} error={}",
                            attempt, elapsed, policy.budget().toMillis(), sqlState, RetryableFailures.describe(e));
                    throw new DatabaseUnavailableException("the transaction", attempt, elapsed, sqlState, e);
                }
                pause = Math.min(pause, remainingMillis);
                counters.retries.incrementAndGet();
                log.warn("database transaction failed, retrying attempt={} sqlState={} backoffMs={} error={}",
                        attempt, sqlState, pause, RetryableFailures.describe(e));
                try {
                    wait.await(seen, pause);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new DatabaseUnavailableException("the transaction (interrupted while waiting to retry)", attempt,
                            (System.nanoTime() - start) / 1_000_000, sqlState, e);
                }
            }
        }
    }

    public void run(Consumer<DSLContext> work) {
        write(dsl -> {
            work.accept(dsl);
            return null;
        });
    }

    private <T> T attempt(Function<DSLContext, T> work) {
        try (Connection connection = dataSource.getConnection()) {
            try {
                connection.setAutoCommit(false);
                T result;
                try {
                    result = work.apply(DSL.using(connection, SQLDialect.POSTGRES, Database.settings()));
                    connection.clearWarnings();
                    connection.commit();
                } catch (RuntimeException | Error | SQLException e) {
                    rollbackQuietly(connection, e);
                    throw e;
                }
                failUnlessDurable(connection.getWarnings());
                return result;
            } catch (RuntimeException | SQLException e) {
                evictIfUnusable(connection, e);
                throw e;
            }
        } catch (SQLException e) {
            throw new DataAccessException("transaction failed: " + e.getMessage(), e);
        }
    }

    /**
     * The pool already discards connections that failed with a class 08 / 57P0x error. A connection
     * that is alive but now read-only (25006: its server was demoted by a switchover) would be
     * handed out again, so it is evicted here; any retryable failure is treated the same way.
     */
    private void evictIfUnusable(Connection connection, Throwable failure) {
        if (dataSource instanceof HikariDataSource hikari && RetryableFailures.isRetryable(failure)) {
            hikari.evictConnection(connection);
        }
    }

    static void failUnlessDurable(SQLWarning warnings) {
        for (SQLWarning w = warnings; w != null; w = w.getNextWarning()) {
            String message = w.getMessage();
            if (message != null && message.contains(SYNC_REP_CANCELLED)) {
                throw new CommitNotDurableException(message);
            }
        }
    }

    private static void rollbackQuietly(Connection connection, Throwable cause) {
        try {
            connection.rollback();
        } catch (SQLException rollbackFailure) {
            cause.addSuppressed(rollbackFailure);
        }
    }
}
