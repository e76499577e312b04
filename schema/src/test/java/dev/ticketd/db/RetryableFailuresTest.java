package dev.ticketd.db;

import com.zaxxer.hikari.pool.HikariPool;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class RetryableFailuresTest {

    @Test
    void connectionClassAndServerShutdownStatesAreRetryable() {
        for (String state : new String[] {"08000", "08001", "08003", "08006", "08P01", "57P01", "57P02", "57P03", "25006"}) {
            assertThat(RetryableFailures.isRetryable(new SQLException("x", state))).as(state).isTrue();
        }
        assertThat(RetryableFailures.isRetryable(new PSQLException("I/O error", PSQLState.CONNECTION_FAILURE))).isTrue();
    }

    @Test
    void failuresOfTheWorkItselfAreNotRetryable() {
        for (String state : new String[] {"23505", "23503", "23514", "22001", "22P02", "42P01", "42601", "40001", "57014", "25P02"}) {
            assertThat(RetryableFailures.isRetryable(new SQLException("x", state))).as(state).isFalse();
        }
        assertThat(RetryableFailures.isRetryable(new SQLException("no state"))).isFalse();
        assertThat(RetryableFailures.isRetryable(new IllegalStateException("a bug"))).isFalse();
        assertThat(RetryableFailures.isRetryable(null)).isFalse();
    }

    @Test
    void theCauseChainIsSearchedBecauseJooqAndThePoolWrapTheDriversException() {
        DataAccessException wrapped = new DataAccessException("insert failed",
                new PSQLException("An I/O error occurred while sending to the backend.", PSQLState.CONNECTION_FAILURE));
        assertThat(RetryableFailures.isRetryable(wrapped)).isTrue();
        assertThat(RetryableFailures.sqlState(wrapped)).isEqualTo("08006");
        assertThat(RetryableFailures.isRetryable(new DataAccessException("dup", new SQLException("duplicate key", "23505")))).isFalse();
    }

    @Test
    void aPoolTimeoutAndACommitNotDurableAreRetryable() {
        assertThat(RetryableFailures.isRetryable(new DataAccessException("transaction failed",
                new SQLTransientConnectionException("pool - Connection is not available, request timed out after 1000ms")))).isTrue();
        assertThat(RetryableFailures.isRetryable(new HikariPool.PoolInitializationException(
                new SQLTransientConnectionException("not available")))).isTrue();
        assertThat(RetryableFailures.isRetryable(new CommitNotDurableException("canceling wait for synchronous replication"))).isTrue();
    }

    /**
     * The failures a reader's own, narrower copy of this check once missed (it knew 08xxx and pool
     * timeouts only), as the reader meets them: under jOOQ's wrapper, inside the give-up of a write
     * whose budget ran out. A server shutting down or starting, one demoted by a switchover, a commit
     * that synchronous replication did not confirm.
     */
    @Test
    void aGiveUpWrappingAServerShuttingDownStartingOrDemotedOrAnUnconfirmedCommitIsStillAnOutage() {
        for (String state : new String[] {"57P01", "57P02", "57P03", "25006"}) {
            DatabaseUnavailableException gaveUp = new DatabaseUnavailableException("the transaction", 4, 300, state,
                    new DataAccessException("insert failed", new SQLException("server going away", state)));
            assertThat(RetryableFailures.isRetryable(gaveUp)).as(state).isTrue();
            assertThat(RetryableFailures.sqlState(gaveUp)).isEqualTo(state);
        }
        assertThat(RetryableFailures.isRetryable(new DatabaseUnavailableException("the transaction", 2, 300, null,
                new DataAccessException("commit failed", new CommitNotDurableException(Transactions.SYNC_REP_CANCELLED))))).isTrue();
    }

    @Test
    void theBackoffStartsSmallDoublesAndIsCappedWithJitter() {
        RetryPolicy policy = RetryPolicy.withBudget(Duration.ofSeconds(30));
        assertThat(policy.backoffMillis(1)).isBetween(75L, 125L);
        assertThat(policy.backoffMillis(2)).isBetween(150L, 250L);
        assertThat(policy.backoffMillis(4)).isBetween(600L, 1000L);
        for (int attempt = 5; attempt < 100; attempt++) {
            assertThat(policy.backoffMillis(attempt)).isBetween(750L, 1250L);
        }
    }

    @Test
    void theMessageIsClearAndCarriesNoPassword() {
        DatabaseUnavailableException e = new DatabaseUnavailableException("the transaction", 7, 30_012, "08001",
                new SQLException("could not connect to jdbc:postgresql://h1/db?password=hunter2", "08001"));
        assertThat(e.getMessage()).startsWith("the database is failing over; try again in a few seconds")
                .contains("7 times").contains("08001").doesNotContain("hunter2");
    }
}
