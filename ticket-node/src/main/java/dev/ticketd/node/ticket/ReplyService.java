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
import static dev.ticketd.db.generated.Tables.HELD_REPLY;
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
 *
 * <p>The stale-reply guard: a reply that says which version of the ticket its author saw (see
 * {@link HeldReplies}) is not mailed when a customer message or another staff member's reply arrived
 * after that version. It is held instead, whole, in the same transaction that locks the ticket, so
 * two nodes cannot both find it fresh; its author then sends it anyway ({@link #sendHeld}), edited or
 * not, or discards it ({@link #discardHeld}). The idempotency key stays the reply's: a replay answers
 * the held reply while it is held, and the message it became once it was sent. Notes are not guarded:
 * they are never mailed, and a note next to a newer message misleads no customer.
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

    /** What a guarded reply (or a held reply's sending) came to. */
    public sealed interface Outcome {
    }

    /** Sent (or stored, without a mailbox) on ticket {@code ticketId}; {@code result.created()} is false for a replay. */
    public record Sent(ReplyResult result, long ticketId) implements Outcome {
    }

    /**
     * Held, not mailed: {@code newer} are the messages its author had not seen (oldest first, at most
     * {@link HeldReplies#NEWER_SHOWN}), {@code version} the ticket's version now; {@code created} is
     * false when an earlier request had held it already (a replay, or a send that found it stale again).
     */
    public record Held(HeldReplies.HeldReply reply, List<ThreadMessage> newer, long version, boolean created) implements Outcome {
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
        Outcome outcome = reply(ticketId, author, body, idempotencyKey, attachments, null);
        if (outcome instanceof Held held) {
            // only a replay of a held reply's key gets here: without a version nothing is held
            throw new ConflictException("this idempotency key belongs to held reply " + held.reply().id()
                    + "; send or discard that reply, or use a new key for a new reply");
        }
        return ((Sent) outcome).result();
    }

    /**
     * A reply guarded against a stale view of the ticket.
     *
     * @param seen the ticket's version its author saw (0: no message), or null to send without the guard
     *             (API clients that do not say what they saw)
     * @return {@link Sent}, or {@link Held} when the ticket changed since {@code seen} (nothing mailed)
     * @throws InvalidRequestException when the text, the key, a file or {@code seen} is not acceptable; nothing is stored
     */
    public Outcome reply(long ticketId, StaffUser author, String body, String idempotencyKey,
                         List<ReplyAttachment> attachments, Long seen) {
        List<ReplyAttachment> files = checked(body, idempotencyKey, attachments, "the reply is empty; write a message before sending",
                "the reply");
        if (seen != null && seen < 0) {
            throw new InvalidRequestException("seen must be a ticket version (0 or a message id), not " + seen);
        }
        // Replayed after a failover, the idempotency key makes this return the reply (or held reply) already stored.
        Outcome outcome = writes.write(tx -> replyInTransaction(tx, ticketId, author, body, idempotencyKey, files, seen));
        if (outcome instanceof Sent sent && sent.result().created()) {
            log.info("ticket reply stored ticket={} message={} staff={} mailQueued={} attachments={}",
                    ticketId, sent.result().message().id(), author.id(), sent.result().mailQueued(), files.size());
        } else if (outcome instanceof Held held && held.created()) {
            log.info("ticket reply held ticket={} heldReply={} staff={} seen={} newMessages={}",
                    ticketId, held.reply().id(), author.id(), seen, held.newer().size());
        }
        return outcome;
    }

    /**
     * Sends a held reply of {@code by}'s after all, with {@code editedBody} when not null. With
     * {@code seen} (what they have seen now) it is held again, not sent, when yet another message
     * arrived after that; without it, it is sent whatever came. Sending a reply sent already answers
     * the message it became ({@code created} false).
     *
     * @throws NotFoundException when there is no such held reply of {@code by}'s
     * @throws ConflictException when it was discarded
     */
    public Outcome sendHeld(long heldId, StaffUser by, String editedBody, Long seen) {
        if (editedBody != null) {
            checkBody(editedBody, "the reply is empty; write a message before sending", "the reply");
        }
        if (seen != null && seen < 0) {
            throw new InvalidRequestException("seen must be a ticket version (0 or a message id), not " + seen);
        }
        Outcome outcome = writes.write(tx -> sendHeldInTransaction(tx, heldId, by, editedBody, seen));
        if (outcome instanceof Sent sent && sent.result().created()) {
            log.info("held reply sent heldReply={} message={} staff={} mailQueued={}", heldId, sent.result().message().id(), by.id(),
                    sent.result().mailQueued());
        }
        return outcome;
    }

    /**
     * Discards a held reply of {@code by}'s: never mailed, its files deleted. A repeat changes nothing.
     *
     * @throws NotFoundException when there is no such held reply of {@code by}'s
     * @throws ConflictException when it was sent already
     */
    public HeldReplies.HeldReply discardHeld(long heldId, StaffUser by) {
        return writes.write(tx -> {
            HeldReplies.HeldReply held = lockHeld(tx, heldId, by);
            if (HeldReplies.SENT.equals(held.status())) {
                throw new ConflictException("held reply " + heldId + " was sent already (message " + held.sentMessageId()
                        + "); it cannot be discarded");
            }
            if (HeldReplies.HELD.equals(held.status())) {
                HeldReplies.markDiscarded(tx, heldId);
                tickets.audit().record(tx, Actor.staff(by.email()), held.ticketId(), new AuditEvent.HeldReplyDiscarded(heldId));
                log.info("held reply discarded heldReply={} ticket={} staff={}", heldId, held.ticketId(), by.id());
            }
            return HeldReplies.read(tx, heldId);
        });
    }

    /** The held reply, with its ticket locked for a change by {@code by} and its own row locked; only its author's. */
    private HeldReplies.HeldReply lockHeld(DSLContext tx, long heldId, StaffUser by) {
        Record owner = HeldReplies.owner(tx, heldId)
                .filter(r -> r.get(HELD_REPLY.AUTHOR_STAFF_ID) == by.id())
                .orElseThrow(() -> new NotFoundException("you have no held reply " + heldId));
        tickets.lockForChange(tx, owner.get(HELD_REPLY.TICKET_ID), by.viewer());
        return HeldReplies.lock(tx, heldId).orElseThrow(() -> new NotFoundException("you have no held reply " + heldId));
    }

    private Outcome sendHeldInTransaction(DSLContext tx, long heldId, StaffUser by, String editedBody, Long seen) {
        HeldReplies.HeldReply held = lockHeld(tx, heldId, by);
        if (HeldReplies.DISCARDED.equals(held.status())) {
            throw new ConflictException("held reply " + heldId + " was discarded; it cannot be sent");
        }
        if (HeldReplies.SENT.equals(held.status())) {
            return new Sent(existing(tx, held.ticketId(), keyOf(tx, heldId)), held.ticketId());
        }
        long ticketId = held.ticketId();
        String body = editedBody != null ? editedBody : held.body();
        if (seen != null) {
            checkVersion(tx, ticketId, seen);
            List<ThreadMessage> newer = HeldReplies.newer(tx, ticketId, seen, by.id());
            if (!newer.isEmpty()) {
                HeldReplies.keepHolding(tx, heldId, body, seen);
                return new Held(HeldReplies.read(tx, heldId), newer, HeldReplies.version(tx, ticketId), false);
            }
        }
        Record ticket = ticketForMail(tx, ticketId);
        List<Attachment> files = HeldReplies.files(tx, heldId);
        Optional<Tickets.Reply> inserted = tickets.addReply(tx, ticketId, by.id(), body, keyOf(tx, heldId), files);
        if (inserted.isEmpty()) {
            throw new IllegalStateException("held reply " + heldId + "'s key was used by a message while it was held");
        }
        long messageId = inserted.get().messageId();
        boolean mailQueued = queueMail(tx, ticket, messageId, body);
        HeldReplies.markSent(tx, heldId, body, messageId);
        tickets.audit().record(tx, Actor.staff(by.email()), ticketId,
                new AuditEvent.HeldReplySent(heldId, messageId, mailQueued, !body.equals(held.body()), files.size()));
        return new Sent(new ReplyResult(new ThreadMessage(messageId, MessageKind.OUTBOUND.value(), by.displayName(), body,
                inserted.get().createdAt(), null, null, stored(inserted.get())), true, mailQueued), ticketId);
    }

    private static String keyOf(DSLContext tx, long heldId) {
        return tx.select(HELD_REPLY.IDEMPOTENCY_KEY).from(HELD_REPLY).where(HELD_REPLY.ID.eq(heldId)).fetchSingle(HELD_REPLY.IDEMPOTENCY_KEY);
    }

    /** A version the request claims to have seen must be one of this ticket's (a typo must not pass the guard as "fresh"). */
    private static void checkVersion(DSLContext tx, long ticketId, long seen) {
        if (!HeldReplies.isVersionOf(tx, ticketId, seen)) {
            throw new InvalidRequestException("seen " + seen + " is not a version of this ticket: send 0 or the id of one of "
                    + "its customer messages or staff replies (the ticket's \"version\")");
        }
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
            tickets.lockForWork(tx, ticketId, author.viewer());
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
        checkBody(body, whenEmpty, what);
        if (idempotencyKey == null || idempotencyKey.isBlank() || idempotencyKey.length() > MAX_KEY_LENGTH) {
            throw new InvalidRequestException("an idempotency key of 1 to " + MAX_KEY_LENGTH + " characters is required");
        }
        return ReplyAttachments.checked(attachments);
    }

    private static void checkBody(String body, String whenEmpty, String what) {
        if (body == null || body.isBlank()) {
            throw new InvalidRequestException(whenEmpty);
        }
        if (body.length() > MAX_BODY_LENGTH) {
            throw new InvalidRequestException(what + " is longer than " + MAX_BODY_LENGTH + " characters");
        }
    }

    private Outcome replyInTransaction(DSLContext tx, long ticketId, StaffUser author, String body, String key,
                                       List<ReplyAttachment> files, Long seen) {
        // Locking the ticket serialises replies and mail to it: the guard's check, the hold and the
        // reply below see one state of the ticket, on whichever node they run.
        tickets.lockForWork(tx, ticketId, author.viewer());
        Record ticket = ticketForMail(tx, ticketId);
        Optional<HeldReplies.HeldReply> heldBefore = HeldReplies.byKey(tx, key);
        if (heldBefore.isPresent()) {
            return replayOfHeld(tx, ticketId, heldBefore.get(), key);
        }
        if (tx.fetchExists(tx.selectOne().from(TICKET_MESSAGE).where(TICKET_MESSAGE.IDEMPOTENCY_KEY.eq(key)))) {
            return new Sent(existing(tx, ticketId, key), ticketId);
        }
        List<Attachment> attachments = files.stream()
                .map(f -> new Attachment(f.filename(), f.contentType(), Optional.empty(), f.content()))
                .toList();
        if (seen != null) {
            checkVersion(tx, ticketId, seen);
            List<ThreadMessage> newer = HeldReplies.newer(tx, ticketId, seen, author.id());
            if (!newer.isEmpty()) {
                Optional<Long> heldId = HeldReplies.hold(tx, ticketId, author.id(), body, key, seen, attachments);
                if (heldId.isEmpty()) {
                    // the key was taken meanwhile by a request on another ticket (this one's are serialised)
                    return replayOfHeld(tx, ticketId, HeldReplies.byKey(tx, key).orElseThrow(), key);
                }
                tickets.audit().record(tx, Actor.staff(author.email()), ticketId,
                        new AuditEvent.ReplyHeld(heldId.get(), seen, newer.size(), attachments.size()));
                return new Held(HeldReplies.read(tx, heldId.get()), newer, HeldReplies.version(tx, ticketId), true);
            }
        }
        Optional<Tickets.Reply> inserted = tickets.addReply(tx, ticketId, author.id(), body, key, attachments);
        if (inserted.isEmpty()) {
            return new Sent(existing(tx, ticketId, key), ticketId);
        }
        long messageId = inserted.get().messageId();
        List<AttachmentInfo> stored = stored(inserted.get());
        boolean mailQueued = queueMail(tx, ticket, messageId, body);
        tickets.audit().record(tx, Actor.staff(author.email()), ticketId,
                new AuditEvent.Reply(messageId, mailQueued, stored.size()));
        ThreadMessage message = new ThreadMessage(messageId, MessageKind.OUTBOUND.value(), author.displayName(), body,
                inserted.get().createdAt(), null, null, stored);
        return new Sent(new ReplyResult(message, true, mailQueued), ticketId);
    }

    /** A request whose key already held a reply: that reply as it is now (held, the message it became, or discarded). */
    private Outcome replayOfHeld(DSLContext tx, long ticketId, HeldReplies.HeldReply held, String key) {
        if (held.ticketId() != ticketId) {
            throw new ConflictException("this idempotency key was already used for a reply to another ticket; "
                    + "use a new key for a new reply");
        }
        if (HeldReplies.SENT.equals(held.status())) {
            return new Sent(existing(tx, ticketId, key), ticketId);
        }
        if (HeldReplies.DISCARDED.equals(held.status())) {
            throw new ConflictException("the reply of this idempotency key was held and then discarded (held reply " + held.id()
                    + "); use a new key for a new reply");
        }
        return new Held(held, HeldReplies.newer(tx, ticketId, held.seen(), authorOf(tx, held.id())),
                HeldReplies.version(tx, ticketId), false);
    }

    private static long authorOf(DSLContext tx, long heldId) {
        return tx.select(HELD_REPLY.AUTHOR_STAFF_ID).from(HELD_REPLY).where(HELD_REPLY.ID.eq(heldId)).fetchSingle(HELD_REPLY.AUTHOR_STAFF_ID);
    }

    /** The ticket's fields a reply's mail needs, its row locked. */
    private static Record ticketForMail(DSLContext tx, long ticketId) {
        Record ticket = tx.select(TICKET.ID, TICKET.NUMBER, TICKET.SUBJECT, TICKET.MAILBOX_ID, CONTACT.EMAIL)
                .from(TICKET).join(CONTACT).on(CONTACT.ID.eq(TICKET.REQUESTER_ID))
                .where(TICKET.ID.eq(ticketId))
                .forUpdate().of(TICKET)
                .fetchOne();
        if (ticket == null) {
            throw new NotFoundException("ticket " + ticketId + " does not exist");
        }
        return ticket;
    }

    private static List<AttachmentInfo> stored(Tickets.Reply reply) {
        return reply.attachments().stream()
                .map(a -> new AttachmentInfo(a.id(), a.filename(), a.contentType(), a.sizeBytes()))
                .toList();
    }

    /** Queues the reply's mail in the outbox, in the reply's transaction; false for a ticket without a mailbox. */
    private static boolean queueMail(DSLContext tx, Record ticket, long messageId, String body) {
        long ticketId = ticket.get(TICKET.ID);
        String mailboxId = ticket.get(TICKET.MAILBOX_ID);
        if (mailboxId == null) {
            return false;
        }
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
        return true;
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
