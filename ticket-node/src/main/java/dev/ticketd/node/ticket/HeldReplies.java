package dev.ticketd.node.ticket;

import dev.ticketd.db.Database;
import dev.ticketd.db.Read;
import dev.ticketd.desk.Attachment;
import dev.ticketd.desk.MessageKind;
import dev.ticketd.desk.Viewer;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Record1;
import org.jooq.ResultQuery;
import org.jooq.Select;
import org.jooq.SelectField;
import org.jooq.SelectOnConditionStep;
import org.jooq.impl.DSL;

import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.HELD_REPLY;
import static dev.ticketd.db.generated.Tables.HELD_REPLY_ATTACHMENT;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/**
 * The stale-reply guard's storage ({@code held_reply}, {@code held_reply_attachment}): replies held
 * because their ticket changed after the author saw it, and the reads that show them. The writes
 * work inside the caller's transaction ({@link ReplyService} holds the ticket's row lock); the reads
 * are bounded and walk {@code held_reply_author_held_idx} or {@code held_reply_ticket_held_idx}.
 *
 * <p>A ticket's <em>version</em> is the id of its newest customer message or staff reply (not
 * notes), 0 when it has none. Every message is inserted under the ticket's row lock, so a ticket's
 * message ids grow in commit order and "a message newer than the version" is exactly "a message the
 * author had not seen".
 */
public final class HeldReplies {

    /** The most held replies the "Needs attention" view and its API list. */
    public static final int MAX_LISTED = 100;
    /** The most new messages a held reply shows (the newest ones). */
    public static final int NEWER_SHOWN = 50;
    /** How much of each new message's text a held reply shows. */
    static final int NEWER_CHARS = 10_000;

    public static final String HELD = "held";
    public static final String SENT = "sent";
    public static final String DISCARDED = "discarded";

    /** A file of a held reply: not downloadable on its own; it goes with the reply when it is sent. */
    public record HeldFile(String filename, String contentType, long size) {
    }

    /**
     * A reply the guard held. {@code seen} is the version its author saw; {@code status} is
     * {@code held}, {@code sent} (then {@code sentMessageId} is the message it became) or {@code discarded}.
     */
    public record HeldReply(long id, long ticketId, String ticketNumber, String subject, String body, long seen, String status,
                            OffsetDateTime heldAt, OffsetDateTime decidedAt, Long sentMessageId, List<HeldFile> attachments) {
        public HeldReply {
            attachments = List.copyOf(attachments);
        }

        /** The first line of the text, at most 120 characters, for a list. */
        public String snippet() {
            String line = body.strip().lines().findFirst().orElse("");
            return line.length() <= 120 ? line : line.substring(0, 119) + "…";
        }
    }

    /** A held reply as its ticket page shows it: with the messages its author had not seen. */
    public record Shown(HeldReply reply, List<ThreadMessage> newer) {
    }

    private final Database db;

    public HeldReplies(Database db) {
        this.db = db;
    }

    /**
     * The "Needs attention" view: {@code viewer}'s held replies on tickets they still see, newest
     * first, at most {@code limit} ({@link #MAX_LISTED}).
     */
    public Read<List<HeldReply>> heldBy(Viewer viewer, int limit) {
        if (limit < 1 || limit > MAX_LISTED) {
            throw new IllegalArgumentException("limit must be 1 to " + MAX_LISTED + ", was " + limit);
        }
        return db.read(dsl -> withFiles(dsl, heldByQuery(dsl, viewer, limit).fetch(HeldReplies::heldReply)));
    }

    /** The query of {@link #heldBy}: a walk of {@code held_reply_author_held_idx}, newest first, stopped at {@code limit}. */
    static ResultQuery<Record> heldByQuery(DSLContext dsl, Viewer viewer, int limit) {
        return select(dsl)
                .where(HELD_REPLY.AUTHOR_STAFF_ID.eq(viewer.staffId()))
                .and(HELD_REPLY.STATUS.eq(HELD))
                .and(viewer.sees())
                .orderBy(HELD_REPLY.CREATED_AT.desc(), HELD_REPLY.ID.desc())
                .limit(limit);
    }

    /**
     * How many held replies {@code viewer} has on tickets they see, counted up to {@link #MAX_LISTED} + 1
     * (more shows as "100+"): the same index walk as {@link #heldBy}, never a full count.
     */
    public Read<Integer> heldCount(Viewer viewer) {
        return db.read(dsl -> dsl.fetchCount(heldCountQuery(dsl, viewer)));
    }

