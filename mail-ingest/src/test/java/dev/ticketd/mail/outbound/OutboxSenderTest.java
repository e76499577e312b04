package dev.ticketd.mail.outbound;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.generated.tables.records.OutboxRecord;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** {@link OutboxSender} against a real PostgreSQL and a real SMTP server (GreenMail). */
class OutboxSenderTest {

    private static final String SUPPORT = "support@desk.example.test";

    private Database db;
    private SmtpServer smtp;
    private MailboxLeases leases;
    private long epoch;
    private long ticketId;
    private final List<OutboxSender> senders = new ArrayList<>();

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        smtp = SmtpServer.onFreePort();
        db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, "support").set(MAILBOX.ADDRESS, SUPPORT)
                .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, 143)
                .set(MAILBOX.IMAP_USER, SUPPORT).set(MAILBOX.SECRET_REF, "support").execute();
        long contact = db.dsl().insertInto(CONTACT).set(CONTACT.EMAIL, "ann@example.test").returning(CONTACT.ID)
                .fetchOne(CONTACT.ID);
        ticketId = db.dsl().insertInto(TICKET).set(TICKET.NUMBER, "T-1042").set(TICKET.MAILBOX_ID, "support")
                .set(TICKET.SUBJECT, "Printer").set(TICKET.REQUESTER_ID, contact).returning(TICKET.ID).fetchOne(TICKET.ID);
        leases = new MailboxLeases(db.transactions(), Duration.ofSeconds(2));
        epoch = leases.acquire("support", "test");
    }

    @AfterEach
    void tearDown() {
        senders.forEach(OutboxSender::close);
        smtp.close();
        db.close();
    }

    @Test
    void aPendingReplyIsDeliveredOnceWithItsMessageIdAndThreadingHeaders() throws Exception {
        smtp.start();
        long id = queue("reply", "<reply.1@desk.example.test>", "<p1@example.test>");
        OutboxSender sender = start(epoch);

        awaitStatus(id, "sent");
        awaitPasses(sender, 3); // more passes: nothing is sent again

        assertThat(smtp.received()).hasSize(1);
        MimeMessage m = smtp.received().get(0);
        assertThat(m.getMessageID()).isEqualTo("<reply.1@desk.example.test>");
        assertThat(m.getHeader("In-Reply-To", null)).isEqualTo("<p1@example.test>");
        assertThat(m.getHeader("References", null)).isEqualTo("<p1@example.test>");
        assertThat(m.getHeader("Auto-Submitted")).isNull();
        assertThat(m.getSubject()).isEqualTo("Re: Printer [T-1042]");
        assertThat(m.getFrom()[0].toString()).isEqualTo("Help Desk <" + SUPPORT + ">");
        assertThat(m.getContent().toString()).contains("Try turning it off");
        OutboxRecord row = row(id);
        assertThat(row.getAttempts()).isEqualTo(1);
        assertThat(row.getSentAt()).isNotNull();
        assertThat(row.getSmtpReply()).startsWith("250");
        assertThat(row.getClaimedEpoch()).isEqualTo(epoch);
        assertThat(sender.status().sent()).isEqualTo(1);
        assertThat(sender.status().resent()).isZero();
    }

    @Test
    void aStaffReplyIsMailedWithTheSignatureAndThePreviousMessageQuotedButStoredAsTyped() throws Exception {
        smtp.start();
        db.dsl().update(MAILBOX).set(MAILBOX.SIGNATURE, "Your help desk\nhttps://desk.example.test").execute();
        long ann = db.dsl().select(CONTACT.ID).from(CONTACT).fetchSingle(CONTACT.ID);
        db.dsl().update(CONTACT).set(CONTACT.DISPLAY_NAME, "Ann").execute();
        long staff = db.dsl().insertInto(STAFF_USER).set(STAFF_USER.EMAIL, "bob@desk.example.test")
                .set(STAFF_USER.DISPLAY_NAME, "Bob").set(STAFF_USER.PASSWORD_HASH, "x").returning(STAFF_USER.ID)
                .fetchOne(STAFF_USER.ID);
        message("inbound", ann, null, "My printer prints blank pages.\nSince Monday.");
        message("note", null, staff, "internal: she has the old model");
        long reply = message("outbound", null, staff, "Please send us a test page.");
        long id = queue("reply", "<reply.9@desk.example.test>", "<p1@example.test>");
        db.dsl().update(OUTBOX).set(OUTBOX.TICKET_MESSAGE_ID, reply).set(OUTBOX.BODY_TEXT, "Please send us a test page.")
                .where(OUTBOX.ID.eq(id)).execute();
        start(epoch);

        awaitStatus(id, "sent");

        String body = smtp.received().get(0).getContent().toString().replace("\r\n", "\n");
        assertThat(body).startsWith("Please send us a test page.\n\n-- \nYour help desk\nhttps://desk.example.test\n\nOn ")
                .contains(", Ann <ann@example.test> wrote:\n> My printer prints blank pages.\n> Since Monday.")
                .doesNotContain("internal");
        assertThat(smtp.received().get(0).getHeader("In-Reply-To", null)).isEqualTo("<p1@example.test>");
        assertThat(db.dsl().select(TICKET_MESSAGE.BODY_TEXT).from(TICKET_MESSAGE).where(TICKET_MESSAGE.ID.eq(reply))
                .fetchSingle(TICKET_MESSAGE.BODY_TEXT)).isEqualTo("Please send us a test page.");
    }

    @Test
    void theFilesOfAStaffReplyAreReadAtTheClaimAndSentAfterTheText() throws Exception {
        smtp.start();
        long staff = db.dsl().insertInto(STAFF_USER).set(STAFF_USER.EMAIL, "bob@desk.example.test")
                .set(STAFF_USER.DISPLAY_NAME, "Bob").set(STAFF_USER.PASSWORD_HASH, "x").returning(STAFF_USER.ID)
                .fetchOne(STAFF_USER.ID);
        long reply = message("outbound", null, staff, "The manual is attached.");
        byte[] manual = {'%', 'P', 'D', 'F', 0, 1, 2, (byte) 0xfe};
        byte[] greeting = "Grüße\n".getBytes(StandardCharsets.UTF_8);
        attachment(reply, "manual.pdf", "application/pdf", manual);
        attachment(reply, "Grüße.txt", "text/plain", greeting);
        long id = queue("reply", "<reply.files@desk.example.test>", null);
        db.dsl().update(OUTBOX).set(OUTBOX.TICKET_MESSAGE_ID, reply).set(OUTBOX.BODY_TEXT, "The manual is attached.")
                .where(OUTBOX.ID.eq(id)).execute();
        start(epoch);

        awaitStatus(id, "sent");

        MimeMessage m = smtp.received().get(0);
        assertThat(m.isMimeType("multipart/mixed")).isTrue();
        Multipart parts = (Multipart) m.getContent();
        assertThat(parts.getCount()).isEqualTo(3);
        assertThat(parts.getBodyPart(0).getContent().toString()).startsWith("The manual is attached.");
        assertThat(parts.getBodyPart(1).getFileName()).isEqualTo("manual.pdf");
        assertThat(parts.getBodyPart(1).isMimeType("application/pdf")).isTrue();
        assertThat(parts.getBodyPart(1).getInputStream().readAllBytes()).isEqualTo(manual);
        assertThat(parts.getBodyPart(2).getFileName()).isEqualTo("Grüße.txt");
        assertThat(parts.getBodyPart(2).getInputStream().readAllBytes()).isEqualTo(greeting);
    }

    private void attachment(long ticketMessage, String filename, String type, byte[] content) {
        db.dsl().insertInto(ATTACHMENT).set(ATTACHMENT.TICKET_MESSAGE_ID, ticketMessage).set(ATTACHMENT.FILENAME, filename)
                .set(ATTACHMENT.CONTENT_TYPE, type).set(ATTACHMENT.SIZE_BYTES, (long) content.length)
                .set(ATTACHMENT.CONTENT, content).execute();
    }

    private long message(String kind, Long contact, Long staff, String text) {
        return db.dsl().insertInto(TICKET_MESSAGE).set(TICKET_MESSAGE.TICKET_ID, ticketId).set(TICKET_MESSAGE.KIND, kind)
                .set(TICKET_MESSAGE.AUTHOR_CONTACT_ID, contact).set(TICKET_MESSAGE.AUTHOR_STAFF_ID, staff)
                .set(TICKET_MESSAGE.BODY_TEXT, text).returning(TICKET_MESSAGE.ID).fetchOne(TICKET_MESSAGE.ID);
    }

    @Test
    void anAcknowledgementSaysItIsAutomatic() throws Exception {
        smtp.start();
        long id = queue("ack", "<ack.1@desk.example.test>", "<p1@example.test>");
        start(epoch);

        awaitStatus(id, "sent");

        MimeMessage m = smtp.received().get(0);
        assertThat(m.getHeader("Auto-Submitted", null)).isEqualTo("auto-replied");
        assertThat(m.getHeader("X-Auto-Response-Suppress", null)).isEqualTo("All");
    }

    @Test
    void aSenderWithAStaleEpochSendsNothingAndStopsForGood() {
        smtp.start();
        long id = queue("reply", "<reply.2@desk.example.test>", null);
        long stale = epoch;
        epoch = leases.acquire("support", "another-node");
        OutboxSender sender = start(stale);

        await().atMost(TestTimeouts.seconds(10)).until(() -> sender.status().state() == OutboxSender.State.FENCED_OUT);

        assertThat(smtp.received()).isEmpty();
        assertThat(row(id).getStatus()).isEqualTo("pending");
        assertThat(row(id).getAttempts()).isZero();
        assertThat(sender.isRunning()).isFalse();
    }

    @Test
    void aMailWaitsWhileTheSmtpServerIsDownAndIsSentWhenItIsBack() throws Exception {
        long id = queue("reply", "<reply.3@desk.example.test>", null);
        OutboxSender sender = start(epoch);

        await().atMost(TestTimeouts.seconds(10)).until(() -> row(id).getLastError() != null);
        OutboxRecord waiting = row(id);
        assertThat(waiting.getStatus()).isIn("pending", "sending");
        assertThat(waiting.getAttempts()).isGreaterThanOrEqualTo(1);
        assertThat(sender.status().retried()).isGreaterThanOrEqualTo(1);

        smtp.start();
        awaitStatus(id, "sent");

        assertThat(smtp.received()).hasSize(1);
        assertThat(smtp.received().get(0).getMessageID()).isEqualTo("<reply.3@desk.example.test>");
        assertThat(row(id).getLastError()).isNull();
    }

    @Test
    void aRowLeftSendingPastTheClaimExpiryIsSentAgainWithTheSameMessageIdAndCounted() throws Exception {
        smtp.start();
        long abandoned = queue("reply", "<reply.4@desk.example.test>", null);
        long inFlight = queue("reply", "<reply.5@desk.example.test>", null);
        // a sender of an earlier epoch died an hour ago mid-send; another earlier one is sending right now
        // (a sender's own epoch is never theirs: one sender per epoch)
        db.dsl().update(OUTBOX).set(OUTBOX.STATUS, "sending").set(OUTBOX.ATTEMPTS, 1).set(OUTBOX.CLAIMED_EPOCH, epoch - 1)
                .set(OUTBOX.CLAIMED_AT, DSL.field("now() - interval '1 hour'", OffsetDateTime.class))
                .where(OUTBOX.ID.eq(abandoned)).execute();
        db.dsl().update(OUTBOX).set(OUTBOX.STATUS, "sending").set(OUTBOX.ATTEMPTS, 1).set(OUTBOX.CLAIMED_EPOCH, epoch - 1)
                .set(OUTBOX.CLAIMED_AT, DSL.currentOffsetDateTime())
                .where(OUTBOX.ID.eq(inFlight)).execute();
        OutboxSender sender = start(epoch);

        awaitStatus(abandoned, "sent");
        awaitPasses(sender, 2);

        assertThat(smtp.received()).hasSize(1);
        assertThat(smtp.received().get(0).getMessageID()).isEqualTo("<reply.4@desk.example.test>");
        assertThat(row(abandoned).getAttempts()).isEqualTo(2);
        assertThat(sender.status().resent()).isEqualTo(1);
        assertThat(row(inFlight).getStatus()).isEqualTo("sending");
    }

    @Test
    void anAddressTheServerCannotTakeIsGivenUpAsFailed() {
        smtp.start();
        long id = db.dsl().insertInto(OUTBOX).set(OUTBOX.MAILBOX_ID, "support").set(OUTBOX.TICKET_ID, ticketId)
                .set(OUTBOX.MESSAGE_ID, "<reply.6@desk.example.test>").set(OUTBOX.TO_ADDRESS, "not an address")
                .set(OUTBOX.SUBJECT, "x").set(OUTBOX.BODY_TEXT, "x").returning(OUTBOX.ID).fetchOne(OUTBOX.ID);
        long good = queue("reply", "<reply.7@desk.example.test>", null);
        OutboxSender sender = start(epoch);

        awaitStatus(good, "sent");

        assertThat(row(id).getStatus()).isEqualTo("failed");
        assertThat(row(id).getLastError()).isNotBlank();
        assertThat(sender.status().failed()).isEqualTo(1);
    }

    @Test
    void theClaimExpiryMustOutlastTheLongestSend() {
        SmtpSettings settings = settings();
        OutboxSender.Options tooShort = new OutboxSender.Options(Duration.ofSeconds(1), 10, settings.longestSend(), 5,
                Duration.ofSeconds(1), Duration.ofSeconds(2));
        assertThatThrownBy(() -> new OutboxSender("support", settings, db, epoch, Clock.systemUTC(), tooShort))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("claim expiry");
    }

    @Test
    void thePasswordIsNeverShown() {
        SmtpSettings s = new SmtpSettings("smtp.example.test", 587, TransportSecurity.STARTTLS, "desk", "hunter2",
                SUPPORT, "", Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertThat(s.toString()).doesNotContain("hunter2").contains("***");
    }

    @Test
    void closingDoesNotWaitOutTheRetryBudgetOfAClaimWaitingForTheDatabase() throws Exception {
        // a pool of one connection that the test holds: every claim waits for a connection, fails
        // as "connection not available" (a failure the transactions retry for 30 s) and tries again
        DatabaseSettings settings = TestPostgres.freshDatabaseSettings().withMaxPoolSize(1)
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(5));
        try (Database starved = Database.open(settings, "starved")) {
            try (Connection held = starved.dataSource().getConnection()) {
                OutboxSender sender = new OutboxSender("support", settings(), starved, 1, Clock.systemUTC(), testOptions());
                sender.start();
                // a claim failed for want of a connection and is being retried (30 s budget)
                await().atMost(TestTimeouts.seconds(10)).pollInterval(Duration.ofMillis(20))
                        .until(() -> starved.transactions().counters().retries() > 0);

                long t0 = System.nanoTime();
                sender.close();
                long millis = (System.nanoTime() - t0) / 1_000_000;

                // without the interrupt, close() waits its whole join limit (the SMTP timeouts, 5 s here)
                assertThat(millis).as("close() while a claim is being retried").isLessThan(3_000);
                assertThat(sender.status().state()).isEqualTo(OutboxSender.State.STOPPED);
                assertThat(held.isValid(1)).isTrue();
            }
        }
    }

    @Test
    void aClaimWhoseCommitWasLostIsSentAtOnceByItsOwnEpochButAnotherEpochsWaitsForTheExpiry() throws Exception {
        smtp.start();
        // the claim of a row by this epoch whose commit went through but whose answer was lost in a
        // failover: the retry claimed the next row, this one sits in 'sending'
        long lost = queue("reply", "<reply.lost@desk.example.test>", "<p1@example.test>");
        long otherEpochs = queue("reply", "<reply.other@desk.example.test>", "<p2@example.test>");
        db.dsl().update(OUTBOX).set(OUTBOX.STATUS, "sending").set(OUTBOX.ATTEMPTS, 1)
                .set(OUTBOX.CLAIMED_AT, OffsetDateTime.now()).set(OUTBOX.CLAIMED_EPOCH, epoch)
                .where(OUTBOX.ID.eq(lost)).execute();
        db.dsl().update(OUTBOX).set(OUTBOX.STATUS, "sending").set(OUTBOX.ATTEMPTS, 1)
                .set(OUTBOX.CLAIMED_AT, OffsetDateTime.now()).set(OUTBOX.CLAIMED_EPOCH, epoch - 1)
                .where(OUTBOX.ID.eq(otherEpochs)).execute();

        OutboxSender sender = start(epoch);
        awaitStatus(lost, "sent");
        awaitPasses(sender, 3);

        assertThat(smtp.received()).hasSize(1);
        assertThat(smtp.received().get(0).getMessageID()).isEqualTo("<reply.lost@desk.example.test>");
        assertThat(sender.status().resent()).as("not a possible duplicate: this epoch never handed it to SMTP").isZero();
        assertThat(row(otherEpochs).getStatus()).as("another epoch's claim may have been sent: it waits").isEqualTo("sending");
    }

    @Test
    void aRowClaimedJustAsTheSenderIsToldToStopIsGivenBackUnsentForTheNextLeader() throws Exception {
        smtp.start();
        OutboxSender sender = start(epoch);
        awaitPasses(sender, 1);
        long reply;
        Thread closing;
        // the lease row locked: the sender's next claim (its epoch check reads the lease) waits for it
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try (var st = c.prepareStatement("select epoch from mailbox_lease where mailbox_id = 'support' for update")) {
                st.executeQuery().close();
            }
            await().atMost(TestTimeouts.seconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> db.dsl()
                    .fetchCount(DSL.table("pg_locks"), DSL.field("granted").isFalse()) > 0);
            reply = queue("reply", "<reply.handover@desk.example.test>", "<p@example.test>");
            closing = new Thread(sender::close); // told to stop while its claim waits
            closing.start();
            // close() marks the sender stopping in the same step as it stops running
            await().atMost(TestTimeouts.seconds(10)).until(() -> !sender.isRunning());
            c.rollback(); // the claim goes through now, after the stop
        }
        closing.join(TestTimeouts.seconds(15).toMillis());

        OutboxRecord row = row(reply);
        assertThat(row.getAttempts()).as("the sender did claim the row").isEqualTo(1);
        assertThat(row.getStatus()).as("and gave it back unsent").isEqualTo("pending");
        assertThat(row.getClaimedEpoch()).isNull();
        assertThat(smtp.received()).isEmpty();

        long next = leases.acquire("support", "next-leader");
        start(next);
        awaitStatus(reply, "sent");
        assertThat(smtp.received()).hasSize(1);
    }

    @Test
    void aMailWhoseDataWentOutButWasNeverAnsweredIsNotSentAgainBeforeTheClaimExpiry() {
        try (SilentAfterDataServer silent = new SilentAfterDataServer()) {
            long reply = queue("reply", "<reply.silent@desk.example.test>", "<p@example.test>");
            SmtpSettings toSilent = new SmtpSettings("127.0.0.1", silent.port(), TransportSecurity.NONE, null, null, SUPPORT,
                    "Help Desk", Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(2));
            OutboxSender sender = new OutboxSender("support", toSilent, db, epoch, Clock.systemUTC(), testOptions());
            senders.add(sender);
            sender.start();

            await().atMost(TestTimeouts.seconds(15)).pollInterval(Duration.ofMillis(50))
                    .until(() -> row(reply).getLastError() != null);
            awaitPasses(sender, 3);

            assertThat(row(reply).getLastError()).startsWith("no answer after the mail was sent");
            assertThat(row(reply).getStatus()).as("it may have been delivered: it waits for the claim expiry").isEqualTo("sending");
            assertThat(row(reply).getAttempts()).isEqualTo(1);
            assertThat(silent.mailsReceived()).as("the data went out once and was not sent again").isEqualTo(1);
        }
    }

    private SmtpSettings settings() {
        return new SmtpSettings("127.0.0.1", smtp.port(), TransportSecurity.NONE, null, null, SUPPORT, "Help Desk",
                Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2));
    }

    static OutboxSender.Options testOptions() {
        return new OutboxSender.Options(Duration.ofMillis(100), 10, Duration.ofMinutes(2), 50,
                Duration.ofMillis(100), Duration.ofMillis(500));
    }

    private OutboxSender start(long withEpoch) {
        OutboxSender sender = new OutboxSender("support", settings(), db, withEpoch, Clock.systemUTC(), testOptions());
        senders.add(sender);
        sender.start();
        return sender;
    }

    private long queue(String kind, String messageId, String inReplyTo) {
        return db.dsl().insertInto(OUTBOX).set(OUTBOX.MAILBOX_ID, "support").set(OUTBOX.TICKET_ID, ticketId)
                .set(OUTBOX.KIND, kind).set(OUTBOX.MESSAGE_ID, messageId).set(OUTBOX.TO_ADDRESS, "ann@example.test")
                .set(OUTBOX.SUBJECT, "Re: Printer [T-1042]").set(OUTBOX.BODY_TEXT, "Try turning it off and on again.")
                .set(OUTBOX.IN_REPLY_TO, inReplyTo).set(OUTBOX.REFERENCES_HEADER, inReplyTo)
                .returning(OUTBOX.ID).fetchOne(OUTBOX.ID);
    }

    private OutboxRecord row(long id) {
        return db.dsl().selectFrom(OUTBOX).where(OUTBOX.ID.eq(id)).fetchSingle();
    }

    private void awaitStatus(long id, String status) {
        await().atMost(TestTimeouts.seconds(15)).pollInterval(Duration.ofMillis(50))
                .until(() -> row(id).getStatus().equals(status));
    }

    /** Waits until the sender finished {@code n} more passes. */
    private static void awaitPasses(OutboxSender sender, int n) {
        for (int i = 0; i < n; i++) {
            var before = sender.status().lastPassAt();
            await().atMost(TestTimeouts.seconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> sender.status().lastPassAt() != null && !sender.status().lastPassAt().equals(before));
        }
    }
}
