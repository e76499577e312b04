package dev.ticketd.node.ticket;

import dev.ticketd.desk.ConflictException;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.db.Database;
import dev.ticketd.db.Transactions;
import dev.ticketd.desk.Actor;
import dev.ticketd.desk.Attachment;
import dev.ticketd.desk.AuditEvent;
import dev.ticketd.desk.MessageKind;
import dev.ticketd.desk.Tickets;
import dev.ticketd.node.auth.StaffUser;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/**
 * Staff replies. A reply is created at most once per idempotency key: the message, its
 * attachments, its outbox row, the ticket's timestamps and the audit entry commit together or not
 * at all, so a double submit, a client retry or a retry after a failover returns the reply
 * already stored (with the attachments of the first request; a replay's files are not stored).
 * The desk ({@link Tickets}) writes the message and the audit entry; this class adds the mail.
 */
public final class ReplyService {

    public static final int MAX_KEY_LENGTH = 100;
    public static final int MAX_BODY_LENGTH = 100_000;

    /**
     * @param created    false when the key had already created this message
     * @param mailQueued whether an outbox row exists for it (false for tickets without a mailbox)
     */
    public record ReplyResult(ThreadMessage message, boolean created, boolean mailQueued) {
    }

    private static final Logger log = LoggerFactory.getLogger(ReplyService.class);

    private final Transactions writes;
    private final Tickets tickets;

    /** Replies with the database's own (background) retry budget. */
    public ReplyService(Database db) {
        this(db.transactions());
    }

    /** @param writes transactions with the retry budget of a staff request (see {@code db.web-retry-budget}) */
    public ReplyService(Transactions writes) {
        this(writes, new Tickets());
    }

    /**
     * @param writes  transactions with the retry budget of a staff request (see {@code db.web-retry-budget})
     * @param tickets stores the reply and its audit entry
     */
    public ReplyService(Transactions writes, Tickets tickets) {
        this.writes = writes;
        this.tickets = tickets;
    }

    public ReplyResult reply(long ticketId, StaffUser author, String body, String idempotencyKey) {
        return reply(ticketId, author, body, idempotencyKey, List.of());
    }

    /**
     * @param attachments files to send with the reply (see {@link ReplyAttachments} for the limits);
     *                    stored as given apart from a cleaned file name and content type
     * @throws InvalidRequestException when the text, the key or a file is not acceptable; nothing is stored
     */
    public ReplyResult reply(long ticketId, StaffUser author, String body, String idempotencyKey,
                             List<ReplyAttachment> attachments) {
        List<ReplyAttachment> files = checked(body, idempotencyKey, attachments, "the reply is empty; write a message before sending",
                "the reply");
        // Replayed after a failover, the idempotency key makes this return the reply already stored.
        ReplyResult result = writes.write(tx -> replyInTransaction(tx, ticketId, author, body, idempotencyKey, files));
        if (result.created()) {
            log.info("ticket reply stored ticket={} message={} staff={} mailQueued={} attachments={}",
                    ticketId, result.message().id(), author.id(), result.mailQueued(), files.size());
        }
        return result;
    }

    /**
     * An internal note: stored with its files like a reply, never mailed, never quoted in a mail.
     *
     * @throws InvalidRequestException when the text, the key or a file is not acceptable; nothing is stored
     */
    public ReplyResult note(long ticketId, StaffUser author, String body, String idempotencyKey,
                            List<ReplyAttachment> attachments) {
        List<ReplyAttachment> files = checked(body, idempotencyKey, attachments, "the note is empty; write something before saving",
                "the note");
        ReplyResult result = writes.write(tx -> {
            tickets.lockForChange(tx, ticketId, author.viewer());
            Optional<Tickets.Reply> inserted = tickets.addNote(tx, ticketId, author.id(), body, idempotencyKey, files.stream()
                    .map(f -> new Attachment(f.filename(), f.contentType(), Optional.empty(), f.content()))
                    .toList());
            if (inserted.isEmpty()) {
                return existing(tx, ticketId, idempotencyKey);
            }
            long messageId = inserted.get().messageId();
            tickets.audit().record(tx, Actor.staff(author.email()), ticketId, new AuditEvent.Note(messageId, files.size()));
            List<AttachmentInfo> stored = inserted.get().attachments().stream()
                    .map(a -> new AttachmentInfo(a.id(), a.filename(), a.contentType(), a.sizeBytes()))
                    .toList();
            return new ReplyResult(new ThreadMessage(messageId, MessageKind.NOTE.value(), author.displayName(), body,
                    inserted.get().createdAt(), null, null, stored), true, false);
        });
        if (result.created()) {
            log.info("ticket note stored ticket={} message={} staff={} attachments={}", ticketId, result.message().id(),
                    author.id(), files.size());
        }
        return result;
    }