    /** What {@link #heldCount} counts: at most {@link #MAX_LISTED} + 1 rows. */
    static Select<Record1<Integer>> heldCountQuery(DSLContext dsl, Viewer viewer) {
        return dsl.selectOne().from(HELD_REPLY).join(TICKET).on(TICKET.ID.eq(HELD_REPLY.TICKET_ID))
                .where(HELD_REPLY.AUTHOR_STAFF_ID.eq(viewer.staffId()))
                .and(HELD_REPLY.STATUS.eq(HELD))
                .and(viewer.sees())
                .limit(MAX_LISTED + 1);
    }

    /** {@code viewer}'s held replies on one ticket (they see it), oldest first, at most {@link #MAX_LISTED}. */
    public Read<List<HeldReply>> heldOn(Viewer viewer, long ticketId) {
        return db.read(dsl -> withFiles(dsl, select(dsl)
                .where(HELD_REPLY.TICKET_ID.eq(ticketId))
                .and(HELD_REPLY.STATUS.eq(HELD))
                .and(HELD_REPLY.AUTHOR_STAFF_ID.eq(viewer.staffId()))
                .and(viewer.sees())
                .orderBy(HELD_REPLY.ID)
                .limit(MAX_LISTED)
                .fetch(HeldReplies::heldReply)));
    }

    /** The messages a held reply's author had not seen, on the page's ticket (read outside the guard's transaction). */
    public Read<List<ThreadMessage>> newerThan(long ticketId, long seen, long authorId) {
        return db.read(dsl -> newer(dsl, ticketId, seen, authorId));
    }

    // ---- inside the guard's transaction (the caller holds the ticket's row lock) ----

    /** The ticket's version: its newest customer message's or staff reply's id, 0 when it has none. */
    static long version(DSLContext tx, long ticketId) {
        Long max = tx.select(DSL.max(TICKET_MESSAGE.ID)).from(TICKET_MESSAGE)
                .where(TICKET_MESSAGE.TICKET_ID.eq(ticketId))
                .and(TICKET_MESSAGE.KIND.in(MessageKind.INBOUND.value(), MessageKind.OUTBOUND.value()))
                .fetchOne(0, Long.class);
        return max == null ? 0 : max;
    }

    /** Whether {@code seen} can be a version of the ticket: 0, or one of its customer messages or staff replies. */
    static boolean isVersionOf(DSLContext tx, long ticketId, long seen) {
        return seen == 0 || tx.fetchExists(tx.selectOne().from(TICKET_MESSAGE)
                .where(TICKET_MESSAGE.ID.eq(seen)).and(TICKET_MESSAGE.TICKET_ID.eq(ticketId))
                .and(TICKET_MESSAGE.KIND.in(MessageKind.INBOUND.value(), MessageKind.OUTBOUND.value())));
    }

    /**
     * What changed since {@code seen} for {@code authorId}: customer messages and other staff members'
     * replies (not notes, not the author's own replies, not automatic acknowledgements), oldest
     * first, the newest {@link #NEWER_SHOWN}, each text cut at {@link #NEWER_CHARS} characters.
     */
    static List<ThreadMessage> newer(DSLContext dsl, long ticketId, long seen, long authorId) {
        List<ThreadMessage> newestFirst = newerQuery(dsl, ticketId, seen, authorId)
                .fetch(r -> {
                    String shown = r.get(NEWER_TEXT);
                    long whole = r.get(NEWER_TEXT_BYTES) == null ? 0 : r.get(NEWER_TEXT_BYTES);
                    long shownBytes = shown.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
                    String author = TicketQueries.authorName(r.get(STAFF_USER.DISPLAY_NAME), r.get(TICKET_MESSAGE.AUTHOR_NAME),
                            r.get(CONTACT.DISPLAY_NAME), r.get(CONTACT.EMAIL));
                    return new ThreadMessage(r.get(TICKET_MESSAGE.ID), r.get(TICKET_MESSAGE.KIND), author, shown,
                            r.get(TICKET_MESSAGE.CREATED_AT), r.get(TICKET_MESSAGE.INBOUND_MESSAGE_ID), null, List.of(),
                            shownBytes < whole ? new ThreadMessage.BodyCut(shownBytes, whole) : null);
                });
        List<ThreadMessage> oldestFirst = new java.util.ArrayList<>(newestFirst);
        java.util.Collections.reverse(oldestFirst);
        return List.copyOf(oldestFirst);
    }

    private static final Field<String> NEWER_TEXT = DSL.left(TICKET_MESSAGE.BODY_TEXT, NEWER_CHARS).as("text");
    private static final Field<Integer> NEWER_TEXT_BYTES = DSL.octetLength(TICKET_MESSAGE.BODY_TEXT).as("text_bytes");

