package dev.ticketd.db;

import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What the probe says of a real PostgreSQL that answers but refuses writes. */
class DatabaseStatusProbeTest {

    @Test
    void aPrimaryWhoseSessionsStartReadOnlyIsNoPrimaryAndTheProbeSaysWhy() {
        DatabaseSettings settings = TestPostgres.freshDatabaseSettings();
        try (Database db = Database.open(settings, "probe-before")) {
            DatabaseStatus before = new DatabaseStatusProbe(db).probe();
            assertThat(before.primaryReachable()).isTrue();
            assertThat(before.primaryError()).isNull();
            // what an operator (or a full disk's runbook) does: new sessions start read-only
            db.dsl().execute("do $$ begin execute format('alter database %I set default_transaction_read_only = on', "
                    + "current_database()); end $$");
        }
        try (Database db = Database.open(settings, "probe-after")) {
            DatabaseStatus after = new DatabaseStatusProbe(db).probe();
            assertThat(after.primaryReachable()).isFalse();
            assertThat(after.primaryError()).startsWith("the primary ").contains("refuses writes")
                    .contains("default_transaction_read_only is on");
        }
    }
}
