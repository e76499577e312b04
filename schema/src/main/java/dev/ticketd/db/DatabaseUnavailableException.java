package dev.ticketd.db;

/**
 * The database could not be reached (or could not confirm a commit) for as long as the caller's
 * retry budget allowed, typically because its primary is failing over. The work did not happen, or
 * — when the last attempt died during its commit — may have happened once; because every write is
 * idempotent, trying again later is always safe.
 */
public final class DatabaseUnavailableException extends RuntimeException {

    /** What a person is shown; clear, and free of connection strings. */
    public static final String USER_MESSAGE = "the database is failing over; try again in a few seconds";

    private final int attempts;
    private final String sqlState;

    public DatabaseUnavailableException(String what, int attempts, long elapsedMillis, String sqlState, Throwable last) {
        super(USER_MESSAGE + " (" + what + " failed " + attempts + " time" + (attempts == 1 ? "" : "s") + " over "
                + elapsedMillis + " ms; last error " + (sqlState == null ? "" : "SQLState " + sqlState + ": ")
                + RetryableFailures.describe(last) + ")", last);
        this.attempts = attempts;
        this.sqlState = sqlState;
    }

    public int attempts() {
        return attempts;
    }

    /** The SQLState of the last failure, or null when it had none (e.g. a pool timeout without a cause). */
    public String sqlState() {
        return sqlState;
    }
}
