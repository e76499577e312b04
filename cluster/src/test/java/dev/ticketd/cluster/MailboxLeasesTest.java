package dev.ticketd.cluster;

import dev.ticketd.db.Database;
import dev.ticketd.testing.TestPostgres;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;

import static dev.ticketd.db.generated.Tables.MAILBOX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MailboxLeasesTest {

    private Database db;
    private MailboxLeases leases;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, "support").set(MAILBOX.ADDRESS, "support@example.test")
                .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, 3143)
                .set(MAILBOX.IMAP_USER, "support@example.test").set(MAILBOX.SECRET_REF, "support").execute();
        leases = new MailboxLeases(db.transactions(), Duration.ofMillis(300));
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void eachAcquisitionGrantsAHigherEpochAndRecordsTheHolder() {
        assertThat(leases.current("support").epoch()).isZero();
        long first = leases.acquire("support", "node-a");
        long second = leases.acquire("support", "node-b");
        assertThat(first).isEqualTo(1);
        assertThat(second).isEqualTo(2);
        assertThat(leases.current("support").holder()).isEqualTo("node-b");
    }

    @Test
    void aHolderFrozenInsideATransactionDelaysTheBumpOnlyUntilTheLockTimeout() throws Exception {
        leases.acquire("support", "node-a");
        try (Connection frozen = db.dataSource().getConnection(); Statement st = frozen.createStatement()) {
            frozen.setAutoCommit(false);
            st.execute("select epoch from mailbox_lease where mailbox_id = 'support' for share");
            long started = System.nanoTime();
            assertThatThrownBy(() -> leases.acquire("support", "node-b"))
                    .isInstanceOf(DataAccessException.class)
                    .hasMessageContaining("lock timeout");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
            frozen.rollback();
        }
        assertThat(leases.acquire("support", "node-b")).isEqualTo(2);
    }
}
