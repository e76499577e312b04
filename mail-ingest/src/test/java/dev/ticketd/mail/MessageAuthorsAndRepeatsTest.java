package dev.ticketd.mail;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.mail.testing.TestMailServer.rfc822;
import static org.assertj.core.api.Assertions.assertThat;

/** Each message names its sender as that mail did; a mail delivered again leaves a trace on its ticket. */
class MessageAuthorsAndRepeatsTest {

    private Database db;
    private IngestStore store;
    private long epoch;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, "support").set(MAILBOX.ADDRESS, "support@example.test")
                .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, 143)
                .set(MAILBOX.IMAP_USER, "support").set(MAILBOX.SECRET_REF, "support").execute();
        store = new IngestStore(db, new MailParser(), new TicketsFromMail());
        epoch = new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).acquire("support", "test-node");
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void eachMessageShowsTheSenderAsItsOwnMailNamedThem() {
        ingest(1, "From: Ann Example <ann@example.test>\nSubject: printer\nMessage-ID: <a1@example.test>\n\nfirst\n");
        ingest(2, "From: \"Dr. Ann Example (IT)\" <ann@example.test>\nSubject: Re: printer\nMessage-ID: <a2@example.test>\n"
                + "In-Reply-To: <a1@example.test>\n\nsecond\n");
        ingest(3, "From: ann@example.test\nSubject: Re: printer\nMessage-ID: <a3@example.test>\nIn-Reply-To: <a2@example.test>\n\nthird\n");

        assertThat(db.dsl().select(TICKET_MESSAGE.AUTHOR_NAME).from(TICKET_MESSAGE).orderBy(TICKET_MESSAGE.ID)
                .fetch(TICKET_MESSAGE.AUTHOR_NAME))
                .containsExactly("Ann Example", "Dr. Ann Example (IT)", null);
        assertThat(db.dsl().selectDistinct(TICKET_MESSAGE.TICKET_ID).from(TICKET_MESSAGE).fetch()).hasSize(1);
    }

    @Test
    void aMailDeliveredAgainIsNotStoredTwiceButLeavesOneAuditEntryPerDelivery() {
        String mail = "From: Bob <bob@example.test>\nSubject: vpn\nMessage-ID: <b1@example.test>\n\nvpn down\n";
        assertThat(ingest(10, mail)).isEqualTo(IngestStore.Outcome.TICKETED);

        assertThat(ingest(11, mail)).as("a second delivery").isEqualTo(IngestStore.Outcome.ALREADY_STORED);
        assertThat(ingest(11, mail)).as("the same delivery read again after a crash").isEqualTo(IngestStore.Outcome.ALREADY_STORED);
        assertThat(ingest(10, mail)).as("the first delivery read again").isEqualTo(IngestStore.Outcome.ALREADY_STORED);
        assertThat(ingest(12, mail)).as("a third delivery").isEqualTo(IngestStore.Outcome.ALREADY_STORED);

        assertThat(db.dsl().fetchCount(TICKET_MESSAGE)).isEqualTo(1);
        assertThat(db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG).where(AUDIT_LOG.ACTION.eq("ticket.mail_delivered_again"))
                .orderBy(AUDIT_LOG.ID).fetch(r -> r.value1().data()))
                .hasSize(2)
                .allSatisfy(detail -> assertThat(detail).contains("\"mailboxId\": \"support\"").contains("\"uidValidity\": 7"))
                .anySatisfy(detail -> assertThat(detail).contains("\"uid\": 11"))
                .anySatisfy(detail -> assertThat(detail).contains("\"uid\": 12"));
    }

    private IngestStore.Outcome ingest(long uid, String text) {
        return store.ingest(new IngestStore.IncomingMail("support", 7, uid, rfc822(text)), epoch);
    }
}
