package dev.ticketd.chaos;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Bounded waiting for the harness: every wait has a timeout and says what it waited for. */
public final class Poll {

    private Poll() {
    }

    /** Polls {@code condition} every 50 ms until it holds; throws when {@code timeout} passes first. */
    public static void until(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        until(what, timeout, Duration.ofMillis(50), condition);
    }

    /** Polls {@code condition} every {@code interval} (for costly checks) until it holds; throws when {@code timeout} passes first. */
    public static void until(String what, Duration timeout, Duration interval, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout + " waiting for: " + what);
            }
            TimeUnit.MILLISECONDS.sleep(interval.toMillis());
        }
    }
}
