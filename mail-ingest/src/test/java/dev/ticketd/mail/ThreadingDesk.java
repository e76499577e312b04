package dev.ticketd.mail;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.db.generated.tables.records.TicketRecord;
import dev.ticketd.testing.TestPostgres;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.mail.testing.TestMailServer.rfc822;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The threading tests' desk: a fresh migrated database with the mailbox {@code support}, its lease
 * held, and intake's {@link IngestStore}; mail goes in as the reader stores it, tickets are read back.
 */
final class ThreadingDesk implements AutoCloseable {

    final Database db = TestPostgres.freshDatabase();
    /** Intake's store; a test may put one with other settings in its place. */
    IngestStore store;
    final long epoch;
    private final AtomicLong uids = new AtomicLong();

    ThreadingDesk() {
        db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, "support").set(MAILBOX.ADDRESS, "support@example.test")
                .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, 143)
                .set(MAILBOX.IMAP_USER, "support@example.test").set(MAILBOX.SECRET_REF, "support").execute();
        epoch = new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).acquire("support", "test");
        store = new IngestStore(db, new MailParser(), new TicketsFromMail());
    }

    /** The next IMAP UID of the mailbox. */
    long nextUid() {
        return uids.incrementAndGet();
    }

    static byte[] mail(String from, String subject, String messageId, String extraHeaders, String body) {
        return rfc822("From: " + from + "\nTo: support@example.test\nSubject: " + subject + "\nMessage-ID: " + messageId
                + "\n" + extraHeaders + "Content-Type: text/plain; charset=UTF-8\n\n" + body + "\n");
    }

    /** Ingests a mail that must become a ticket message; returns that message's id. */
    long ingest(byte[] raw) {
        assertThat(store.ingest(new IngestStore.IncomingMail("support", 1, nextUid(), raw), epoch)).isEqualTo(IngestStore.Outcome.TICKETED);
        return db.dsl().select(TICKET_MESSAGE.ID).from(TICKET_MESSAGE)
                .orderBy(TICKET_MESSAGE.ID.desc()).limit(1).fetchSingle(TICKET_MESSAGE.ID);
    }

    TicketRecord ticket(long ticketId) {
        return db.dsl().selectFrom(TICKET).where(TICKET.ID.eq(ticketId)).fetchSingle();
    }

    TicketRecord ticketOf(long ticketMessageId) {
        return ticket(db.dsl().select(TICKET_MESSAGE.TICKET_ID).from(TICKET_MESSAGE)
                .where(TICKET_MESSAGE.ID.eq(ticketMessageId)).fetchSingle(TICKET_MESSAGE.TICKET_ID));
    }

    @Override
    public void close() {
        db.close();
    }
}