    /** The query of {@link #newer}: the ticket's messages after {@code seen} through {@code ticket_message_ticket_idx}, bounded. */
    static ResultQuery<Record> newerQuery(DSLContext dsl, long ticketId, long seen, long authorId) {
        return dsl.select(List.<SelectField<?>>of(TICKET_MESSAGE.ID, TICKET_MESSAGE.KIND, STAFF_USER.DISPLAY_NAME,
                        TICKET_MESSAGE.AUTHOR_NAME, CONTACT.DISPLAY_NAME, CONTACT.EMAIL, NEWER_TEXT, NEWER_TEXT_BYTES,
                        TICKET_MESSAGE.CREATED_AT, TICKET_MESSAGE.INBOUND_MESSAGE_ID))
                .from(TICKET_MESSAGE)
                .leftJoin(STAFF_USER).on(STAFF_USER.ID.eq(TICKET_MESSAGE.AUTHOR_STAFF_ID))
                .leftJoin(CONTACT).on(CONTACT.ID.eq(TICKET_MESSAGE.AUTHOR_CONTACT_ID))
                .where(TICKET_MESSAGE.TICKET_ID.eq(ticketId))
                .and(TICKET_MESSAGE.ID.gt(seen))
                .and(changesFor(authorId))
                .orderBy(TICKET_MESSAGE.ID.desc())
                .limit(NEWER_SHOWN);
    }

    /** A message that makes a reply of {@code authorId} stale: a customer's, or another member of staff's reply. */
    private static Condition changesFor(long authorId) {
        return TICKET_MESSAGE.KIND.eq(MessageKind.INBOUND.value())
                .or(TICKET_MESSAGE.KIND.eq(MessageKind.OUTBOUND.value())
                        .and(TICKET_MESSAGE.AUTHOR_STAFF_ID.isNotNull())
                        .and(TICKET_MESSAGE.AUTHOR_STAFF_ID.ne(authorId)));
    }

    /** The held reply of this key, whatever its ticket and status. */
    static Optional<HeldReply> byKey(DSLContext tx, String key) {
        return withFiles(tx, select(tx).where(HELD_REPLY.IDEMPOTENCY_KEY.eq(key)).fetch(HeldReplies::heldReply)).stream().findFirst();
    }

    /** The held reply, its row locked; empty when there is none. */
    static Optional<HeldReply> lock(DSLContext tx, long id) {
        return withFiles(tx, select(tx).where(HELD_REPLY.ID.eq(id)).forUpdate().of(HELD_REPLY).fetch(HeldReplies::heldReply))
                .stream().findFirst();
    }

    /** The held reply's author and ticket, unlocked: what the caller must lock and check first. */
    static Optional<Record> owner(DSLContext tx, long id) {
        return tx.select(HELD_REPLY.TICKET_ID, HELD_REPLY.AUTHOR_STAFF_ID).from(HELD_REPLY).where(HELD_REPLY.ID.eq(id)).fetchOptional()
                .map(r -> r);
    }

    /** Holds a reply with its files; empty when the key is taken already (by a concurrent request on another ticket). */
    static Optional<Long> hold(DSLContext tx, long ticketId, long authorId, String body, String key, long seen,
                               List<Attachment> files) {
        Long id = tx.insertInto(HELD_REPLY)
                .set(HELD_REPLY.TICKET_ID, ticketId)
                .set(HELD_REPLY.AUTHOR_STAFF_ID, authorId)
                .set(HELD_REPLY.BODY_TEXT, body)
                .set(HELD_REPLY.IDEMPOTENCY_KEY, key)
                .set(HELD_REPLY.SEEN_MESSAGE_ID, seen)
                .onConflict(HELD_REPLY.IDEMPOTENCY_KEY).doNothing()
                .returning(HELD_REPLY.ID)
                .fetchOne(HELD_REPLY.ID);
        if (id == null) {
            return Optional.empty();
        }
        for (Attachment f : files) {
            tx.insertInto(HELD_REPLY_ATTACHMENT)
                    .set(HELD_REPLY_ATTACHMENT.HELD_REPLY_ID, id)
                    .set(HELD_REPLY_ATTACHMENT.FILENAME, f.filename())
                    .set(HELD_REPLY_ATTACHMENT.CONTENT_TYPE, f.contentType())
                    .set(HELD_REPLY_ATTACHMENT.SIZE_BYTES, (long) f.content().length)
                    .set(HELD_REPLY_ATTACHMENT.CONTENT, f.content())
                    .execute();
        }
        return Optional.of(id);
    }

    /** The held reply's files with their bytes, in the order they came. */
    static List<Attachment> files(DSLContext tx, long id) {
        return tx.select(HELD_REPLY_ATTACHMENT.FILENAME, HELD_REPLY_ATTACHMENT.CONTENT_TYPE, HELD_REPLY_ATTACHMENT.CONTENT)
                .from(HELD_REPLY_ATTACHMENT).where(HELD_REPLY_ATTACHMENT.HELD_REPLY_ID.eq(id)).orderBy(HELD_REPLY_ATTACHMENT.ID)
                .fetch(r -> new Attachment(r.value1(), r.value2(), Optional.empty(), r.value3()));
    }

