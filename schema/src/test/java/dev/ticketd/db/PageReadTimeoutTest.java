package dev.ticketd.db;

import dev.ticketd.testing.TestPostgres;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A page's read is cancelled at the page read timeout; background work and writes have none. */
class PageReadTimeoutTest {

    @Test
    void aPageReadRunningPastItsTimeoutIsCancelledWhileTheSameStatementOutsideReadsRunsToItsEnd() {
        DatabaseSettings settings = TestPostgres.freshDatabaseSettings().withPageReadTimeout(Duration.ofSeconds(1));
        try (Database db = Database.open(settings, "page-read-timeout")) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> db.read(dsl -> dsl.fetchValue("select pg_sleep(30)")))
                    .isInstanceOf(DataAccessException.class)
                    .satisfies(e -> assertThat(Database.canceled(e)).as("cancelled, SQLState 57014").isTrue());
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));

            // the pool's connection is still good, and a read within the timeout answers
            assertThat(db.read(dsl -> dsl.fetchValue("select 1")).value()).isEqualTo(1);
            // intake, the outbox and leases use dsl() and transactions: never cut off by the page timeout
            assertThat(db.dsl().fetchValue("select pg_sleep(1.5)::text || 'done'")).isEqualTo("done");
        }
    }

    @Test
    void aTimeoutUnderASecondIsRefusedAndNamed() {
        DatabaseSettings settings = TestPostgres.freshDatabaseSettings();
        assertThatThrownBy(() -> settings.withPageReadTimeout(Duration.ofMillis(500)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("page read timeout");
    }
}
