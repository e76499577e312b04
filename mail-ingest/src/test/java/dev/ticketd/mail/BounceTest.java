package dev.ticketd.mail;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.db.generated.tables.records.InboundMessageRecord;
import dev.ticketd.db.generated.tables.records.OutboxRecord;
import dev.ticketd.db.generated.tables.records.TicketMessageRecord;
import dev.ticketd.mail.testing.Eml;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.mail.testing.TestMailServer.rfc822;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Delivery status notifications (RFC 3464): recognised by the parser, attached to the ticket of the
 * mail they report on, failing our outbox row, never acknowledged; unknown ones in quarantine. Real PostgreSQL.
 */
class BounceTest {

    private static final String REPLY_ID = "<reply.42@desk.example.test>";

    private Database db;
    private IngestStore store;
    private long epoch;
    private final AtomicLong uids = new AtomicLong();
    private long ticketId;
    private long replyOutboxId;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        // with SMTP, so that acknowledgements would be queued if anything allowed them
        db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, "support").set(MAILBOX.ADDRESS, "support@desk.example.test")
                .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, 143)
                .set(MAILBOX.IMAP_USER, "support@desk.example.test").set(MAILBOX.SECRET_REF, "support")
                .set(MAILBOX.SMTP_HOST, "127.0.0.1").set(MAILBOX.SMTP_PORT, 25).execute();
        epoch = new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).acquire("support", "test");
        store = new IngestStore(db, new MailParser(), new TicketsFromMail());

        // Ann's mail opens a ticket (and gets its acknowledgement); staff answered it, the reply was sent
        assertThat(ingest(rfc822("""
                From: Ann <ann@example.test>
                To: support@desk.example.test
                Subject: Printer on fire
                Message-ID: <c1@example.test>
                Content-Type: text/plain; charset=UTF-8

                It is burning.
                """))).isEqualTo(IngestStore.Outcome.TICKETED);
        ticketId = db.dsl().select(TICKET.ID).from(TICKET).fetchSingle(TICKET.ID);
        replyOutboxId = db.dsl().insertInto(OUTBOX).set(OUTBOX.MAILBOX_ID, "support").set(OUTBOX.TICKET_ID, ticketId)
                .set(OUTBOX.MESSAGE_ID, REPLY_ID).set(OUTBOX.TO_ADDRESS, "ann@example.test")
                .set(OUTBOX.SUBJECT, "Re: Printer on fire [T-1000]").set(OUTBOX.BODY_TEXT, "Turn it off.")
                .set(OUTBOX.STATUS, "sent").returning(OUTBOX.ID).fetchOne(OUTBOX.ID);
        db.dsl().update(TICKET).set(TICKET.STATUS, "resolved").where(TICKET.ID.eq(ticketId)).execute();
        assertThat(acks()).isEqualTo(1);
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void theParserReadsADeliveryStatusNotification() {
        ParsedMail mail = parse("failed-staff-reply.eml");

        Bounce bounce = mail.bounce().orElseThrow();
        assertThat(bounce.originalMessageId()).contains(REPLY_ID);
        assertThat(bounce.reportingMta()).isEqualTo("mx.example.test");
        assertThat(bounce.failed()).isTrue();
        assertThat(bounce.action()).isEqualTo("failed");
        assertThat(bounce.recipients()).containsExactly(new Bounce.Recipient("ann@example.test", "failed", "5.1.1",
                "smtp; 550 5.1.1 <ann@example.test>: Recipient address rejected: User unknown"));
        assertThat(mail.textBody()).contains("could not").doesNotContain("Reporting-MTA");
        assertThat(mail.loopHeaders().deliveryReport()).isTrue();
    }

    @Test
    void headersOnlyQuotedAndCommentedFieldsAreRead() {
        Bounce delayed = parse("delayed-staff-reply.eml").bounce().orElseThrow();
        assertThat(delayed.originalMessageId()).contains(REPLY_ID); // folded Message-ID in text/rfc822-headers
        assertThat(delayed.failed()).isFalse();
        assertThat(delayed.action()).isEqualTo("delayed");
        assertThat(delayed.recipients().get(0).status()).isEqualTo("4.4.1");

        Bounce customers = parse("failed-customer-mail.eml").bounce().orElseThrow();
        assertThat(customers.originalMessageId()).contains("<c1@example.test>");
        assertThat(customers.recipients()).containsExactly(new Bounce.Recipient("bob@gone.example.test", "failed", "5.1.2",
                "X-Unix; host gone.example.test not found"));
    }

    @Test
    void aReadReceiptOrAPersonsMailIsNoBounce() {
        ParsedMail receipt = parse("read-receipt.eml");
        assertThat(receipt.bounce()).isEmpty();
        assertThat(receipt.loopHeaders().deliveryReport()).isTrue();
        assertThat(parse(rfc822("From: ann@example.test\nSubject: hi\n\nhello\n")).bounce()).isEmpty();
    }

    @Test
    void aFailedDsnForAStaffReplyAttachesToItsTicketAndFailsTheOutboxRow() {
        assertThat(ingest(Eml.load("bounces/failed-staff-reply.eml"))).isEqualTo(IngestStore.Outcome.TICKETED);

        TicketMessageRecord msg = lastMessage();
        assertThat(msg.getTicketId()).isEqualTo(ticketId);
        assertThat(msg.getKind()).isEqualTo("inbound");
        assertThat(msg.getBodyText())
                .startsWith("Delivery failed for our mail " + REPLY_ID + ", reported by mx.example.test.\n"
                        + "- ann@example.test: failed 5.1.1 (smtp; 550 5.1.1 <ann@example.test>: Recipient address rejected: User unknown)")
                .contains("I'm sorry to have to inform you");
        OutboxRecord reply = outbox(replyOutboxId);
        assertThat(reply.getStatus()).isEqualTo("failed");
        assertThat(reply.getLastError())
                .isEqualTo("bounced: 5.1.1 smtp; 550 5.1.1 <ann@example.test>: Recipient address rejected: User unknown");
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(1);
        assertThat(status()).isEqualTo("resolved"); // not reopened
        assertThat(acks()).isEqualTo(1);
        assertThat(db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq("ticket.bounce_attached"))).isEqualTo(1);
        assertThat(db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq("ticket.ack_suppressed"))).isZero();
    }

    @Test
    void aDelayedDsnOnlyAttaches() {
        assertThat(ingest(Eml.load("bounces/delayed-staff-reply.eml"))).isEqualTo(IngestStore.Outcome.TICKETED);

        TicketMessageRecord msg = lastMessage();
        assertThat(msg.getTicketId()).isEqualTo(ticketId);
        assertThat(msg.getBodyText()).startsWith("Delivery delayed").contains("ann@example.test: delayed 4.4.1");
        OutboxRecord reply = outbox(replyOutboxId);
        assertThat(reply.getStatus()).isEqualTo("sent");
        assertThat(reply.getLastError()).isNull();
        assertThat(status()).isEqualTo("resolved");
        assertThat(acks()).isEqualTo(1);
    }

    @Test
    void aDsnForTheCustomersOwnMailAttachesToItsTicket() {
        assertThat(ingest(Eml.load("bounces/failed-customer-mail.eml"))).isEqualTo(IngestStore.Outcome.TICKETED);

        TicketMessageRecord msg = lastMessage();
        assertThat(msg.getTicketId()).isEqualTo(ticketId);
        assertThat(msg.getBodyText()).startsWith("Delivery failed for the mail <c1@example.test>")
                .contains("bob@gone.example.test: failed 5.1.2");
        assertThat(outbox(replyOutboxId).getStatus()).isEqualTo("sent");
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(1);
        assertThat(status()).isEqualTo("resolved");
        assertThat(acks()).isEqualTo(1);
    }

    @Test
    void aDsnForAnUnknownMessageOpensNoTicketAndWaitsInQuarantineWithTheReason() {
        int messagesBefore = db.dsl().fetchCount(TICKET_MESSAGE);

        assertThat(ingest(Eml.load("bounces/unknown-message.eml"))).isEqualTo(IngestStore.Outcome.STORED_UNPARSEABLE);

        InboundMessageRecord row = db.dsl().selectFrom(INBOUND_MESSAGE)
                .where(INBOUND_MESSAGE.MESSAGE_ID.eq("<unknown.9@mx.example.test>")).fetchSingle();
        assertThat(row.getParseStatus()).isEqualTo("failed");
        assertThat(row.getParseError())
                .isEqualTo("A delivery report (bounce) about a mail this help desk never sent or received "
                        + "(<never-sent-by-us@spammer.example.test>), so it opened no ticket.");
        assertThat(row.getRaw()).isEqualTo(Eml.load("bounces/unknown-message.eml"));
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(1);
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE)).isEqualTo(messagesBefore);
        assertThat(acks()).isEqualTo(1);
        // and it stays stored exactly once
        assertThat(ingest(Eml.load("bounces/unknown-message.eml"))).isEqualTo(IngestStore.Outcome.ALREADY_STORED);
    }

    @Test
    void aReadReceiptIsAnOrdinaryMailThatIsNotAcknowledged() {
        assertThat(ingest(Eml.load("bounces/read-receipt.eml"))).isEqualTo(IngestStore.Outcome.TICKETED);

        assertThat(lastMessage().getTicketId()).isEqualTo(ticketId);
        assertThat(outbox(replyOutboxId).getStatus()).isEqualTo("sent");
        assertThat(db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq("ticket.bounce_attached"))).isZero();
        assertThat(db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq("ticket.mail_threaded"))).isEqualTo(1);
        assertThat(acks()).isEqualTo(1);
    }

    private IngestStore.Outcome ingest(byte[] raw) {
        return store.ingest(new IngestStore.IncomingMail("support", 1, uids.incrementAndGet(), raw), epoch);
    }

    private static ParsedMail parse(String fixture) {
        return parse(Eml.load("bounces/" + fixture));
    }

    private static ParsedMail parse(byte[] raw) {
        ParseResult result = new MailParser().parse(raw);
        assertThat(result).isInstanceOf(ParseResult.Parsed.class);
        return ((ParseResult.Parsed) result).mail();
    }

    private TicketMessageRecord lastMessage() {
        return db.dsl().selectFrom(TICKET_MESSAGE).orderBy(TICKET_MESSAGE.ID.desc()).limit(1).fetchSingle();
    }

    private OutboxRecord outbox(long id) {
        return db.dsl().selectFrom(OUTBOX).where(OUTBOX.ID.eq(id)).fetchSingle();
    }

    private String status() {
        return db.dsl().select(TICKET.STATUS).from(TICKET).where(TICKET.ID.eq(ticketId)).fetchSingle(TICKET.STATUS);
    }

    private int acks() {
        return db.dsl().fetchCount(OUTBOX, OUTBOX.KIND.eq("ack"));
    }
}
