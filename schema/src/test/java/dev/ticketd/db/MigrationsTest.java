package dev.ticketd.db;

import dev.ticketd.testing.TestPostgres;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.SQLWarning;

import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MigrationsTest {

    private Database db;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void migrationsApplyToARealPostgresAndTheGeneratedCodeQueriesIt() {
        DSLContext dsl = db.dsl();
        dsl.insertInto(MAILBOX)
                .set(MAILBOX.ID, "support")
                .set(MAILBOX.ADDRESS, "support@example.test")
                .set(MAILBOX.IMAP_HOST, "127.0.0.1")
                .set(MAILBOX.IMAP_PORT, 3143)
                .set(MAILBOX.IMAP_USER, "support@example.test")
                .set(MAILBOX.SECRET_REF, "support")
                .execute();

        assertThat(dsl.select(MAILBOX.PROCESSED_FOLDER).from(MAILBOX).where(MAILBOX.ID.eq("support")).fetchOne(MAILBOX.PROCESSED_FOLDER))
                .isEqualTo("Processed");
        assertThat(Migrations.migrate(db.dataSource())).as("a second run applies nothing").isZero();
    }

    @Test
    void aNodeOlderThanTheTagOrderColumnStillTagsTickets() {
        DSLContext dsl = db.dsl();
        long contact = dsl.fetchSingle("insert into contact (email) values ('tagged@example.test') returning id").get(0, Long.class);
        long ticket = dsl.fetchSingle("insert into ticket (number, subject, requester_id, created_at) "
                + "values ('T-1', 'tagged', ?, timestamptz '2026-01-02 03:04:05+00') returning id", contact).get(0, Long.class);
        // the insert a node from before V019 sends: no ticket_created_at
        dsl.execute("insert into ticket_tag (ticket_id, tag) values (?, 'vip')", ticket);

        assertThat(dsl.fetchSingle("select tt.ticket_created_at = timestamptz '2026-01-02 03:04:05+00' "
                + "from ticket_tag tt where tt.ticket_id = ? and tt.tag = 'vip'", ticket).get(0, Boolean.class))
                .as("the tag carries its ticket's creation time, filled in").isTrue();
    }

    @Test
    void onConflictDoNothingReturnsNoRowForADuplicate() {
        DSLContext dsl = db.dsl();
        var first = dsl.insertInto(CONTACT).set(CONTACT.EMAIL, "a@example.test").onConflict(CONTACT.EMAIL).doNothing()
                .returning(CONTACT.ID).fetchOptional();
        var second = dsl.insertInto(CONTACT).set(CONTACT.EMAIL, "a@example.test").onConflict(CONTACT.EMAIL).doNothing()
                .returning(CONTACT.ID).fetchOptional();
        assertThat(first).isPresent();
        assertThat(second).isEmpty();
    }

    @Test
    void theSameMailCannotBeStoredTwiceUnderAnyOfItsKeys() {
        DSLContext dsl = db.dsl();
        dsl.insertInto(MAILBOX).set(MAILBOX.ID, "m").set(MAILBOX.ADDRESS, "m@example.test").set(MAILBOX.IMAP_HOST, "h")
                .set(MAILBOX.IMAP_PORT, 1).set(MAILBOX.IMAP_USER, "u").set(MAILBOX.SECRET_REF, "m").execute();
        insertInbound(dsl, 7, 1, "key-a");
        assertThatThrownBy(() -> insertInbound(dsl, 7, 1, "key-b")).isInstanceOf(DataAccessException.class)
                .hasMessageContaining("inbound_message_uid_uq");
        assertThatThrownBy(() -> insertInbound(dsl, 8, 1, "key-a")).isInstanceOf(DataAccessException.class)
                .hasMessageContaining("inbound_message_content_uq");
    }

    @Test
    void aCommitWithTheSyncReplicationCancelWarningCountsAsFailed() {
        SQLWarning warning = new SQLWarning("canceling wait for synchronous replication due to user request");
        warning.setNextWarning(new SQLWarning("unrelated"));
        assertThatThrownBy(() -> Transactions.failUnlessDurable(warning)).isInstanceOf(CommitNotDurableException.class);
        Transactions.failUnlessDurable(new SQLWarning("some other notice"));
        Transactions.failUnlessDurable(null);
    }

    @Test
    void aFailingTransactionLeavesNothingBehind() {
        assertThatThrownBy(() -> db.transactions().run(tx -> {
            tx.insertInto(CONTACT).set(CONTACT.EMAIL, "gone@example.test").execute();
            throw new IllegalStateException("boom");
        })).hasMessage("boom");
        assertThat(db.dsl().fetchCount(CONTACT)).isZero();
    }

    @Test
    void aTransactionLeftIdleIsEndedByTheServerSoItCannotHoldLocksForEver() {
        assertThat(db.dsl().fetchValue("show idle_in_transaction_session_timeout")).isEqualTo("4s");
    }

    private static void insertInbound(DSLContext dsl, long uidvalidity, long uid, String contentKey) {
        dsl.insertInto(INBOUND_MESSAGE)
                .set(INBOUND_MESSAGE.MAILBOX_ID, "m")
                .set(INBOUND_MESSAGE.UIDVALIDITY, uidvalidity)
                .set(INBOUND_MESSAGE.UID, uid)
                .set(INBOUND_MESSAGE.CONTENT_KEY, contentKey)
                .set(INBOUND_MESSAGE.RAW_SHA256, "x")
                .set(INBOUND_MESSAGE.RAW, new byte[]{1})
                .set(INBOUND_MESSAGE.SIZE_BYTES, 1)
                .set(INBOUND_MESSAGE.PARSE_STATUS, "parsed")
                .set(INBOUND_MESSAGE.EPOCH, 1L)
                .execute();
    }
}
