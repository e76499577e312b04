package dev.ticketd.node.quarantine;

import dev.ticketd.db.Database;
import dev.ticketd.db.Read;
import dev.ticketd.db.Transactions;
import dev.ticketd.desk.Actor;
import dev.ticketd.desk.AuditEvent;
import dev.ticketd.desk.Columns;
import dev.ticketd.desk.Tickets;
import dev.ticketd.mail.BudgetedParser;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailBudget;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.ParseResult;
import dev.ticketd.mail.ParsedMail;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.mail.quarantine.HeaderPeek;
import dev.ticketd.node.auth.StaffUser;
import dev.ticketd.desk.ConflictException;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.node.ticket.TicketCursor;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Record2;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAIL_CONTENT;
import static dev.ticketd.db.generated.Tables.QUARANTINE_ACTION;
import static dev.ticketd.db.generated.Tables.TICKET;

/**
 * The quarantine: stored mail whose parse failed and that nobody has decided on yet, and the
 * three decisions staff can make. Knows nothing of HTTP.
 *
 * <p>Each decision runs in one transaction that first locks the mail's row, so two staff members
 * (or a double click, or a client retry after a failover) acting at once are serialised. A mail
 * is decided once ({@code quarantine_action}'s primary key): repeating the same action answers
 * with the first result; another action on a decided mail is a conflict. A retry creates its
 * ticket message with {@code inbound_message_id} set, which is unique, so one mail can never
 * become two ticket messages. Nothing is deleted. Every decision, and every retry that still
 * cannot read the mail, writes an audit row; a repeat that only reports the first result does not.
 *
 * <p>Thread-safe; the {@link Database} belongs to the caller.
 */
public final class QuarantineService {

    public static final int MAX_LIMIT = 500;
    /** Requester of an imported mail without a usable From address. */
    public static final String UNKNOWN_SENDER = "unknown-sender@invalid";

    private static final Logger log = LoggerFactory.getLogger(QuarantineService.class);
    private static final int HEADER_PREFIX_BYTES = 16 * 1024;
    private static final int MAX_SUBJECT_REASON = 200;

    private final Database db;
    private final Transactions writes;
    private final BudgetedParser parser;
    private final TicketsFromMail tickets;
    private final Tickets desk;

    public QuarantineService(Database db, MailParser parser, TicketsFromMail tickets) {
        this(db, db.transactions(), parser, tickets);
    }

    /** @param writes transactions with the retry budget of a staff request */
    public QuarantineService(Database db, Transactions writes, MailParser parser, TicketsFromMail tickets) {
        this(db, writes, parser, tickets, new Tickets());
    }

    /**
     * @param writes  transactions with the retry budget of a staff request
     * @param tickets threads a mail that can be read now, as intake would have
     * @param desk    opens the ticket of an unreadable mail that staff import, and writes the audit entries
     */
    public QuarantineService(Database db, Transactions writes, MailParser parser, TicketsFromMail tickets, Tickets desk) {
        this.db = db;
        this.writes = writes;
        // a retry parses within the same time budget as intake, so no mail can hold a web request
        this.parser = new BudgetedParser(parser, MailBudget.DEFAULT);
        this.tickets = tickets;
        this.desk = desk;
    }

