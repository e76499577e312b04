package dev.ticketd.db;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a transaction that failed for a retryable reason (see {@link RetryableFailures}) is
 * tried again: with a backoff that starts at {@code firstBackoff}, doubles up to
 * {@code maxBackoff} and is jittered (so a hundred waiting nodes do not reconnect in step), until
 * {@code budget} has passed since the first attempt. No new attempt starts after the budget; an
 * attempt that is running when it ends is not interrupted (a commit is never cancelled).
 *
 * @param budget zero means a single attempt, no retry
 */
public record RetryPolicy(Duration budget, Duration firstBackoff, Duration maxBackoff) {

    /** Background work (mail intake, outbox, leases): long enough to ride out a Patroni failover. */
    public static final Duration DEFAULT_BACKGROUND_BUDGET = Duration.ofSeconds(30);
    /** Staff requests: a page must never hang long; the user can press the button again. */
    public static final Duration DEFAULT_WEB_BUDGET = Duration.ofSeconds(3);

    public RetryPolicy {
        Objects.requireNonNull(budget, "budget");
        Objects.requireNonNull(firstBackoff, "firstBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (budget.isNegative() || firstBackoff.isNegative() || firstBackoff.isZero() || maxBackoff.compareTo(firstBackoff) < 0) {
            throw new IllegalArgumentException("retry budget must not be negative and backoffs must be positive and ordered: " + budget
                    + ", " + firstBackoff + ", " + maxBackoff);
        }
    }

    public static RetryPolicy withBudget(Duration budget) {
        return new RetryPolicy(budget, Duration.ofMillis(100), Duration.ofSeconds(1));
    }

    public RetryPolicy withBudgetOf(Duration newBudget) {
        return new RetryPolicy(newBudget, firstBackoff, maxBackoff);
    }

    /** The pause before attempt {@code attempt + 1} (attempt counts from 1): full backoff ±25 %. */
    long backoffMillis(int attempt) {
        long base = firstBackoff.toMillis() << Math.min(attempt - 1, 20);
        long capped = Math.min(base, maxBackoff.toMillis());
        long jitter = capped / 4;
        return Math.max(1, capped - jitter + (jitter == 0 ? 0 : ThreadLocalRandom.current().nextLong(2 * jitter + 1)));
    }
}
