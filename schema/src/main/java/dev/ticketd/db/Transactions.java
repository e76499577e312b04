package dev.ticketd.db;

import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs work in one database transaction and reports success only for a durable commit.
 *
 * <p>PostgreSQL answers a commit whose wait for synchronous replication was cancelled with
 * success plus the warning {@code canceling wait for synchronous replication}; the row may then
 * vanish on failover. Such a commit is reported here as {@link CommitNotDurableException}, so
 * callers treat it as failed (and, because every write is idempotent, simply try again).
 *
 * <p>Inside the work only the given {@link DSLContext} may be used; it is bound to the
 * transaction's connection.
 */
public final class Transactions {

    static final String SYNC_REP_CANCELLED = "canceling wait for synchronous replication";

    private final DataSource dataSource;

    public Transactions(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public <T> T write(Function<DSLContext, T> work) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            T result;
            try {
                result = work.apply(DSL.using(connection, SQLDialect.POSTGRES, new Settings().withRenderSchema(false)));
                connection.clearWarnings();
                connection.commit();
            } catch (RuntimeException | Error | SQLException e) {
                rollbackQuietly(connection, e);
                throw e;
            }
            failUnlessDurable(connection.getWarnings());
            return result;
        } catch (SQLException e) {
            throw new DataAccessException("transaction failed: " + e.getMessage(), e);
        }
    }

    public void run(Consumer<DSLContext> work) {
        write(dsl -> {
            work.accept(dsl);
            return null;
        });
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
