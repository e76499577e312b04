package dev.ticketd.mail;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.mail.testing.TestMailServer.rfc822;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A customer's reply to our answer lands in the same ticket: SMTP → GreenMail → MailboxReader → PostgreSQL. */
class ThreadingEndToEndTest {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "secret-support";

    private Database db;
    private TestMailServer mail;
    private MailboxReader reader;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        mail.registerMailbox(db.dsl(), "support", SUPPORT);
        long epoch = new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).acquire("support", "test-node");
        IngestStore store = new IngestStore(db, new MailParser(), new TicketsFromMail());
        reader = new MailboxReader(mail.mailbox("support", SUPPORT, PASSWORD, "INBOX"), store, epoch, Clock.systemUTC());
        reader.start();
    }

    @AfterEach
    void tearDown() {
        reader.close();
        mail.close();
        db.close();
    }

    @Test
    void aCustomersReplyToOurAnswerLandsInTheSameTicket() {
        mail.send(SUPPORT, List.of(rfc822("""
                From: Ann <ann@example.test>
                To: support@example.test
                Subject: Cannot log in
                Message-ID: <login-1@example.test>
                Content-Type: text/plain; charset=UTF-8

                My password is not accepted.
                """)));
        long ticketId = await().atMost(TestTimeouts.seconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> db.dsl().select(TICKET.ID).from(TICKET).fetchOptional(TICKET.ID), Optional::isPresent)
                .orElseThrow();
        // our answer, as the reply form queues it
        db.dsl().insertInto(OUTBOX).set(OUTBOX.MAILBOX_ID, "support").set(OUTBOX.TICKET_ID, ticketId)
                .set(OUTBOX.MESSAGE_ID, "<reply.e2e@support.example.test>").set(OUTBOX.TO_ADDRESS, "ann@example.test")
                .set(OUTBOX.SUBJECT, "Re: Cannot log in").set(OUTBOX.BODY_TEXT, "Please try the reset link.")
                .set(OUTBOX.IN_REPLY_TO, "<login-1@example.test>").execute();

        mail.send(SUPPORT, List.of(rfc822("""
                From: Ann <ann@example.test>
                To: support@example.test
                Subject: Re: Cannot log in
                Message-ID: <login-2@example.test>
                In-Reply-To: <reply.e2e@support.example.test>
                References: <login-1@example.test> <reply.e2e@support.example.test>
                Content-Type: text/plain; charset=UTF-8

                The reset link worked, thanks.
                """)));

        await().atMost(TestTimeouts.seconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.TICKET_ID.eq(ticketId))).isEqualTo(2));
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(1);
        assertThat(db.dsl().select(TICKET_MESSAGE.BODY_TEXT).from(TICKET_MESSAGE).orderBy(TICKET_MESSAGE.ID)
                .fetch(TICKET_MESSAGE.BODY_TEXT)).last().asString().contains("reset link worked");
    }
}
