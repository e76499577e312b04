package dev.ticketd.mail.outbound;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import java.util.function.UnaryOperator;

import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.mail.testing.TestMailServer.rfc822;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two help desks whose addresses write to each other: each acknowledges what it receives by mail to
 * the other (real SMTP through GreenMail), and each takes in what the other sent (the raw mails as
 * GreenMail received them, through {@link IngestStore}). The exchange must end by itself.
 */
class LoopBetweenTwoDesksTest {

    private static final int RUNAWAY = 40;

    private SmtpServer smtp;
    private Desk one;
    private Desk two;

    /** One installation: its own database, mailbox, ingest and outbox sender. */
    private final class Desk implements AutoCloseable {
        final String domain;
        final String address;
        final Database db = TestPostgres.freshDatabase();
        final IngestStore store = new IngestStore(db, new MailParser(), new TicketsFromMail());
        final long epoch;
        final OutboxSender sender;
        int taken;

        Desk(String name) {
            domain = name + ".test";
            address = "desk@" + domain;
            db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, name).set(MAILBOX.ADDRESS, address)
                    .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, 143)
                    .set(MAILBOX.IMAP_USER, address).set(MAILBOX.SECRET_REF, name)
                    .set(MAILBOX.SMTP_HOST, "127.0.0.1").set(MAILBOX.SMTP_PORT, smtp.port()).execute();
            epoch = new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).acquire(name, "test");
            sender = new OutboxSender(name, new SmtpSettings("127.0.0.1", smtp.port(), TransportSecurity.NONE, null, null,
                    address, "Desk " + name, Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2)),
                    db, epoch, Clock.systemUTC(), OutboxSenderTest.testOptions());
        }

        /** Takes in what arrived for this desk since last time, through the forwarder; @return how many. */
        int takeIn(UnaryOperator<byte[]> forwarder) {
            var raws = smtp.receivedRawFor(domain);
            int n = 0;
            for (; taken < raws.size(); taken++, n++) {
                store.ingest(new IngestStore.IncomingMail(db.dsl().select(MAILBOX.ID).from(MAILBOX).fetchSingle(MAILBOX.ID),
                        1, taken + 1, forwarder.apply(raws.get(taken))), epoch);
            }
            return n;
        }

        boolean outboxIdle() {
            return db.dsl().fetchCount(OUTBOX, OUTBOX.STATUS.in("pending", "sending")) == 0;
        }

        int acksSent() {
            return db.dsl().fetchCount(OUTBOX, OUTBOX.KIND.eq("ack").and(OUTBOX.STATUS.eq("sent")));
        }

        @Override
        public void close() {
            sender.close();
            db.close();
        }
    }

    @BeforeEach
    void setUp() {
        smtp = SmtpServer.started();
        one = new Desk("one");
        two = new Desk("two");
        one.sender.start();
        two.sender.start();
    }

    @AfterEach
    void tearDown() {
        one.close();
        two.close();
        smtp.close();
    }

    @Test
    void anAcknowledgementIsNeverAcknowledged() {
        startExchange();

        int delivered = exchangeUntilQuiet(UnaryOperator.identity());

        assertThat(delivered).isEqualTo(1); // one's acknowledgement to two; two opens a ticket and stays silent
        assertThat(one.acksSent()).isEqualTo(1);
        assertThat(two.acksSent()).isZero();
        assertThat(two.db.dsl().fetchCount(TICKET)).isEqualTo(1);
    }

    @Test
    void aForwarderThatStripsEveryLoopSignalIsStoppedByTheRateLimit() {
        startExchange();

        int delivered = exchangeUntilQuiet(LoopBetweenTwoDesksTest::stripLoopSignals);

        // each desk acknowledges the other's address three times in the hour, then no more
        assertThat(one.acksSent()).isEqualTo(LoopRules.DEFAULT_ACKS_PER_SENDER_PER_HOUR);
        assertThat(two.acksSent()).isEqualTo(LoopRules.DEFAULT_ACKS_PER_SENDER_PER_HOUR);
        assertThat(delivered).isEqualTo(2 * LoopRules.DEFAULT_ACKS_PER_SENDER_PER_HOUR);
    }

    /** Two's address writes to one (say, a colleague forwarded a customer's mail). */
    private void startExchange() {
        one.store.ingest(new IngestStore.IncomingMail("one", 1, 1_000_000, rfc822("""
                From: Desk two <desk@two.test>
                To: desk@one.test
                Subject: Forwarded: printer on fire
                Message-ID: <start@two.test>
                Content-Type: text/plain; charset=UTF-8

                Can you have a look?
                """)), one.epoch);
    }

    /**
     * Pumps mail both ways until the exchange is over; fails if it runs away. Over means: both
     * outboxes had nothing pending or being sent, and then neither desk had mail to take in. That
     * state cannot change by itself: GreenMail files a mail before it answers 250, and a desk
     * records 'sent' only after that answer, so every mail sent is already visible to takeIn.
     *
     * @return mails delivered
     */
    private int exchangeUntilQuiet(UnaryOperator<byte[]> forwarder) {
        await("the exchange ends").atMost(TestTimeouts.seconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            boolean idle = one.outboxIdle() && two.outboxIdle(); // first, then takeIn: see above
            int moved = one.takeIn(forwarder) + two.takeIn(forwarder);
            assertThat(smtp.received().size()).as("mails exchanged").isLessThan(RUNAWAY);
            return idle && moved == 0;
        });
        return smtp.received().size();
    }

    /** A forwarder at its worst: no Auto-Submitted, no threading headers, no ticket token. */
    private static byte[] stripLoopSignals(byte[] raw) {
        try {
            MimeMessage m = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(raw));
            for (String h : new String[]{"Auto-Submitted", "X-Auto-Response-Suppress", "In-Reply-To", "References", "Return-Path"}) {
                m.removeHeader(h);
            }
            m.setSubject(m.getSubject().replaceAll("\\s*\\[T-\\d+\\]", ""), "UTF-8");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            m.writeTo(out);
            return out.toByteArray();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