    /** The files of a reply or a note, once its text and key are found acceptable; nothing is stored before. */
    private static List<ReplyAttachment> checked(String body, String idempotencyKey, List<ReplyAttachment> attachments,
                                                 String whenEmpty, String what) {
        if (body == null || body.isBlank()) {
            throw new InvalidRequestException(whenEmpty);
        }
        if (body.length() > MAX_BODY_LENGTH) {
            throw new InvalidRequestException(what + " is longer than " + MAX_BODY_LENGTH + " characters");
        }
        if (idempotencyKey == null || idempotencyKey.isBlank() || idempotencyKey.length() > MAX_KEY_LENGTH) {
            throw new InvalidRequestException("an idempotency key of 1 to " + MAX_KEY_LENGTH + " characters is required");
        }
        return ReplyAttachments.checked(attachments);
    }

    private ReplyResult replyInTransaction(DSLContext tx, long ticketId, StaffUser author, String body, String key,
                                           List<ReplyAttachment> files) {
        // Locking the ticket serialises replies to it, so the "latest inbound" and the timestamps agree.
        tickets.lockForChange(tx, ticketId, author.viewer());
        Record ticket = tx.select(TICKET.ID, TICKET.NUMBER, TICKET.SUBJECT, TICKET.MAILBOX_ID, CONTACT.EMAIL)
                .from(TICKET).join(CONTACT).on(CONTACT.ID.eq(TICKET.REQUESTER_ID))
                .where(TICKET.ID.eq(ticketId))
                .forUpdate().of(TICKET)
                .fetchOne();
        if (ticket == null) {
            throw new NotFoundException("ticket " + ticketId + " does not exist");
        }
        Optional<Tickets.Reply> inserted = tickets.addReply(tx, ticketId, author.id(), body, key, files.stream()
                .map(f -> new Attachment(f.filename(), f.contentType(), Optional.empty(), f.content()))
                .toList());
        if (inserted.isEmpty()) {
            return existing(tx, ticketId, key);
        }
        long messageId = inserted.get().messageId();
        List<AttachmentInfo> stored = inserted.get().attachments().stream()
                .map(a -> new AttachmentInfo(a.id(), a.filename(), a.contentType(), a.sizeBytes()))
                .toList();
        String mailboxId = ticket.get(TICKET.MAILBOX_ID);
        boolean mailQueued = false;
        if (mailboxId != null) {
            String mailboxAddress = tx.select(MAILBOX.ADDRESS).from(MAILBOX).where(MAILBOX.ID.eq(mailboxId))
                    .fetchOne(MAILBOX.ADDRESS);
            String inReplyTo = tx.select(INBOUND_MESSAGE.MESSAGE_ID)
                    .from(TICKET_MESSAGE).join(INBOUND_MESSAGE).on(INBOUND_MESSAGE.ID.eq(TICKET_MESSAGE.INBOUND_MESSAGE_ID))
                    .where(TICKET_MESSAGE.TICKET_ID.eq(ticketId))
                    .and(TICKET_MESSAGE.KIND.eq(MessageKind.INBOUND.value()))
                    .and(INBOUND_MESSAGE.MESSAGE_ID.isNotNull())
                    .orderBy(TICKET_MESSAGE.CREATED_AT.desc(), TICKET_MESSAGE.ID.desc())
                    .limit(1)
                    .fetchOne(INBOUND_MESSAGE.MESSAGE_ID);
            tx.insertInto(OUTBOX)
                    .set(OUTBOX.MAILBOX_ID, mailboxId)
                    .set(OUTBOX.TICKET_ID, ticketId)
                    .set(OUTBOX.TICKET_MESSAGE_ID, messageId)
                    .set(OUTBOX.MESSAGE_ID, "<reply." + UUID.randomUUID() + "@" + domainOf(mailboxAddress) + ">")
                    .set(OUTBOX.TO_ADDRESS, ticket.get(CONTACT.EMAIL))
                    .set(OUTBOX.SUBJECT, replySubject(ticket.get(TICKET.SUBJECT), ticket.get(TICKET.NUMBER)))
                    .set(OUTBOX.BODY_TEXT, body)
                    .set(OUTBOX.IN_REPLY_TO, inReplyTo)
                    .set(OUTBOX.REFERENCES_HEADER, inReplyTo)
                    .set(OUTBOX.STATUS, "pending")
                    .execute();
            mailQueued = true;
        }
        tickets.audit().record(tx, Actor.staff(author.email()), ticketId,
                new AuditEvent.Reply(messageId, mailQueued, stored.size()));
        ThreadMessage message = new ThreadMessage(messageId, MessageKind.OUTBOUND.value(), author.displayName(), body,
                inserted.get().createdAt(), null, null, stored);
        return new ReplyResult(message, true, mailQueued);
    }