    /** Still held after its author looked again: keeps the text as they left it and what they have seen now. */
    static void keepHolding(DSLContext tx, long id, String body, long seen) {
        tx.update(HELD_REPLY).set(HELD_REPLY.BODY_TEXT, body).set(HELD_REPLY.SEEN_MESSAGE_ID, seen)
                .where(HELD_REPLY.ID.eq(id)).execute();
    }

    /** Sent as {@code messageId} (with {@code body}, edited or not); its files now live with the message. */
    static void markSent(DSLContext tx, long id, String body, long messageId) {
        tx.update(HELD_REPLY)
                .set(HELD_REPLY.STATUS, SENT)
                .set(HELD_REPLY.BODY_TEXT, body)
                .set(HELD_REPLY.SENT_MESSAGE_ID, messageId)
                .set(HELD_REPLY.DECIDED_AT, DSL.currentOffsetDateTime())
                .where(HELD_REPLY.ID.eq(id)).execute();
        tx.deleteFrom(HELD_REPLY_ATTACHMENT).where(HELD_REPLY_ATTACHMENT.HELD_REPLY_ID.eq(id)).execute();
    }

    /** Discarded: its files are deleted; the row stays so that a replay of its key answers "discarded", never a new reply. */
    static void markDiscarded(DSLContext tx, long id) {
        tx.update(HELD_REPLY)
                .set(HELD_REPLY.STATUS, DISCARDED)
                .set(HELD_REPLY.DECIDED_AT, DSL.currentOffsetDateTime())
                .where(HELD_REPLY.ID.eq(id)).execute();
        tx.deleteFrom(HELD_REPLY_ATTACHMENT).where(HELD_REPLY_ATTACHMENT.HELD_REPLY_ID.eq(id)).execute();
    }

    static HeldReply read(DSLContext tx, long id) {
        return withFiles(tx, select(tx).where(HELD_REPLY.ID.eq(id)).fetch(HeldReplies::heldReply)).get(0);
    }

    private static SelectOnConditionStep<Record> select(DSLContext dsl) {
        return dsl.select(List.<SelectField<?>>of(HELD_REPLY.ID, HELD_REPLY.TICKET_ID, TICKET.NUMBER, TICKET.SUBJECT,
                        HELD_REPLY.BODY_TEXT, HELD_REPLY.SEEN_MESSAGE_ID, HELD_REPLY.STATUS, HELD_REPLY.CREATED_AT, HELD_REPLY.DECIDED_AT,
                        HELD_REPLY.SENT_MESSAGE_ID))
                .from(HELD_REPLY).join(TICKET).on(TICKET.ID.eq(HELD_REPLY.TICKET_ID));
    }

    private static HeldReply heldReply(Record r) {
        return new HeldReply(r.get(HELD_REPLY.ID), r.get(HELD_REPLY.TICKET_ID), r.get(TICKET.NUMBER), r.get(TICKET.SUBJECT),
                r.get(HELD_REPLY.BODY_TEXT), r.get(HELD_REPLY.SEEN_MESSAGE_ID), r.get(HELD_REPLY.STATUS), r.get(HELD_REPLY.CREATED_AT),
                r.get(HELD_REPLY.DECIDED_AT), r.get(HELD_REPLY.SENT_MESSAGE_ID), List.of());
    }

    /** The replies with their files' names, types and sizes (one query for all). */
    private static List<HeldReply> withFiles(DSLContext dsl, List<HeldReply> replies) {
        if (replies.isEmpty()) {
            return replies;
        }
        Map<Long, List<HeldFile>> files = new HashMap<>();
        dsl.select(HELD_REPLY_ATTACHMENT.HELD_REPLY_ID, HELD_REPLY_ATTACHMENT.FILENAME, HELD_REPLY_ATTACHMENT.CONTENT_TYPE,
                        HELD_REPLY_ATTACHMENT.SIZE_BYTES)
                .from(HELD_REPLY_ATTACHMENT)
                .where(HELD_REPLY_ATTACHMENT.HELD_REPLY_ID.in(replies.stream().map(HeldReply::id).toList()))
                .orderBy(HELD_REPLY_ATTACHMENT.ID)
                .forEach(r -> files.computeIfAbsent(r.value1(), k -> new java.util.ArrayList<>())
                        .add(new HeldFile(r.value2(), r.value3(), r.value4())));
        return replies.stream().map(h -> new HeldReply(h.id(), h.ticketId(), h.ticketNumber(), h.subject(), h.body(), h.seen(),
                h.status(), h.heldAt(), h.decidedAt(), h.sentMessageId(), files.getOrDefault(h.id(), List.of()))).toList();
    }
}
