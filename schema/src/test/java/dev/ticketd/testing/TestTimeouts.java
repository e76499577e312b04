package dev.ticketd.testing;

import java.time.Duration;

/**
 * Every test timeout comes from here, stretched by one multiplier: {@code -Dticketd.test.timeFactor=3}
 * (or {@code TICKETD_TEST_TIME_FACTOR=3}) on a slow or loaded machine.
 */
public final class TestTimeouts {

    private TestTimeouts() {
    }

    public static double factor() {
        String value = System.getProperty("ticketd.test.timeFactor", System.getenv("TICKETD_TEST_TIME_FACTOR"));
        if (value == null || value.isBlank()) {
            return 1.0;
        }
        double factor = Double.parseDouble(value.strip());
        if (factor <= 0) {
            throw new IllegalArgumentException("ticketd.test.timeFactor must be positive, was " + value);
        }
        return factor;
    }

    public static Duration seconds(double seconds) {
        return Duration.ofMillis(Math.round(seconds * 1000 * factor()));
    }
}