    private static ReplyResult existing(DSLContext tx, long ticketId, String key) {
        Record row = tx.select(TICKET_MESSAGE.ID, TICKET_MESSAGE.TICKET_ID, TICKET_MESSAGE.KIND, TICKET_MESSAGE.BODY_TEXT,
                        TICKET_MESSAGE.CREATED_AT, TICKET_MESSAGE.INBOUND_MESSAGE_ID,
                        DSL.field(DSL.select(STAFF_USER.DISPLAY_NAME)
                                .from(STAFF_USER)
                                .where(STAFF_USER.ID.eq(TICKET_MESSAGE.AUTHOR_STAFF_ID)))
                                .as("author"),
                        DSL.field(DSL.exists(DSL.selectOne().from(OUTBOX).where(OUTBOX.TICKET_MESSAGE_ID.eq(TICKET_MESSAGE.ID))))
                                .as("queued"))
                .from(TICKET_MESSAGE)
                .where(TICKET_MESSAGE.IDEMPOTENCY_KEY.eq(key))
                .fetchOne();
        if (row == null) {
            // The conflicting row was deleted between our insert and this read; never expected.
            throw new IllegalStateException("idempotency key conflicted but no message holds it");
        }
        if (row.get(TICKET_MESSAGE.TICKET_ID) != ticketId) {
            throw new ConflictException("this idempotency key was already used for a reply to another ticket; "
                    + "use a new key for a new reply");
        }
        List<AttachmentInfo> attachments = tx.select(ATTACHMENT.ID, ATTACHMENT.FILENAME, ATTACHMENT.CONTENT_TYPE, ATTACHMENT.SIZE_BYTES)
                .from(ATTACHMENT)
                .where(ATTACHMENT.TICKET_MESSAGE_ID.eq(row.get(TICKET_MESSAGE.ID)))
                .orderBy(ATTACHMENT.ID)
                .fetch(a -> new AttachmentInfo(a.get(ATTACHMENT.ID), a.get(ATTACHMENT.FILENAME), a.get(ATTACHMENT.CONTENT_TYPE),
                        a.get(ATTACHMENT.SIZE_BYTES)));
        ThreadMessage message = new ThreadMessage(row.get(TICKET_MESSAGE.ID), row.get(TICKET_MESSAGE.KIND),
                row.get("author", String.class), row.get(TICKET_MESSAGE.BODY_TEXT), row.get(TICKET_MESSAGE.CREATED_AT),
                row.get(TICKET_MESSAGE.INBOUND_MESSAGE_ID), null, attachments);
        return new ReplyResult(message, false, Boolean.TRUE.equals(row.get("queued", Boolean.class)));
    }

    /** "Re: " plus the subject, carrying the ticket token "[T-1042]" that threads the answer back. */
    static String replySubject(String subject, String number) {
        String base = subject == null ? "" : subject.strip();
        if (!base.contains("[" + number + "]")) {
            base = base.isEmpty() ? "[" + number + "]" : base + " [" + number + "]";
        }
        return base.toLowerCase(Locale.ROOT).startsWith("re:") ? base : "Re: " + base;
    }

    static String domainOf(String address) {
        int at = address == null ? -1 : address.lastIndexOf('@');
        if (at < 0 || at == address.length() - 1) {
            throw new IllegalStateException("mailbox address has no domain: " + address);
        }
        return address.substring(at + 1).strip().replace(">", "");
    }
}
