package dev.ticketd.node.ticket;

import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.db.Database;
import dev.ticketd.db.Read;
import dev.ticketd.db.generated.tables.Contact;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.mail.mime.HtmlSanitizer;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.impl.DSL;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/**
 * Read side of tickets: the list, one ticket's thread and raw inbound mail. Knows nothing of HTTP.
 * Every answer says whether it came from a standby ({@link Read#fromStandby()}), which happens
 * only while the primary of a replicated database is out of reach.
 */
public final class TicketQueries {

    public static final int MAX_LIMIT = 500;
    /**
     * How much of each body of a message a thread reads and shows, in characters: a long letter
     * whole, a runaway HTML mail only its start (the rest is one click away, {@link #wholeMessage}).
     * 150,000 characters sanitise in a few tens of milliseconds.
     */
    public static final int SHOWN_CHARS = 150_000;

    private final Database db;
    private final HtmlSanitizer sanitizer = new HtmlSanitizer();

    public TicketQueries(Database db) {
        this.db = db;
    }

    /** Tickets newest first (created_at desc, id desc), starting after {@code after} when given. */
    public Read<TicketPage> list(TicketStatus status, int limit, TicketCursor after) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new InvalidRequestException("limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
        }
        Field<Integer> messageCount = DSL.field(DSL.selectCount().from(TICKET_MESSAGE)
                .where(TICKET_MESSAGE.TICKET_ID.eq(TICKET.ID))).as("message_count");
        Condition where = DSL.noCondition();
        if (status != null) {
            where = where.and(TICKET.STATUS.eq(status.value()));
        }
        if (after != null) {
            where = where.and(DSL.row(TICKET.CREATED_AT, TICKET.ID).lt(after.createdAt(), after.id()));
        }
        Condition filter = where;
        return db.read(dsl -> page(dsl.select(TICKET.ID, TICKET.NUMBER, TICKET.SUBJECT, TICKET.STATUS, CONTACT.EMAIL, messageCount, TICKET.CREATED_AT)
                .from(TICKET).join(CONTACT).on(CONTACT.ID.eq(TICKET.REQUESTER_ID))
                .where(filter)
                .orderBy(TICKET.CREATED_AT.desc(), TICKET.ID.desc())
                .limit(limit + 1)
                .fetch(r -> new TicketSummary(r.get(TICKET.ID), r.get(TICKET.NUMBER), r.get(TICKET.SUBJECT),
                        r.get(TICKET.STATUS), r.get(CONTACT.EMAIL), r.get(messageCount), r.get(TICKET.CREATED_AT))), limit));
    }

    private static TicketPage page(List<TicketSummary> rows, int limit) {
        if (rows.size() <= limit) {
            return new TicketPage(rows, null);
        }
        List<TicketSummary> page = List.copyOf(rows.subList(0, limit));
        TicketSummary last = page.get(limit - 1);
        return new TicketPage(page, new TicketCursor(last.createdAt(), last.id()).encode());
    }

    /** The most entries of a ticket's history that its page and API show (newest first). */
    public static final int HISTORY_SHOWN = 200;
    private static final ObjectReader DETAIL_READER = new ObjectMapper().readerFor(new TypeReference<LinkedHashMap<String, Object>>() { });

    public Read<TicketDetail> detail(long ticketId) {
        return db.read(dsl -> detail(dsl, ticketId));
    }

    private TicketDetail detail(DSLContext dsl, long ticketId) {
        Record ticket = ticketHead(dsl, ticketId);
        List<ThreadMessage> messages = messages(dsl, TICKET_MESSAGE.TICKET_ID.eq(ticketId), true);
        return new TicketDetail(ticket.get(TICKET.ID), ticket.get(TICKET.NUMBER), ticket.get(TICKET.SUBJECT),
                ticket.get(TICKET.STATUS), ticket.get(TICKET.PRIORITY), ticket.get(CONTACT.EMAIL), ticket.get(TICKET.MAILBOX_ID),
                ticket.get(TICKET.CREATED_AT), messages, history(dsl, ticketId), lifecycle(dsl, ticketId));
    }

    /** The ticket's pending time and kind, resolved time and linked ticket. */
    private static TicketLifecycle lifecycle(DSLContext dsl, long ticketId) {
        var linked = TICKET.as("linked");
        return dsl.select(TICKET.PENDING_UNTIL, TICKET.PENDING_KIND, TICKET.RESOLVED_AT, TICKET.LINKED_TICKET_ID, linked.NUMBER)
                .from(TICKET).leftJoin(linked).on(linked.ID.eq(TICKET.LINKED_TICKET_ID))
                .where(TICKET.ID.eq(ticketId))
                .fetchSingle(r -> new TicketLifecycle(r.value1(), r.value2(), r.value3(), r.value4(), r.value5()));
    }

    /**
     * The ticket's audit trail, newest first, at most {@link #HISTORY_SHOWN} entries (a ticket a loop
     * or a flood keeps writing to must not make its page grow without end).
     */
    private static List<HistoryEntry> history(DSLContext dsl, long ticketId) {
        return dsl.select(AUDIT_LOG.AT, AUDIT_LOG.ACTOR, AUDIT_LOG.ACTION, AUDIT_LOG.DETAIL)
                .from(AUDIT_LOG)
                .where(AUDIT_LOG.TICKET_ID.eq(ticketId))
                .orderBy(AUDIT_LOG.AT.desc(), AUDIT_LOG.ID.desc())
                .limit(HISTORY_SHOWN)
                .fetch(r -> new HistoryEntry(r.get(AUDIT_LOG.AT), r.get(AUDIT_LOG.ACTOR), r.get(AUDIT_LOG.ACTION),
                        detailOf(r.get(AUDIT_LOG.DETAIL))));
    }

    private static Map<String, Object> detailOf(JSONB detail) {
        if (detail == null) {
            return Map.of();
        }
        try {
            return DETAIL_READER.readValue(detail.data());
        } catch (IOException e) {
            throw new UncheckedIOException("audit_log.detail is not a JSON object: " + e.getMessage(), e);
        }
    }

    /**
     * One message of a ticket with its whole bodies, for the page a "show the whole message" link
     * opens: the only read whose cost grows with the size of a mail, and only on request.
     */
    public Read<WholeMessage> wholeMessage(long ticketId, long messageId) {
        return db.read(dsl -> {
            Record ticket = ticketHead(dsl, ticketId);
            ThreadMessage message = messages(dsl, TICKET_MESSAGE.TICKET_ID.eq(ticketId).and(TICKET_MESSAGE.ID.eq(messageId)), false)
                    .stream().findFirst()
                    .orElseThrow(() -> new NotFoundException("ticket " + ticket.get(TICKET.NUMBER) + " has no message " + messageId));
            return new WholeMessage(ticketId, ticket.get(TICKET.NUMBER), ticket.get(TICKET.SUBJECT), message);
        });
    }

    private static Record ticketHead(DSLContext dsl, long ticketId) {
        Record ticket = dsl.select(TICKET.ID, TICKET.NUMBER, TICKET.SUBJECT, TICKET.STATUS, TICKET.PRIORITY, TICKET.MAILBOX_ID,
                        TICKET.CREATED_AT, CONTACT.EMAIL)
                .from(TICKET).join(CONTACT).on(CONTACT.ID.eq(TICKET.REQUESTER_ID))
                .where(TICKET.ID.eq(ticketId))
                .fetchOne();
        if (ticket == null) {
            throw new NotFoundException("ticket " + ticketId + " does not exist");
        }
        return ticket;
    }

    /**
     * The messages {@code which} selects, oldest first. When {@code capped}, each body is read only
     * up to {@link #SHOWN_CHARS} characters (the database sends no more) and only that start is
     * sanitised, so a thread costs bounded work however large its mails are; the whole sizes come
     * from {@code octet_length}, which PostgreSQL answers from the stored value's header.
     */
    private List<ThreadMessage> messages(DSLContext dsl, Condition which, boolean capped) {
        Contact author = CONTACT.as("author");
        Map<Long, List<Record>> attachmentsOf = new HashMap<>();
        dsl.select(ATTACHMENT.ID, ATTACHMENT.TICKET_MESSAGE_ID, ATTACHMENT.FILENAME, ATTACHMENT.CONTENT_TYPE,
                        ATTACHMENT.SIZE_BYTES, ATTACHMENT.CONTENT_ID)
                .from(ATTACHMENT).join(TICKET_MESSAGE).on(TICKET_MESSAGE.ID.eq(ATTACHMENT.TICKET_MESSAGE_ID))
                .where(which)
                .orderBy(ATTACHMENT.ID)
                .forEach(r -> attachmentsOf.computeIfAbsent(r.get(ATTACHMENT.TICKET_MESSAGE_ID), k -> new ArrayList<>()).add(r));
        Field<String> text = capped ? DSL.substring(TICKET_MESSAGE.BODY_TEXT, 1, SHOWN_CHARS).as("text") : TICKET_MESSAGE.BODY_TEXT;
        Field<String> html = capped ? DSL.substring(TICKET_MESSAGE.BODY_HTML, 1, SHOWN_CHARS).as("html") : TICKET_MESSAGE.BODY_HTML;
        Field<Integer> textBytes = DSL.octetLength(TICKET_MESSAGE.BODY_TEXT).as("text_bytes");
        Field<Integer> htmlBytes = DSL.octetLength(TICKET_MESSAGE.BODY_HTML).as("html_bytes");
        return dsl.select(TICKET_MESSAGE.ID, TICKET_MESSAGE.KIND, text, html, textBytes, htmlBytes,
                        TICKET_MESSAGE.CREATED_AT, TICKET_MESSAGE.INBOUND_MESSAGE_ID, TICKET_MESSAGE.AUTHOR_NAME,
                        author.EMAIL, author.DISPLAY_NAME, STAFF_USER.DISPLAY_NAME)
                .from(TICKET_MESSAGE)
                .leftJoin(author).on(author.ID.eq(TICKET_MESSAGE.AUTHOR_CONTACT_ID))
                .leftJoin(STAFF_USER).on(STAFF_USER.ID.eq(TICKET_MESSAGE.AUTHOR_STAFF_ID))
                .where(which)
                .orderBy(TICKET_MESSAGE.CREATED_AT, TICKET_MESSAGE.ID)
                .fetch(r -> {
                    List<Record> attachments = attachmentsOf.getOrDefault(r.get(TICKET_MESSAGE.ID), List.of());
                    String storedHtml = r.get(html);
                    String bodyHtml = displayHtml(storedHtml, attachments);
                    // the cut of the body a page shows: the HTML when there is any, else the text
                    ThreadMessage.BodyCut cut = bodyHtml != null ? cut(storedHtml, r.get(htmlBytes)) : cut(r.get(text), r.get(textBytes));
                    return new ThreadMessage(r.get(TICKET_MESSAGE.ID), r.get(TICKET_MESSAGE.KIND),
                            authorName(r.get(STAFF_USER.DISPLAY_NAME), r.get(TICKET_MESSAGE.AUTHOR_NAME),
                                    r.get(author.DISPLAY_NAME), r.get(author.EMAIL)),
                            r.get(text), r.get(TICKET_MESSAGE.CREATED_AT),
                            r.get(TICKET_MESSAGE.INBOUND_MESSAGE_ID), bodyHtml,
                            attachments.stream().map(a -> new AttachmentInfo(a.get(ATTACHMENT.ID), a.get(ATTACHMENT.FILENAME),
                                    a.get(ATTACHMENT.CONTENT_TYPE), a.get(ATTACHMENT.SIZE_BYTES))).toList(),
                            cut);
                });
    }

    /** Null when {@code shown} is the whole body of {@code wholeBytes} UTF-8 bytes. */
    private static ThreadMessage.BodyCut cut(String shown, Integer wholeBytes) {
        if (shown == null || wholeBytes == null) {
            return null;
        }
        long shownBytes = shown.getBytes(StandardCharsets.UTF_8).length;
        return shownBytes < wholeBytes ? new ThreadMessage.BodyCut(shownBytes, wholeBytes) : null;
    }

    /**
     * Stored HTML as it may be shown: sanitised again (it was sanitised at ingest; this guards rows
     * written any other way, and is idempotent; in a thread only the start read is parsed, and
     * jsoup closes what the cut left open), then {@code cid:} images pointed at this message's
     * inline-safe image attachments and all other images removed. Null when there is no HTML.
     */
    private String displayHtml(String storedHtml, List<Record> attachments) {
        if (storedHtml == null) {
            return null;
        }
        String safe = sanitizer.sanitizeStored(storedHtml);
        if (safe.isEmpty()) {
            return null;
        }
        if (!safe.contains("<img")) {
            return safe; // nothing to point anywhere: spare a second parse
        }
        return HtmlSanitizer.rewriteCidImages(safe, cid -> attachments.stream()
                .filter(a -> cid.equals(a.get(ATTACHMENT.CONTENT_ID)) && Attachments.showsInline(a.get(ATTACHMENT.CONTENT_TYPE)))
                .findFirst()
                .map(a -> Attachments.url(a.get(ATTACHMENT.ID))));
    }

    /** An attachment with its bytes. */
    Read<Attachments.StoredAttachment> attachment(long attachmentId) {
        return db.read(dsl -> dsl.select(ATTACHMENT.ID, ATTACHMENT.FILENAME, ATTACHMENT.CONTENT_TYPE, ATTACHMENT.CONTENT)
                .from(ATTACHMENT).where(ATTACHMENT.ID.eq(attachmentId))
                .fetchOptional(r -> new Attachments.StoredAttachment(r.get(ATTACHMENT.ID), r.get(ATTACHMENT.FILENAME),
                        r.get(ATTACHMENT.CONTENT_TYPE), r.get(ATTACHMENT.CONTENT)))
                .orElseThrow(() -> new NotFoundException("attachment " + attachmentId + " does not exist")));
    }

    /** The raw RFC 822 bytes of an inbound mail, exactly as stored. */
    public Read<byte[]> rawInbound(long inboundMessageId) {
        return db.read(dsl -> dsl.select(INBOUND_MESSAGE.RAW).from(INBOUND_MESSAGE)
                .where(INBOUND_MESSAGE.ID.eq(inboundMessageId))
                .fetchOptional(INBOUND_MESSAGE.RAW)
                .orElseThrow(() -> new NotFoundException("inbound message " + inboundMessageId + " does not exist")));
    }

    /**
     * Who wrote a message, for people: the staff member; else the name this message's own mail gave
     * its sender ({@code ticket_message.author_name}, null on old rows), else the contact's name,
     * with the contact's address.
     */
    static String authorName(String staffName, String mailName, String contactName, String contactEmail) {
        if (staffName != null) {
            return staffName;
        }
        String name = mailName != null && !mailName.isBlank() ? mailName.strip() : contactName;
        if (contactEmail == null) {
            return name == null || name.isBlank() ? "unknown" : name;
        }
        return name == null || name.isBlank() ? contactEmail : name + " <" + contactEmail + ">";
    }
}
