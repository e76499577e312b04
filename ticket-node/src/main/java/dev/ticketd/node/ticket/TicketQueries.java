package dev.ticketd.node.ticket;

import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.db.Database;
import dev.ticketd.db.Read;
import dev.ticketd.db.generated.tables.Contact;
import dev.ticketd.desk.GroupAccess;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.desk.Viewer;
import dev.ticketd.mail.mime.HtmlSanitizer;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.GROUP_MEMBER;
import static dev.ticketd.db.generated.Tables.STAFF_GROUP;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET_TAG;
import static dev.ticketd.db.generated.Tables.TICKET_SLA_CLOCK;

/**
 * Read side of tickets: the list, one ticket's thread and raw inbound mail. Knows nothing of HTTP.
 * Every answer says whether it came from a standby ({@link Read#fromStandby()}), which happens
 * only while the primary of a replicated database is out of reach.
 */
public final class TicketQueries {

    private static final Logger log = LoggerFactory.getLogger(TicketQueries.class);

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

    /**
     * The tickets {@code viewer} may see that {@code filter} selects, in the filter's order — newest
     * first (created_at desc, id desc) or oldest first (created_at asc, id asc) — starting after
     * {@code after} when given (a cursor of the same order).
     */
    public Read<TicketPage> list(Viewer viewer, TicketFilter filter, int limit, TicketCursor after) {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new InvalidRequestException("limit must be between 1 and " + MAX_LIMIT + ", was " + limit);
        }
        TicketSort sort = filter.sort();
        // a tag's tickets come from the tag's index, which holds the list's order (V019): the
        // order and the cursor are on its columns, which equal the ticket's
        // (sorted by due time, the tag is an ordinary condition: the tag's index has no due times)
        String tag = sort == TicketSort.DUE ? null : filter.tag();
        Field<OffsetDateTime> createdAt = sort == TicketSort.DUE ? TICKET.SLA_DUE_AT : tag != null ? TICKET_TAG.TICKET_CREATED_AT : TICKET.CREATED_AT;
        Field<Long> id = tag != null ? TICKET_TAG.TICKET_ID : TICKET.ID;
        Condition position = DSL.noCondition();
        if (after != null) {
            if (after.sort() != sort) {
                throw new InvalidRequestException("this cursor is of a list sorted " + after.sort().value() + " first; pass it back with sort="
                        + after.sort().value());
            }
            var row = DSL.row(createdAt, id);
            position = sort == TicketSort.NEWEST ? row.lt(after.createdAt(), after.id()) : row.gt(after.createdAt(), after.id());
        }
        Condition from = position;
        TicketFilter rest = tag != null ? filter.withoutTag() : filter;
        return db.read(dsl -> page(summaries(dsl, viewer, tag, rest.condition(viewer, dsl).and(from), sort, limit + 1), limit, sort));
    }

    /** The tickets {@code viewer} may see that {@code which} selects, in {@code sort}'s order, at most {@code limit}. */
    private static List<TicketSummary> summaries(DSLContext dsl, Viewer viewer, Condition which, TicketSort sort, int limit) {
        return summaries(dsl, viewer, null, which, sort, limit);
    }

    /** The same, only tickets with {@code tag} (null: any), walked from the tag's index. */
    private static List<TicketSummary> summaries(DSLContext dsl, Viewer viewer, String tag, Condition which, TicketSort sort, int limit) {
        Field<Integer> messageCount = DSL.field(DSL.selectCount().from(TICKET_MESSAGE)
                .where(TICKET_MESSAGE.TICKET_ID.eq(TICKET.ID))).as("message_count");
        Field<String[]> tags = TAGS.as("tags");
        Field<OffsetDateTime> createdAt = sort == TicketSort.DUE ? TICKET.SLA_DUE_AT : tag != null ? TICKET_TAG.TICKET_CREATED_AT : TICKET.CREATED_AT;
        Field<Long> id = tag != null ? TICKET_TAG.TICKET_ID : TICKET.ID;
        Field<String> slaState = DSL.when(TICKET.SLA_DUE_AT.le(DSL.currentOffsetDateTime()), "overdue")
                .when(TICKET.SLA_WARN_AT.le(DSL.currentOffsetDateTime()), "due_soon").as("sla_state");
        Table<?> tickets = tag == null ? TICKET
                : TICKET.join(TICKET_TAG).on(TICKET_TAG.TICKET_ID.eq(TICKET.ID)).and(TICKET_TAG.TAG.eq(tag));
        return dsl.select(TICKET.ID, TICKET.NUMBER, TICKET.SUBJECT, TICKET.STATUS, TICKET.PRIORITY,
                        STAFF_GROUP.NAME, STAFF_USER.EMAIL, STAFF_USER.DISPLAY_NAME, CONTACT.EMAIL, messageCount, TICKET.CREATED_AT, tags,
                        TICKET.SLA_DUE_AT, TICKET.SLA_DUE_KIND, slaState)
                .from(tickets).join(CONTACT).on(CONTACT.ID.eq(TICKET.REQUESTER_ID))
                .join(STAFF_GROUP).on(STAFF_GROUP.ID.eq(TICKET.GROUP_ID))
                .leftJoin(STAFF_USER).on(STAFF_USER.ID.eq(TICKET.OWNER_ID))
                .where(viewer.sees(dsl)).and(which)
                .orderBy(sort == TicketSort.NEWEST ? List.of(createdAt.desc(), id.desc()) : List.of(createdAt.asc(), id.asc()))
                .limit(limit)
                .fetch(r -> new TicketSummary(r.get(TICKET.ID), r.get(TICKET.NUMBER), r.get(TICKET.SUBJECT),
                        r.get(TICKET.STATUS), r.get(TICKET.PRIORITY), r.get(STAFF_GROUP.NAME), r.get(STAFF_USER.EMAIL),
                        r.get(STAFF_USER.DISPLAY_NAME), r.get(CONTACT.EMAIL), r.get(messageCount), r.get(TICKET.CREATED_AT),
                        tagList(r.get(tags)), r.get(TICKET.SLA_DUE_AT), r.get(TICKET.SLA_DUE_KIND), r.get(slaState)));
    }

    /**
     * The most tickets a view's count counts. A count costs at most this many index entries however
     * many tickets there are; beyond it the page shows "1000+" (no count over all tickets on a page load).
     */
    public static final int COUNT_CAP = 1000;
    /** The most group views the list shows (an admin of many groups filters by group instead). */
    static final int MAX_GROUP_VIEWS = 20;

    /** A bounded count as pages show it: {@code 1000+} when it is above {@link #COUNT_CAP}. */
    public static String shownCount(int count) {
        return count > COUNT_CAP ? COUNT_CAP + "+" : Integer.toString(count);
    }

    /**
     * A view of the list: a name, the filter it stands for, and how many tickets it holds (bounded,
     * {@link #COUNT_CAP}). {@code saved} is the saved view it shows, null for a built-in view.
     * {@code problem} says why a saved view's stored filter no longer parses (then {@code filter} is
     * null and the count 0); null otherwise.
     */
    public record View(String name, TicketFilter filter, int count, SavedViews.SavedView saved, String problem) {

        /** A built-in view. */
        public View(String name, TicketFilter filter, int count) {
            this(name, filter, count, null, null);
        }

        /** The count as the page shows it: {@code 1000+} when there are more than {@link #COUNT_CAP}. */
        public String shownCount() {
            return TicketQueries.shownCount(count);
        }

        /** The list page's link of this view (a broken saved view's leads to the list's 400 naming the problem). */
        public String href() {
            String q = filter != null ? filter.query() : saved.listQuery();
            return "/tickets" + (q.isEmpty() ? "" : "?" + q);
        }

        View withCount(int count) {
            return new View(name, filter, count, saved, problem);
        }
    }

    /**
     * The built-in views for {@code viewer}, then the viewer's saved views ({@link SavedViews}), each
     * with its bounded count, all counted in one round trip: my open tickets, the open ones nobody
     * owns, the open ones of each of the viewer's groups (every group for an admin), pending,
     * resolved, and all; then the saved views by name. Every count counts only tickets the viewer may
     * see, whatever a saved view's filter names.
     */
    public Read<List<View>> views(Viewer viewer) {
        return db.read(dsl -> {
            Condition groupsOfViewer = viewer.admin() ? DSL.trueCondition() : STAFF_GROUP.ID.in(DSL.select(GROUP_MEMBER.GROUP_ID)
                    .from(GROUP_MEMBER).where(GROUP_MEMBER.USER_ID.eq(viewer.staffId())));
            List<String> groups = dsl.select(STAFF_GROUP.NAME).from(STAFF_GROUP).where(groupsOfViewer)
                    .orderBy(STAFF_GROUP.NAME).limit(MAX_GROUP_VIEWS).fetch(STAFF_GROUP.NAME);
            List<View> views = new ArrayList<>();
            views.add(new View("My open tickets", new TicketFilter(TicketStatus.OPEN, null, null, TicketFilter.ME), 0));
            views.add(new View("Unassigned", new TicketFilter(TicketStatus.OPEN, null, null, TicketFilter.NOBODY), 0));
            views.add(new View("Due soon / overdue", TicketFilter.DUE_SOON, 0));
            for (String group : groups) {
                views.add(new View(group, new TicketFilter(TicketStatus.OPEN, null, group, null), 0));
            }
            views.add(new View("Pending", new TicketFilter(TicketStatus.PENDING, null, null, null), 0));
            views.add(new View("Resolved", new TicketFilter(TicketStatus.RESOLVED, null, null, null), 0));
            views.add(new View("All", TicketFilter.ALL, 0));
            views.addAll(savedViews(dsl, viewer));
            return counted(dsl, viewer, views);
        });
    }

    /** The viewer's saved views by name, each with its bounded count (counted in one round trip). */
    public Read<List<View>> savedViews(Viewer viewer) {
        return db.read(dsl -> counted(dsl, viewer, savedViews(dsl, viewer)));
    }

    /** The viewer's saved views, not yet counted; one whose stored filter no longer parses is kept with its problem. */
    private static List<View> savedViews(DSLContext dsl, Viewer viewer) {
        List<View> views = new ArrayList<>();
        for (SavedViews.SavedView saved : SavedViews.views(dsl, viewer.staffId())) {
            try {
                views.add(new View(saved.name(), saved.filter(), 0, saved, null));
            } catch (InvalidRequestException e) {
                log.warn("saved view no longer parses view={} owner={} reason={}", saved.id(), viewer.email(), e.getMessage());
                views.add(new View(saved.name(), null, 0, saved, e.getMessage()));
            }
        }
        return views;
    }

    /**
     * The views with their counts, in one statement: each count reads at most {@link #COUNT_CAP} + 1
     * index entries of the tickets the viewer may see, so more than the cap reads as {@code COUNT_CAP + 1}.
     */
    private static List<View> counted(DSLContext dsl, Viewer viewer, List<View> views) {
        List<Field<Integer>> counts = new ArrayList<>();
        for (int i = 0; i < views.size(); i++) {
            TicketFilter filter = views.get(i).filter();
            counts.add(filter == null ? null : DSL.field(DSL.selectCount().from(DSL.select(DSL.one()).from(TICKET)
                    .where(viewer.sees()).and(filter.condition(viewer, dsl))
                    .limit(COUNT_CAP + 1).asTable("v" + i))).as("c" + i));
        }
        List<Field<Integer>> asked = counts.stream().filter(Objects::nonNull).toList();
        if (asked.isEmpty()) {
            return List.copyOf(views);
        }
        Record row = dsl.select(asked).fetchSingle();
        List<View> counted = new ArrayList<>(views.size());
        for (int i = 0; i < views.size(); i++) {
            counted.add(counts.get(i) == null ? views.get(i) : views.get(i).withCount(row.get(counts.get(i))));
        }
        return List.copyOf(counted);
    }

    /**
     * How many open tickets {@code viewer} owns, counted like a view's: at most {@link #COUNT_CAP} + 1
     * index entries, so more than the cap reads as {@code COUNT_CAP + 1}.
     */
    public Read<Integer> myOpenCount(Viewer viewer) {
        return db.read(dsl -> dsl.selectCount().from(DSL.select(DSL.one()).from(TICKET)
                .where(viewer.sees()).and(new TicketFilter(TicketStatus.OPEN, null, null, TicketFilter.ME).condition(viewer))
                .limit(COUNT_CAP + 1).asTable("mine")).fetchSingle(0, Integer.class));
    }

    /** How many of the requester's other tickets, and of their domain's, a ticket's page lists. */
    static final int HISTORY_TICKETS = 10;
    /**
     * Mail domains shared by unrelated people: a ticket from one says nothing about another, so the
     * page lists no "same domain" tickets for them (and never gathers a public provider's millions).
     */
    static final Set<String> PUBLIC_MAIL_DOMAINS = Set.of("gmail.com", "googlemail.com", "outlook.com", "hotmail.com",
            "live.com", "msn.com", "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "gmx.de", "gmx.net",
            "gmx.com", "web.de", "t-online.de", "proton.me", "protonmail.com", "mail.ru", "yandex.ru", "qq.com", "163.com",
            "free.fr", "orange.fr", "libero.it", "mail.com", "zoho.com", "fastmail.com");

    /**
     * The customer's history as a ticket's page shows it: the requester's other tickets and, unless
     * the requester writes from a public mail provider, other tickets of their mail domain (newest
     * first, {@link #HISTORY_TICKETS} of each, only tickets {@code viewer} may see).
     *
     * @param domain null when no domain list is shown (a public provider)
     */
    public record CustomerHistory(String requester, List<TicketSummary> requesterTickets, String domain,
                                  List<TicketSummary> domainTickets) {
    }

    public Read<CustomerHistory> customerHistory(Viewer viewer, long ticketId) {
        return db.read(dsl -> {
            Record ticket = dsl.select(TICKET.REQUESTER_ID, CONTACT.EMAIL).from(TICKET).join(CONTACT).on(CONTACT.ID.eq(TICKET.REQUESTER_ID))
                    .where(TICKET.ID.eq(ticketId)).and(viewer.sees()).fetchOne();
            if (ticket == null) {
                throw new NotFoundException("ticket " + ticketId + " does not exist");
            }
            String email = ticket.get(CONTACT.EMAIL);
            String domain = email.substring(email.indexOf('@') + 1).toLowerCase(Locale.ROOT);
            List<TicketSummary> own = summaries(dsl, viewer, TICKET.REQUESTER_ID.eq(ticket.get(TICKET.REQUESTER_ID))
                    .and(TICKET.ID.ne(ticketId)).and(TICKET.MERGED_INTO_ID.isNull()), TicketSort.NEWEST, HISTORY_TICKETS);
            if (PUBLIC_MAIL_DOMAINS.contains(domain) || domain.isEmpty()) {
                return new CustomerHistory(email, own, null, List.of());
            }
            List<TicketSummary> sameDomain = summaries(dsl, viewer, TICKET.REQUESTER_ID.in(DSL.select(CONTACT.ID).from(CONTACT)
                    .where(DSL.splitPart(CONTACT.EMAIL, DSL.inline("@"), DSL.inline(2)).eq(domain)))
                    .and(TICKET.REQUESTER_ID.ne(ticket.get(TICKET.REQUESTER_ID))).and(TICKET.MERGED_INTO_ID.isNull()),
                    TicketSort.NEWEST, HISTORY_TICKETS);
            return new CustomerHistory(email, own, domain, sameDomain);
        });
    }

    /**
     * Who may own a ticket {@code viewer} can see: the active admins and the agents with full access
     * to its group, by name. For the page's "assign to" choice.
     */
    public Read<List<Owner>> possibleOwners(Viewer viewer, long ticketId) {
        return db.read(dsl -> {
            Long group = dsl.select(TICKET.GROUP_ID).from(TICKET).where(TICKET.ID.eq(ticketId)).and(viewer.sees())
                    .fetchOptional(TICKET.GROUP_ID)
                    .orElseThrow(() -> new NotFoundException("ticket " + ticketId + " does not exist"));
            return dsl.select(STAFF_USER.ID, STAFF_USER.EMAIL, STAFF_USER.DISPLAY_NAME).from(STAFF_USER)
                    .where(STAFF_USER.ACTIVE.isTrue())
                    .and(STAFF_USER.ROLE.eq("admin").or(DSL.exists(DSL.selectOne().from(GROUP_MEMBER)
                            .where(GROUP_MEMBER.USER_ID.eq(STAFF_USER.ID)).and(GROUP_MEMBER.GROUP_ID.eq(group))
                            .and(GROUP_MEMBER.ACCESS.eq(GroupAccess.FULL.value())))))
                    .orderBy(STAFF_USER.DISPLAY_NAME, STAFF_USER.ID)
                    .limit(MAX_OWNERS_LISTED)
                    .fetch(r -> new Owner(r.get(STAFF_USER.ID), r.get(STAFF_USER.EMAIL), r.get(STAFF_USER.DISPLAY_NAME)));
        });
    }

    /** Whether {@code viewer} may see ticket {@code ticketId}. */
    boolean sees(Viewer viewer, long ticketId) {
        return db.read(dsl -> dsl.fetchExists(dsl.selectOne().from(TICKET).where(TICKET.ID.eq(ticketId)).and(viewer.sees()))).value();
    }

    /** A member of staff who may own a ticket. */
    public record Owner(long id, String email, String displayName) {
    }

    /** The most owners the "assign to" choice lists. */
    static final int MAX_OWNERS_LISTED = 500;

    private static TicketPage page(List<TicketSummary> rows, int limit, TicketSort sort) {
        if (rows.size() <= limit) {
            return new TicketPage(rows, null);
        }
        List<TicketSummary> page = List.copyOf(rows.subList(0, limit));
        TicketSummary last = page.get(limit - 1);
        return new TicketPage(page, new TicketCursor(last.key(sort), last.id(), sort).encode());
    }

    /** The most entries of a ticket's history that its page and API show (newest first). */
    public static final int HISTORY_SHOWN = 200;
    private static final ObjectReader DETAIL_READER = new ObjectMapper().readerFor(new TypeReference<LinkedHashMap<String, Object>>() { });

    /** A ticket {@code viewer} may see, with its thread and history. */
    public Read<TicketDetail> detail(Viewer viewer, long ticketId) {
        return db.read(dsl -> detail(dsl, viewer, ticketId));
    }

    private TicketDetail detail(DSLContext dsl, Viewer viewer, long ticketId) {
        Record ticket = ticketHead(dsl, viewer, ticketId);
        List<ThreadMessage> messages = messages(dsl, TICKET_MESSAGE.TICKET_ID.eq(ticketId), true);
        return new TicketDetail(ticket.get(TICKET.ID), ticket.get(TICKET.NUMBER), ticket.get(TICKET.SUBJECT),
                ticket.get(TICKET.STATUS), ticket.get(TICKET.PRIORITY), ticket.get(STAFF_GROUP.NAME), ticket.get(STAFF_USER.EMAIL),
                ticket.get(STAFF_USER.DISPLAY_NAME), ticket.get(CONTACT.EMAIL), ticket.get(TICKET.MAILBOX_ID),
                ticket.get(TICKET.CREATED_AT), ticket.get(MAY_CHANGE), tagList(ticket.get(TAGS_NAME, String[].class)), messages,
                history(dsl, ticketId), lifecycle(dsl, ticketId), TicketRelations.read(dsl, viewer, ticketId),
                TicketDetail.versionOf(messages));
    }

    /** The ticket's pending time and kind, resolved time and linked ticket. */
    private static TicketLifecycle lifecycle(DSLContext dsl, long ticketId) {
        var linked = TICKET.as("linked");
        return dsl.select(TICKET.PENDING_UNTIL, TICKET.PENDING_KIND, TICKET.RESOLVED_AT, TICKET.LINKED_TICKET_ID, linked.NUMBER)
                .from(TICKET).leftJoin(linked).on(linked.ID.eq(TICKET.LINKED_TICKET_ID))
                .where(TICKET.ID.eq(ticketId))
                .fetchSingle(r -> new TicketLifecycle(r.value1(), r.value2(), r.value3(), r.value4(), r.value5(), sla(dsl, ticketId)));
    }

    /** The ticket's SLA clocks, earliest due first, paused ones last. */
    private static List<TicketLifecycle.SlaTarget> sla(DSLContext dsl, long ticketId) {
        Field<String> state = DSL.when(TICKET_SLA_CLOCK.DUE_AT.le(DSL.currentOffsetDateTime()), "overdue")
                .when(TICKET.SLA_WARN_AT.le(DSL.currentOffsetDateTime()).and(TICKET_SLA_CLOCK.DUE_AT.eq(TICKET.SLA_DUE_AT)), "due_soon")
                .as("state");
        return dsl.select(TICKET_SLA_CLOCK.KIND, TICKET_SLA_CLOCK.DUE_AT, state, TICKET_SLA_CLOCK.ESCALATED_DUE_AT)
                .from(TICKET_SLA_CLOCK).join(TICKET).on(TICKET.ID.eq(TICKET_SLA_CLOCK.TICKET_ID))
                .where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId))
                .orderBy(TICKET_SLA_CLOCK.DUE_AT.asc().nullsLast(), TICKET_SLA_CLOCK.KIND)
                .fetch(r -> new TicketLifecycle.SlaTarget(r.value1(), r.value2(), r.value3(),
                        r.value2() != null && r.value2().equals(r.value4())));
    }

    /** A ticket's ({@code TICKET}'s) tags, sorted, as an array (empty when it has none). */
    private static final Field<String[]> TAGS = DSL.field(DSL.select(DSL.coalesce(DSL.arrayAgg(TICKET_TAG.TAG).orderBy(TICKET_TAG.TAG),
            DSL.field("array[]::varchar[]", String[].class))).from(TICKET_TAG).where(TICKET_TAG.TICKET_ID.eq(TICKET.ID)));

    private static List<String> tagList(String[] tags) {
        return tags == null ? List.of() : List.of(tags);
    }

    private static final String MAY_CHANGE_NAME = "may_change";
    private static final String TAGS_NAME = "tags";
    private static final Field<Boolean> MAY_CHANGE = DSL.field(DSL.name(MAY_CHANGE_NAME), Boolean.class);

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
    public Read<WholeMessage> wholeMessage(Viewer viewer, long ticketId, long messageId) {
        return db.read(dsl -> {
            Record ticket = ticketHead(dsl, viewer, ticketId);
            ThreadMessage message = messages(dsl, TICKET_MESSAGE.TICKET_ID.eq(ticketId).and(TICKET_MESSAGE.ID.eq(messageId)), false)
                    .stream().findFirst()
                    .orElseThrow(() -> new NotFoundException("ticket " + ticket.get(TICKET.NUMBER) + " has no message " + messageId));
            return new WholeMessage(ticketId, ticket.get(TICKET.NUMBER), ticket.get(TICKET.SUBJECT), message);
        });
    }

    /** The ticket's own fields; a ticket {@code viewer} may not see does not exist for them. */
    private static Record ticketHead(DSLContext dsl, Viewer viewer, long ticketId) {
        Record ticket = dsl.select(TICKET.ID, TICKET.NUMBER, TICKET.SUBJECT, TICKET.STATUS, TICKET.PRIORITY, TICKET.MAILBOX_ID,
                        TICKET.CREATED_AT, CONTACT.EMAIL, STAFF_GROUP.NAME, STAFF_USER.EMAIL, STAFF_USER.DISPLAY_NAME,
                        DSL.field(viewer.mayChange()).as(MAY_CHANGE_NAME), TAGS.as(TAGS_NAME))
                .from(TICKET).join(CONTACT).on(CONTACT.ID.eq(TICKET.REQUESTER_ID))
                .join(STAFF_GROUP).on(STAFF_GROUP.ID.eq(TICKET.GROUP_ID))
                .leftJoin(STAFF_USER).on(STAFF_USER.ID.eq(TICKET.OWNER_ID))
                .where(TICKET.ID.eq(ticketId)).and(viewer.sees())
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

    /** An attachment with its bytes, of a ticket {@code viewer} may see. */
    Read<Attachments.StoredAttachment> attachment(Viewer viewer, long attachmentId) {
        return db.read(dsl -> dsl.select(ATTACHMENT.ID, ATTACHMENT.FILENAME, ATTACHMENT.CONTENT_TYPE, ATTACHMENT.CONTENT)
                .from(ATTACHMENT).join(TICKET_MESSAGE).on(TICKET_MESSAGE.ID.eq(ATTACHMENT.TICKET_MESSAGE_ID))
                .join(TICKET).on(TICKET.ID.eq(TICKET_MESSAGE.TICKET_ID))
                .where(ATTACHMENT.ID.eq(attachmentId)).and(viewer.sees())
                .fetchOptional(r -> new Attachments.StoredAttachment(r.get(ATTACHMENT.ID), r.get(ATTACHMENT.FILENAME),
                        r.get(ATTACHMENT.CONTENT_TYPE), r.get(ATTACHMENT.CONTENT)))
                .orElseThrow(() -> new NotFoundException("attachment " + attachmentId + " does not exist")));
    }

    /**
     * The raw RFC 822 bytes of an inbound mail, exactly as stored: for an admin any, for an agent one
     * that is a message of a ticket they may see (a quarantined mail is for admins only).
     */
    public Read<byte[]> rawInbound(Viewer viewer, long inboundMessageId) {
        Condition visible = viewer.admin() ? DSL.noCondition() : DSL.exists(DSL.selectOne().from(TICKET_MESSAGE)
                .join(TICKET).on(TICKET.ID.eq(TICKET_MESSAGE.TICKET_ID))
                .where(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(INBOUND_MESSAGE.ID)).and(viewer.sees()));
        return db.read(dsl -> dsl.select(INBOUND_MESSAGE.RAW).from(INBOUND_MESSAGE)
                .where(INBOUND_MESSAGE.ID.eq(inboundMessageId)).and(visible)
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
