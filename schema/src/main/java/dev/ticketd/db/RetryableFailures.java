package dev.ticketd.db;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/**
 * Which failures mean "the database (or the connection to it) went away" and may be retried, as
 * opposed to failures of the work itself (constraint violations, bad data, bugs), which never are.
 *
 * <p>Retryable: SQLState class {@code 08} (connection exception), {@code 57P01}
 * admin_shutdown, {@code 57P02} crash_shutdown, {@code 57P03} cannot_connect_now (a server that is
 * starting or shutting down), {@code 25006} read_only_sql_transaction (our connection ended up on a
 * server that was demoted to standby by a switchover), HikariCP's
 * {@link SQLTransientConnectionException} (no connection within the connection timeout) and
 * {@link CommitNotDurableException}. The cause chain is searched, because jOOQ and the pool wrap
 * the driver's exception.
 */
public final class RetryableFailures {

    private static final Set<String> RETRYABLE_STATES = Set.of("57P01", "57P02", "57P03", "25006");

    private RetryableFailures() {
    }

    public static boolean isRetryable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CommitNotDurableException || t instanceof SQLTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException sql && isRetryableState(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    public static boolean isRetryableState(String sqlState) {
        return sqlState != null && (sqlState.startsWith("08") || RETRYABLE_STATES.contains(sqlState));
    }

    /** The first SQLState in the cause chain, or null. */
    public static String sqlState(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }

    /**
     * A one-line description for logs: the driver's (first SQLException's) class and message, else
     * the innermost exception's. PgJDBC puts no password in its messages; a {@code password=}
     * parameter is masked anyway.
     */
    static String describe(Throwable failure) {
        if (failure == null) {
            return "none";
        }
        Throwable root = failure;
        while (!(root instanceof SQLException) && root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? "" : root.getMessage().replaceAll("\\s+", " ");
        return root.getClass().getSimpleName() + ": " + DatabaseSettings.masked(message);
    }
}
