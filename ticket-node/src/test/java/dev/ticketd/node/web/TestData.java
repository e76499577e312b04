package dev.ticketd.node.web;

import dev.ticketd.db.Database;
import dev.ticketd.node.auth.Secrets;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.UUID;

import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.STAFF_GROUP;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/** Inserts tickets, contacts, mailboxes and inbound mail directly, as mail-ingest would have. */
public final class TestData {

    private final Database db;

    public TestData(Database db) {
        this.db = db;
    }

    public String mailbox(String id, String address) {
        db.dsl().insertInto(MAILBOX)
                .set(MAILBOX.ID, id).set(MAILBOX.ADDRESS, address)
                .set(MAILBOX.IMAP_HOST, "localhost").set(MAILBOX.IMAP_PORT, 143)
                .set(MAILBOX.IMAP_USER, address).set(MAILBOX.SECRET_REF, "TEST_SECRET")
                .execute();
        return id;
    }

    /** A group (made when it does not exist); returns its id. */
    public long group(String name) {
        db.dsl().insertInto(STAFF_GROUP).set(STAFF_GROUP.NAME, name).onConflict(STAFF_GROUP.NAME).doNothing().execute();
        return db.dsl().select(STAFF_GROUP.ID).from(STAFF_GROUP).where(STAFF_GROUP.NAME.eq(name)).fetchSingle(STAFF_GROUP.ID);
    }

    /** A mailbox that delivers into {@code group}. */
    public String mailbox(String id, String address, String group) {
        mailbox(id, address);
        db.dsl().update(MAILBOX).set(MAILBOX.GROUP_ID, group(group)).where(MAILBOX.ID.eq(id)).execute();
        return id;
    }

    public long contact(String email) {
        return db.dsl().insertInto(CONTACT).set(CONTACT.EMAIL, email)
                .onConflict(CONTACT.EMAIL).doUpdate().set(CONTACT.EMAIL, email)
                .returning(CONTACT.ID).fetchOne(CONTACT.ID);
    }

    public long ticket(String number, String subject, String status, String mailboxId, String requesterEmail) {
        return ticket(number, subject, status, mailboxId, requesterEmail, OffsetDateTime.now());
    }

    public long ticket(String number, String subject, String status, String mailboxId, String requesterEmail,
                       OffsetDateTime createdAt) {
        long contact = contact(requesterEmail);
        return db.dsl().insertInto(TICKET)
                .set(TICKET.NUMBER, number).set(TICKET.SUBJECT, subject).set(TICKET.STATUS, status)
                .set(TICKET.MAILBOX_ID, mailboxId).set(TICKET.REQUESTER_ID, contact)
                .set(TICKET.CREATED_AT, createdAt)
                .returning(TICKET.ID).fetchOne(TICKET.ID);
    }

    /** Stores a raw mail and attaches it to the ticket as an inbound message; returns the inbound message id. */
    public long inbound(long ticketId, String mailboxId, String messageId, String fromEmail, String body, byte[] raw) {
        long inboundId = storedMail(mailboxId, messageId, fromEmail, raw);
        db.dsl().insertInto(TICKET_MESSAGE)
                .set(TICKET_MESSAGE.TICKET_ID, ticketId)
                .set(TICKET_MESSAGE.KIND, "inbound")
                .set(TICKET_MESSAGE.AUTHOR_CONTACT_ID, contact(fromEmail))
                .set(TICKET_MESSAGE.INBOUND_MESSAGE_ID, inboundId)
                .set(TICKET_MESSAGE.BODY_TEXT, body)
                .execute();
        return inboundId;
    }

    /** Stores a raw mail as intake does before it decides where it goes; returns the inbound message id. */
    public long storedMail(String mailboxId, String messageId, String fromEmail, byte[] raw) {
        return db.dsl().insertInto(INBOUND_MESSAGE)
                .set(INBOUND_MESSAGE.MAILBOX_ID, mailboxId)
                .set(INBOUND_MESSAGE.UIDVALIDITY, 1L)
                .set(INBOUND_MESSAGE.UID, (long) Math.abs(UUID.randomUUID().getMostSignificantBits() % 1_000_000_000L))
                .set(INBOUND_MESSAGE.CONTENT_KEY, Secrets.sha256Hex(UUID.randomUUID().toString()))
                .set(INBOUND_MESSAGE.RAW_SHA256, Secrets.sha256Hex(new String(raw, StandardCharsets.ISO_8859_1)))
                .set(INBOUND_MESSAGE.RAW, raw)
                .set(INBOUND_MESSAGE.SIZE_BYTES, raw.length)
                .set(INBOUND_MESSAGE.MESSAGE_ID, messageId)
                .set(INBOUND_MESSAGE.FROM_ADDRESS, fromEmail)
                .set(INBOUND_MESSAGE.PARSE_STATUS, "parsed")
                .set(INBOUND_MESSAGE.EPOCH, 1L)
                .returning(INBOUND_MESSAGE.ID).fetchOne(INBOUND_MESSAGE.ID);
    }

    public int messagesOf(long ticketId) {
        return db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.TICKET_ID.eq(ticketId));
    }

    public int outboundMessagesOf(long ticketId) {
        return db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.TICKET_ID.eq(ticketId).and(TICKET_MESSAGE.KIND.eq("outbound")));
    }

    public int outboxRowsOf(long ticketId) {
        return db.dsl().fetchCount(OUTBOX, OUTBOX.TICKET_ID.eq(ticketId));
    }
}
