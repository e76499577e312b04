package dev.ticketd.mail;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static dev.ticketd.db.generated.Tables.CANARY_PROBE;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.mail.testing.TestMailServer.rfc822;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Intake's side of the canary against a real PostgreSQL: a canary the self-watch sent is stored
 * once — delivered again, it is the same mail — and into no ticket; a token sent to another mailbox,
 * or one already received, is no canary here.
 */
class CanaryIngestTest {

    private Database db;
    private IngestStore store;
    private long supportEpoch;
    private long salesEpoch;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        for (String id : new String[] {"support", "sales"}) {
            db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, id).set(MAILBOX.ADDRESS, id + "@example.test")
                    .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, 143)
                    .set(MAILBOX.IMAP_USER, id).set(MAILBOX.SECRET_REF, id).execute();
        }
        store = new IngestStore(db, new MailParser(), new TicketsFromMail());
        MailboxLeases leases = new MailboxLeases(db.transactions(), Duration.ofSeconds(2));
        supportEpoch = leases.acquire("support", "test-node");
        salesEpoch = leases.acquire("sales", "test-node");
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    private String probe(String mailboxId) {
        String token = Canary.newToken();
        db.dsl().insertInto(CANARY_PROBE).set(CANARY_PROBE.MAILBOX_ID, mailboxId).set(CANARY_PROBE.TOKEN, token)
                .set(CANARY_PROBE.MESSAGE_ID, Canary.messageId(token, mailboxId + "@example.test"))
                .set(CANARY_PROBE.SENT_BY, "node-a").execute();
        return token;
    }

    private static byte[] canaryMail(String token, String to, String deliveredTo) {
        return rfc822("Delivered-To: " + deliveredTo + "\nFrom: " + to + "\nTo: " + to + "\nSubject: ticketd canary for " + to
                + "\nMessage-ID: " + Canary.messageId(token, to) + "\nAuto-Submitted: auto-generated\n" + Canary.HEADER + ": " + token
                + "\n\nThis mail tests the mail path.\n");
    }

    @Test
    void aCanaryIsStoredOnceIntoNoTicketAndADeliveryAgainIsTheSameMail() {
        String token = probe("support");
        byte[] mail = canaryMail(token, "support@example.test", "support@example.test");
        assertThat(store.ingest(new IngestStore.IncomingMail("support", 7, 1, mail), supportEpoch)).isEqualTo(IngestStore.Outcome.CANARY);
        // the mail server hands it out again under another UID (a re-delivery, a UIDVALIDITY change)
        assertThat(store.ingest(new IngestStore.IncomingMail("support", 7, 2, mail), supportEpoch))
                .isEqualTo(IngestStore.Outcome.ALREADY_STORED);
        assertThat(store.ingest(new IngestStore.IncomingMail("support", 8, 1, mail), supportEpoch))
                .isEqualTo(IngestStore.Outcome.ALREADY_STORED);

        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(1);
        assertThat(db.dsl().fetchCount(TICKET)).isZero();
        assertThat(db.dsl().fetchCount(OUTBOX)).as("no acknowledgement").isZero();
        var p = db.dsl().selectFrom(CANARY_PROBE).fetchSingle();
        assertThat(p.getReceivedAt()).isNotNull();
        assertThat(p.getInboundMessageId()).isEqualTo(db.dsl().select(INBOUND_MESSAGE.ID).from(INBOUND_MESSAGE).fetchSingle().value1());
    }

    @Test
    void aTokenSentToAnotherMailboxOrAlreadyReceivedIsOrdinaryMail() {
        String salesToken = probe("sales");
        assertThat(store.ingest(new IngestStore.IncomingMail("support", 7, 1,
                canaryMail(salesToken, "support@example.test", "support@example.test")), supportEpoch))
                .as("sales' token arriving at support").isEqualTo(IngestStore.Outcome.TICKETED);
        assertThat(db.dsl().fetchValue(CANARY_PROBE.RECEIVED_AT)).isNull();

        String token = probe("support");
        assertThat(store.ingest(new IngestStore.IncomingMail("support", 7, 2,
                canaryMail(token, "support@example.test", "support@example.test")), supportEpoch)).isEqualTo(IngestStore.Outcome.CANARY);
        // the same token again in a different mail (a customer forwarding the canary): not a second canary
        byte[] forwarded = rfc822("From: customer@example.org\nTo: support@example.test\nSubject: Fwd: ticketd canary\n"
                + "Message-ID: <fwd-1@example.org>\n" + Canary.HEADER + ": " + token + "\n\nwhat is this?\n");
        assertThat(store.ingest(new IngestStore.IncomingMail("support", 7, 3, forwarded), supportEpoch))
                .isEqualTo(IngestStore.Outcome.TICKETED);
        // and a header that is no token at all
        byte[] junk = rfc822("From: customer@example.org\nTo: sales@example.test\nSubject: junk\nMessage-ID: <junk-1@example.org>\n"
                + Canary.HEADER + ": yes please\n\nhello\n");
        assertThat(store.ingest(new IngestStore.IncomingMail("sales", 7, 1, junk), salesEpoch)).isEqualTo(IngestStore.Outcome.TICKETED);
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(3);
    }
}
