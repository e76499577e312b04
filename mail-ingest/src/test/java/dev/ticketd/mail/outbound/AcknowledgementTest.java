package dev.ticketd.mail.outbound;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.db.generated.tables.records.OutboxRecord;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.testing.TestPostgres;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.time.OffsetDateTime;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.mail.testing.TestMailServer.rfc822;
import static org.assertj.core.api.Assertions.assertThat;

/** Acknowledgements of new tickets, queued by {@link TicketsFromMail} in the ingest transaction, against a real PostgreSQL. */
class AcknowledgementTest {

    private Database db;
    private IngestStore store;
    private long epoch;
    private final AtomicLong uids = new AtomicLong();

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        addMailbox("support", "support@desk.example.test");
        addMailbox("billing", "billing@desk.example.test");
        epoch = new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).acquire("support", "test");
        store = new IngestStore(db, new MailParser(), new TicketsFromMail());
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void aNewTicketQueuesExactlyOneAcknowledgementToTheCustomer() {
        ingest(mail("Ann <ann@example.test>", "Printer on fire", "<p1@example.test>", ""));

        String number = db.dsl().select(TICKET.NUMBER).from(TICKET).fetchSingle(TICKET.NUMBER);
        List<OutboxRecord> acks = db.dsl().selectFrom(OUTBOX).fetch();
        assertThat(acks).hasSize(1);
        OutboxRecord ack = acks.get(0);
        assertThat(ack.getKind()).isEqualTo("ack");
        assertThat(ack.getStatus()).isEqualTo("pending");
        assertThat(ack.getMailboxId()).isEqualTo("support");
        assertThat(ack.getToAddress()).isEqualTo("ann@example.test");
        assertThat(ack.getSubject()).isEqualTo("[" + number + "] We have received your request");
        assertThat(ack.getMessageId()).matches("<ack\\.[0-9a-f-]{36}@desk\\.example\\.test>");
        assertThat(ack.getInReplyTo()).isEqualTo("<p1@example.test>");
        assertThat(ack.getReferencesHeader()).isEqualTo("<p1@example.test>");
        assertThat(ack.getBodyText()).startsWith("Hello,\n").contains("opened ticket " + number)
                .doesNotContain("Ann").doesNotContain("Printer on fire");
        assertThat(db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq("ticket.ack_queued"))).isEqualTo(1);
    }

    @Test
    void anAcknowledgementRepeatsNeitherTheSubjectNorTheDisplayNameOfAForgedPhishingMail() throws Exception {
        String phishing = "Your account is locked, log in at http://evil.example";
        ingest(mail("\"" + phishing + "\" <victim@example.test>", phishing, "<ph1@example.test>", ""));

        OutboxRecord ack = db.dsl().selectFrom(OUTBOX).fetchSingle();
        MimeMessage sent = rendered(ack);
        String wire = wire(sent);
        String number = db.dsl().select(TICKET.NUMBER).from(TICKET).fetchSingle(TICKET.NUMBER);
        assertThat(sent.getSubject()).isEqualTo("[" + number + "] We have received your request");
        assertThat(sent.getHeader("To")).containsExactly("victim@example.test");
        assertThat(String.valueOf(sent.getContent())).contains(number);
        for (String text : List.of(sent.getSubject(), String.join("\n", sent.getHeader("To")), String.valueOf(sent.getContent()), wire)) {
            assertThat(text).doesNotContainIgnoringCase("evil.example").doesNotContainIgnoringCase("account is locked")
                    .doesNotContainIgnoringCase("log in");
        }
    }

    @Test
    void aCustomersAnswerToTheAcknowledgementThreadsIntoItsTicket() {
        ingest(mail("ann@example.test", "Printer", "<a1@example.test>", ""));
        OutboxRecord ack = db.dsl().selectFrom(OUTBOX).fetchSingle();

        // no In-Reply-To: only the token in the subject can thread it
        ingest(mail("ann@example.test", "Re: " + ack.getSubject(), "<a2@example.test>", ""));

        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(1);
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE)).isEqualTo(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "Auto-Submitted: auto-replied\n",
            "Auto-Submitted: auto-generated\n",
            "Precedence: bulk\n",
            "Precedence: list\n",
            "List-Id: <users.lists.example.test>\n",
            "Return-Path: <>\n",
            "X-Auto-Response-Suppress: All\n",
            "X-Autoreply: yes\n"})
    void automaticListAndBounceMailOpensATicketButQueuesNoAcknowledgement(String header) {
        ingest(mail("Ann <ann@example.test>", "Out of office", "<o1@example.test>", header));

        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(1);
        assertThat(db.dsl().fetchCount(OUTBOX)).isZero();
        assertThat(db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq("ticket.ack_suppressed"))).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"MAILER-DAEMON@mx.example.test", "postmaster@example.test", "noreply@shop.example.test",
            "billing@desk.example.test"})
    void mailFromMailSystemsNoReplyAddressesAndOurOwnMailboxesQueuesNoAcknowledgement(String from) {
        ingest(mail(from, "Undelivered Mail Returned to Sender", "<b1@example.test>", ""));

        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(1);
        assertThat(db.dsl().fetchCount(OUTBOX)).isZero();
    }

    @Test
    void aDeliveryStatusReportQueuesNoAcknowledgement() {
        // a bounce for no message of ours: it opens no ticket (it waits in quarantine, see BounceTest)
        store.ingest(new IngestStore.IncomingMail("support", 1, uids.incrementAndGet(), rfc822("""
                From: Mail Delivery System <mail-system@mx.example.test>
                To: support@desk.example.test
                Subject: Undelivered Mail Returned to Sender
                Message-ID: <dsn1@mx.example.test>
                MIME-Version: 1.0
                Content-Type: multipart/report; report-type=delivery-status; boundary="b"

                --b
                Content-Type: text/plain

                Your message could not be delivered.
                --b
                Content-Type: message/delivery-status

                Reporting-MTA: dns; mx.example.test
                --b--
                """)), epoch);

        assertThat(db.dsl().fetchCount(OUTBOX)).isZero();
    }

    @Test
    void theFourthNewTicketFromOneSenderWithinAnHourQueuesNoAcknowledgement() {
        for (int i = 1; i <= 4; i++) {
            ingest(mail("ann@example.test", "Question " + i, "<q" + i + "@example.test>", ""));
        }
        ingest(mail("bob@example.test", "Another customer", "<bob1@example.test>", ""));

        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(5);
        assertThat(db.dsl().fetchCount(OUTBOX, OUTBOX.TO_ADDRESS.eq("ann@example.test"))).isEqualTo(3);
        assertThat(db.dsl().fetchCount(OUTBOX, OUTBOX.TO_ADDRESS.eq("bob@example.test"))).isEqualTo(1);
        assertThat(db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG).where(AUDIT_LOG.ACTION.eq("ticket.ack_suppressed"))
                .fetchSingle(AUDIT_LOG.DETAIL).data()).contains("RATE_LIMITED");
    }

    @Test
    void acknowledgementsOlderThanAnHourDoNotCountAgainstTheLimit() {
        for (int i = 1; i <= 3; i++) {
            ingest(mail("ann@example.test", "Question " + i, "<q" + i + "@example.test>", ""));
        }
        db.dsl().update(OUTBOX).set(OUTBOX.CREATED_AT, DSL.field("created_at - interval '61 minutes'", OffsetDateTime.class)).execute();

        ingest(mail("ann@example.test", "Question 4", "<q4@example.test>", ""));

        assertThat(db.dsl().fetchCount(OUTBOX)).isEqualTo(4);
    }

    @Test
    void aThreadedReplyQueuesNoAcknowledgement() {
        ingest(mail("ann@example.test", "Printer", "<t1@example.test>", ""));
        String number = db.dsl().select(TICKET.NUMBER).from(TICKET).fetchSingle(TICKET.NUMBER);

        ingest(mail("ann@example.test", "Re: Printer [" + number + "]", "<t2@example.test>", ""));
        ingest(mail("ann@example.test", "Other words", "<t3@example.test>", "In-Reply-To: <t1@example.test>\n"));

        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(1);
        assertThat(db.dsl().fetchCount(OUTBOX)).isEqualTo(1);
    }

    @Test
    void aMailboxWithAcknowledgementsSwitchedOffQueuesNone() {
        db.dsl().update(MAILBOX).set(MAILBOX.ACK_ENABLED, false).where(MAILBOX.ID.eq("support")).execute();

        ingest(mail("ann@example.test", "Printer", "<d1@example.test>", ""));

        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(1);
        assertThat(db.dsl().fetchCount(OUTBOX)).isZero();
    }

    @Test
    void aMailboxThatCannotSendQueuesNoAcknowledgementToPileUp() {
        db.dsl().update(MAILBOX).setNull(MAILBOX.SMTP_HOST).where(MAILBOX.ID.eq("support")).execute();

        ingest(mail("ann@example.test", "Printer", "<n1@example.test>", ""));

        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(1);
        assertThat(db.dsl().fetchCount(OUTBOX)).isZero();
    }

    @Test
    void aLimitOfZeroSwitchesAcknowledgementsOffEverywhere() {
        store = new IngestStore(db, new MailParser(), new TicketsFromMail(TicketsFromMail.DEFAULT_TOKEN, new Acknowledgements(0)));

        ingest(mail("ann@example.test", "Printer", "<z1@example.test>", ""));

        assertThat(db.dsl().fetchCount(OUTBOX)).isZero();
    }

    /** The acknowledgement as {@link SmtpDelivery} puts it on the wire. */
    private static MimeMessage rendered(OutboxRecord ack) throws Exception {
        OutboxRows.Claimed row = new OutboxRows.Claimed(ack.getId(), ack.getKind(), ack.getMessageId(), ack.getToAddress(),
                ack.getSubject(), ack.getBodyText(), Optional.ofNullable(ack.getInReplyTo()),
                Optional.ofNullable(ack.getReferencesHeader()), 1, false, List.of());
        SmtpSettings settings = SmtpSettings.of("127.0.0.1", 25, TransportSecurity.NONE, null, null,
                "support@desk.example.test", "Support");
        try (SmtpDelivery delivery = new SmtpDelivery(settings, Date::new)) {
            MimeMessage built = delivery.build(row);
            built.saveChanges();
            return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(wireBytes(built)));
        }
    }

    private static byte[] wireBytes(MimeMessage m) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.writeTo(out);
        return out.toByteArray();
    }

    private static String wire(MimeMessage m) throws Exception {
        return new String(wireBytes(m), StandardCharsets.UTF_8);
    }

    private void addMailbox(String id, String address) {
        db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, id).set(MAILBOX.ADDRESS, address)
                .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, 143)
                .set(MAILBOX.IMAP_USER, address).set(MAILBOX.SECRET_REF, id)
                .set(MAILBOX.SMTP_HOST, "127.0.0.1").set(MAILBOX.SMTP_PORT, 25).execute();
    }

    private static byte[] mail(String from, String subject, String messageId, String extraHeaders) {
        return rfc822("From: " + from + "\nTo: support@desk.example.test\nSubject: " + subject + "\nMessage-ID: " + messageId
                + "\n" + extraHeaders + "Content-Type: text/plain; charset=UTF-8\n\nHello.\n");
    }

    private void ingest(byte[] raw) {
        IngestStore.Outcome outcome = store.ingest(new IngestStore.IncomingMail("support", 1, uids.incrementAndGet(), raw), epoch);
        assertThat(outcome).isEqualTo(IngestStore.Outcome.TICKETED);
    }
}
