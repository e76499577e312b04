package dev.ticketd.db;

import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A transaction that failed because its primary vanished waits out its backoff through the pool's
 * {@link Transactions.RetryWait}, which is told what the failed attempt saw, so that a wait that
 * knows better (Patroni named another primary meanwhile) can end at once.
 */
class TransactionsRetryWaitTest {

    private Database db;

    @AfterEach
    void tearDown() {
        if (db != null) {
            db.close();
        }
    }

    @Test
    void theWaitIsToldWhatTheFailedAttemptSawAndTheRetryCommits() {
        db = TestPostgres.freshDatabase();
        AtomicInteger refusals = new AtomicInteger(2);
        DataSource flaky = new Refusing(db.dataSource(), refusals);
        AtomicReference<String> primary = new AtomicReference<>("pg1");
        List<String> waitedFor = new ArrayList<>();
        List<Long> waitedMillis = new ArrayList<>();
        Transactions tx = new Transactions(flaky, RetryPolicy.withBudget(Duration.ofSeconds(30)), new Transactions.RetryWait() {
            @Override
            public Object view() {
                return primary.get();
            }

            @Override
            public void await(Object seen, long millis) {
                waitedFor.add((String) seen);
                waitedMillis.add(millis);
                primary.set("pg2"); // Patroni names another primary while the first waits: nothing to sleep for
            }
        });

        int answer = tx.write(dsl -> ((Number) dsl.fetchValue("select 42")).intValue());

        assertThat(answer).isEqualTo(42);
        assertThat(waitedFor).as("each wait is told the primary its failed attempt saw").containsExactly("pg1", "pg2");
        assertThat(waitedMillis).allSatisfy(m -> assertThat(m).isPositive());
        assertThat(tx.counters().retries()).isEqualTo(2);
    }

    /** Refuses the first {@code refusals} connections as a vanished server does (SQLState 08001). */
    private record Refusing(DataSource delegate, AtomicInteger refusals) implements DataSource {
        @Override
        public Connection getConnection() throws SQLException {
            if (refusals.getAndDecrement() > 0) {
                throw new SQLException("Connection attempt timed out.", "08001");
            }
            return delegate.getConnection();
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            throw new SQLException("no wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }
}