    /** The open entries, newest first (received_at desc, id desc), after {@code after} when given. */
    public Read<QuarantinePage> list(int limit, TicketCursor after) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new InvalidRequestException("limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
        }
        Condition where = isOpen();
        if (after != null) {
            where = where.and(DSL.row(INBOUND_MESSAGE.RECEIVED_AT, INBOUND_MESSAGE.ID).lt(after.createdAt(), after.id()));
        }
        // only the start of the raw mail: enough for its headers, bounded however large the mail is
        Field<byte[]> head = DSL.field("substring({0} from 1 for " + HEADER_PREFIX_BYTES + ")", byte[].class, INBOUND_MESSAGE.RAW)
                .as("head");
        Condition filter = where;
        return db.read(dsl -> page(dsl.select(INBOUND_MESSAGE.ID, INBOUND_MESSAGE.MAILBOX_ID, INBOUND_MESSAGE.RECEIVED_AT, INBOUND_MESSAGE.FROM_ADDRESS,
                        INBOUND_MESSAGE.SUBJECT, INBOUND_MESSAGE.SIZE_BYTES, INBOUND_MESSAGE.PARSE_ERROR, head)
                .from(INBOUND_MESSAGE)
                .where(filter)
                .orderBy(INBOUND_MESSAGE.RECEIVED_AT.desc(), INBOUND_MESSAGE.ID.desc())
                .limit(limit + 1)
                .fetch(r -> {
                    byte[] h = r.get(head);
                    // stored subjects of oversized mail were peeked too, so both pass through HeaderText
                    String from = HeaderText.readable(r.get(INBOUND_MESSAGE.FROM_ADDRESS) != null ? r.get(INBOUND_MESSAGE.FROM_ADDRESS)
                            : HeaderPeek.header(h, "From").orElse(null));
                    String subject = HeaderText.readable(r.get(INBOUND_MESSAGE.SUBJECT) != null ? r.get(INBOUND_MESSAGE.SUBJECT)
                            : HeaderPeek.header(h, "Subject").orElse(null));
                    return new QuarantineEntry(r.get(INBOUND_MESSAGE.ID), r.get(INBOUND_MESSAGE.MAILBOX_ID),
                            r.get(INBOUND_MESSAGE.RECEIVED_AT), from, subject, r.get(INBOUND_MESSAGE.SIZE_BYTES),
                            Optional.ofNullable(r.get(INBOUND_MESSAGE.PARSE_ERROR)).orElse("unknown"));
                }), limit));
    }

    private static QuarantinePage page(List<QuarantineEntry> rows, int limit) {
        if (rows.size() <= limit) {
            return new QuarantinePage(rows, null);
        }
        List<QuarantineEntry> page = List.copyOf(rows.subList(0, limit));
        QuarantineEntry last = page.get(limit - 1);
        return new QuarantinePage(page, new TicketCursor(last.receivedAt(), last.id()).encode());
    }

    /** How many mails are in quarantine now. */
    public int openCount() {
        return db.dsl().fetchCount(INBOUND_MESSAGE, isOpen());
    }

    /** The decision already made about a mail, if any. */
    public Optional<QuarantineResult> decision(long inboundMessageId) {
        return db.read(dsl -> decided(dsl, inboundMessageId)).value();
    }

    public QuarantineResult act(long inboundMessageId, QuarantineAction action, StaffUser staff) {
        return switch (action) {
            case RETRY -> retry(inboundMessageId, staff);
            case IMPORT -> writes.write(tx -> decide(tx, inboundMessageId, action, staff,
                    row -> importUnreadable(tx, row, staff)));
            case DISMISS -> writes.write(tx -> decide(tx, inboundMessageId, action, staff,
                    row -> new Decision(null, null, null, "dismissed; the raw mail is kept")));
        };
    }

    private record Decision(Long ticketId, String ticketNumber, Long ticketMessageId, String outcome) {
    }

    private interface DecisionWork {
        Decision apply(Record lockedRow);
    }

    private QuarantineResult retry(long id, StaffUser staff) {
        // parsing is pure work: outside the transaction, which re-checks the state under its lock
        Record2<byte[], String> stored = db.dsl().select(INBOUND_MESSAGE.RAW, INBOUND_MESSAGE.PARSE_ERROR).from(INBOUND_MESSAGE)
                .where(INBOUND_MESSAGE.ID.eq(id))
                .fetchOptional()
                .orElseThrow(() -> notFound(id));
        if (stored.value2() != null && stored.value2().startsWith(IngestStore.OVERSIZED_REASON)) {
            // only its headers were stored: parsing them would make a ticket without the mail's content
            return stillUnreadable(id, staff, "over the size limit, only its headers are stored; "
                    + "import it, or fetch the whole mail from the Processed folder");
        }
        ParseResult parsed = parser.parse(stored.value1());
        if (parsed instanceof ParseResult.Parsed p) {
            try {
                return writes.write(tx -> decide(tx, id, QuarantineAction.RETRY, staff,
                        row -> ticketParsed(tx, row, p.mail())));
            } catch (TicketsFromMail.NotTicketable e) {
                // e.g. a bounce for a message we never sent: it still belongs in quarantine
                return stillUnreadable(id, staff, e.getMessage());
            } catch (DataAccessException e) {
                if (!Columns.isAboutThisMail(e)) {
                    throw e;
                }
                // as at intake: the database refuses something derived from this mail
                String reason = "can be read now, but the database refused to store it as a ticket: " + e.sqlState() + " "
                        + Optional.ofNullable(e.getCause()).map(Throwable::getMessage).orElse(e.getMessage());
                return stillUnreadable(id, staff, reason);
            }
        }
        return stillUnreadable(id, staff, ((ParseResult.Failed) parsed).reason());
    }

    private QuarantineResult stillUnreadable(long id, StaffUser staff, String reason) {
        // replayed after a lost commit this may write a second audit line for the same retry; harmless
        return writes.write(tx -> {
            Record row = lock(tx, id);
            Optional<QuarantineResult> earlier = earlierDecision(tx, id, QuarantineAction.RETRY);
            if (earlier.isPresent()) {
                return earlier.get();
            }
            requireQuarantined(row, id);
            OffsetDateTime now = now(tx);
            audit(tx, staff, QuarantineAction.RETRY, null, id, "still-unreadable", reason, null);
            log.info("quarantine retry still cannot read the mail inbound={} staff={} reason={}", id, staff.email(), reason);
            return new QuarantineResult(id, QuarantineAction.RETRY.decision(), false, false,
                    "still cannot be read: " + reason, null, null, staff.email(), now);
        });
    }

    private QuarantineResult decide(DSLContext tx, long id, QuarantineAction action, StaffUser staff, DecisionWork work) {
        Record row = lock(tx, id);
        Optional<QuarantineResult> earlier = earlierDecision(tx, id, action);
        if (earlier.isPresent()) {
            return earlier.get();
        }
        requireQuarantined(row, id);
        Decision d = work.apply(row);
        OffsetDateTime now = now(tx);
        tx.insertInto(QUARANTINE_ACTION)
                .set(QUARANTINE_ACTION.INBOUND_MESSAGE_ID, id)
                .set(QUARANTINE_ACTION.ACTION, action.decision())
                .set(QUARANTINE_ACTION.ACTOR, staff.email())
                .set(QUARANTINE_ACTION.TICKET_ID, d.ticketId())
                .set(QUARANTINE_ACTION.TICKET_MESSAGE_ID, d.ticketMessageId())
                .set(QUARANTINE_ACTION.OUTCOME, d.outcome())
                .set(QUARANTINE_ACTION.ACTED_AT, now)
                .execute();
        audit(tx, staff, action, d.ticketId(), id, action.decision(), d.outcome(), d.ticketNumber());
        log.info("quarantine decision inbound={} action={} staff={} ticket={}", id, action.decision(), staff.email(), d.ticketNumber());
        return new QuarantineResult(id, action.decision(), true, false, d.outcome(), d.ticketId(), d.ticketNumber(),
                staff.email(), now);
    }

    private static Record lock(DSLContext tx, long id) {
        Record row = tx.select(INBOUND_MESSAGE.ID, INBOUND_MESSAGE.MAILBOX_ID, INBOUND_MESSAGE.PARSE_STATUS,
                        INBOUND_MESSAGE.PARSE_ERROR, INBOUND_MESSAGE.CONTENT_KEY)
                .from(INBOUND_MESSAGE).where(INBOUND_MESSAGE.ID.eq(id))
                .forUpdate()
                .fetchOne();
        if (row == null) {
            throw notFound(id);
        }
        return row;
    }

    /** The first decision when it was this action; a conflict when it was another. */
    private static Optional<QuarantineResult> earlierDecision(DSLContext tx, long id, QuarantineAction action) {
        Optional<QuarantineResult> earlier = decided(tx, id);
        if (earlier.isPresent() && !earlier.get().action().equals(action.decision())) {
            QuarantineResult e = earlier.get();
            throw new ConflictException("mail " + id + " has already left the quarantine: " + e.action() + " by " + e.actor()
                    + " at " + e.actedAt() + " (" + e.outcome() + "); it cannot also be " + action.decision());
        }
        return earlier;
    }

    private static Optional<QuarantineResult> decided(DSLContext dsl, long id) {
        return dsl.select(QUARANTINE_ACTION.ACTION, QUARANTINE_ACTION.ACTOR, QUARANTINE_ACTION.TICKET_ID,
                        QUARANTINE_ACTION.OUTCOME, QUARANTINE_ACTION.ACTED_AT, TICKET.NUMBER)
                .from(QUARANTINE_ACTION).leftJoin(TICKET).on(TICKET.ID.eq(QUARANTINE_ACTION.TICKET_ID))
                .where(QUARANTINE_ACTION.INBOUND_MESSAGE_ID.eq(id))
                .fetchOptional(r -> new QuarantineResult(id, r.get(QUARANTINE_ACTION.ACTION), true, true,
                        r.get(QUARANTINE_ACTION.OUTCOME), r.get(QUARANTINE_ACTION.TICKET_ID), r.get(TICKET.NUMBER),
                        r.get(QUARANTINE_ACTION.ACTOR), r.get(QUARANTINE_ACTION.ACTED_AT)));
    }

    private static void requireQuarantined(Record row, long id) {
        if (!"failed".equals(row.get(INBOUND_MESSAGE.PARSE_STATUS))) {
            throw new ConflictException("mail " + id + " is not in quarantine: it was read when it arrived and is on a ticket already");
        }
    }

    private Decision ticketParsed(DSLContext tx, Record row, ParsedMail mail) {
        long id = row.get(INBOUND_MESSAGE.ID);
        // As at intake: the first parsed copy of a mail owns its content. Another copy (delivered to
        // a second mailbox, or read by a newer parser while this one waited here) may own it already;
        // then this one is recorded as its copy and makes no second ticket message.
        String contentKey = row.get(INBOUND_MESSAGE.CONTENT_KEY);
        boolean first = tx.insertInto(MAIL_CONTENT)
                .set(MAIL_CONTENT.CONTENT_KEY, contentKey)
                .set(MAIL_CONTENT.INBOUND_MESSAGE_ID, id)
                .onConflictDoNothing()
                .execute() == 1;
        if (!first) {
            return recordAsCopy(tx, row, mail, contentKey);
        }
        TicketsFromMail.Attached attached = tickets.attach(tx, row.get(INBOUND_MESSAGE.MAILBOX_ID), id, mail);
        markParsed(tx, id, mail, null);
        String how = switch (attached.route()) {
            case THREADED -> "added to ticket ";
            case BOUNCE -> "attached as a bounce to ticket ";
            default -> "opened ticket ";
        };
        return new Decision(attached.ticketId(), attached.ticketNumber(), attached.ticketMessageId(),
                "read now; " + how + attached.ticketNumber());
    }

    /** What intake would have stored had it read the mail; keeps replies to it threading by Message-ID. */
    private static void markParsed(DSLContext tx, long id, ParsedMail mail, Long copyOf) {
        tx.update(INBOUND_MESSAGE)
                .set(INBOUND_MESSAGE.PARSE_STATUS, "parsed")
                .set(INBOUND_MESSAGE.COPY_OF_INBOUND_MESSAGE_ID, copyOf)
                .set(INBOUND_MESSAGE.MESSAGE_ID, mail.messageId().map(m -> Columns.truncate(m, 998)).orElse(null))
                .set(INBOUND_MESSAGE.FROM_ADDRESS, Columns.truncate(mail.fromAddress(), 320))
                .set(INBOUND_MESSAGE.SUBJECT, mail.subject())
                .set(INBOUND_MESSAGE.SENT_AT, mail.sentAt().orElse(null))
                .where(INBOUND_MESSAGE.ID.eq(id))
                .execute();
    }

    private Decision recordAsCopy(DSLContext tx, Record row, ParsedMail mail, String contentKey) {
        long id = row.get(INBOUND_MESSAGE.ID);
        long firstId = tx.select(MAIL_CONTENT.INBOUND_MESSAGE_ID).from(MAIL_CONTENT)
                .where(MAIL_CONTENT.CONTENT_KEY.eq(contentKey)).fetchSingle(MAIL_CONTENT.INBOUND_MESSAGE_ID);
        markParsed(tx, id, mail, firstId);
        Optional<Long> ticketId = tickets.recordCopy(tx, row.get(INBOUND_MESSAGE.MAILBOX_ID), id, firstId);
        String number = ticketId.map(t -> tx.select(TICKET.NUMBER).from(TICKET).where(TICKET.ID.eq(t)).fetchSingle(TICKET.NUMBER))
                .orElse(null);
        return new Decision(ticketId.orElse(null), number, null, "read now; a copy of mail " + firstId + ", stored before"
                + (number == null ? "" : " on ticket " + number) + ", so no second ticket message");
    }

    private Decision importUnreadable(DSLContext tx, Record row, StaffUser staff) {
        long id = row.get(INBOUND_MESSAGE.ID);
        Optional<Long> owner = tx.select(MAIL_CONTENT.INBOUND_MESSAGE_ID).from(MAIL_CONTENT)
                .where(MAIL_CONTENT.CONTENT_KEY.eq(row.get(INBOUND_MESSAGE.CONTENT_KEY)))
                .fetchOptional(MAIL_CONTENT.INBOUND_MESSAGE_ID);
        if (owner.isPresent()) {
            // another copy of this very mail was read and is on a ticket: importing would show it twice
            throw new ConflictException("mail " + id + " is a copy of mail " + owner.get()
                    + ", which was read and is on a ticket already; retry it (it is then recorded as that copy) or dismiss it");
        }
        byte[] raw = tx.select(INBOUND_MESSAGE.RAW).from(INBOUND_MESSAGE).where(INBOUND_MESSAGE.ID.eq(id)).fetchSingle(INBOUND_MESSAGE.RAW);
        String reason = Optional.ofNullable(row.get(INBOUND_MESSAGE.PARSE_ERROR)).orElse("unknown reason");
        String requester = HeaderPeek.fromAddress(raw).orElse(UNKNOWN_SENDER);
        // the mail's own subject as far as it can be read; the reason only when it has none
        String ticketSubject = "(unreadable mail) " + HeaderPeek.header(raw, "Subject")
                .orElseGet(() -> Columns.truncate(reason.replaceAll("\\s+", " "), MAX_SUBJECT_REASON));
        String subject = HeaderText.readable(HeaderPeek.header(raw, "Subject").orElse("(unknown)"));
        String body = "This mail could not be read (" + reason + ") and was imported from the quarantine by "
                + staff.email() + ".\nSubject as far as it could be read: " + subject
                + "\nDownload the mail as it arrived with the \"raw mail\" link of this message (/inbound/" + id + "/raw).";
        Tickets.Opened opened = desk.importUnreadable(tx, row.get(INBOUND_MESSAGE.MAILBOX_ID), id, requester, ticketSubject, body);
        String number = opened.number();
        return new Decision(opened.ticketId(), number, opened.messageId(), "imported unread as ticket " + number
                + (UNKNOWN_SENDER.equals(requester) ? " (sender unknown)" : " from " + requester));
    }

    private void audit(DSLContext tx, StaffUser staff, QuarantineAction action, Long ticketId, long id, String result,
                       String outcome, String ticketNumber) {
        desk.audit().record(tx, Actor.staff(staff.email()), ticketId,
                new AuditEvent.QuarantineDecision(action.verb(), id, result, outcome, ticketNumber));
    }

    /** Failed to parse and not decided on: every failed mail whatever node version stored it. */
    private static Condition isOpen() {
        return INBOUND_MESSAGE.PARSE_STATUS.eq("failed")
                .andNotExists(DSL.selectOne().from(QUARANTINE_ACTION).where(QUARANTINE_ACTION.INBOUND_MESSAGE_ID.eq(INBOUND_MESSAGE.ID)));
    }

    private static NotFoundException notFound(long id) {
        return new NotFoundException("inbound mail " + id + " does not exist");
    }

    private static OffsetDateTime now(DSLContext tx) {
        return tx.select(DSL.currentOffsetDateTime()).fetchOne(0, OffsetDateTime.class);
    }
}
