package dev.ticketd.node.ticket;

import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.Priority;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.desk.Viewer;
import org.jooq.Condition;
import org.jooq.impl.DSL;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static dev.ticketd.db.generated.Tables.STAFF_GROUP;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_TAG;

/**
 * What the ticket list shows, as the pages and the API take it ({@code ?status=&priority=&group=&owner=&tag=&q=&sort=&sla=}).
 * Every part is optional (null: any). {@code owner} is a staff address, {@code me} or {@code none}
 * (nobody's tickets); {@code search} is what was searched for ({@link TicketSearch}); {@code sort} is
 * the order (null is taken as {@link TicketSort#NEWEST}, so it is never null); {@code dueSoon} keeps only tickets
 * whose SLA target is due soon or overdue ({@code sla=due}).
 */
public record TicketFilter(TicketStatus status, Priority priority, String group, String owner, String tag, TicketSearch search,
                           TicketSort sort, boolean dueSoon) {

    public static final TicketFilter ALL = new TicketFilter(null, null, null, null, null);
    /** The "Due soon / overdue" view: every ticket whose SLA target is due soon or overdue, earliest due first. */
    public static final TicketFilter DUE_SOON = new TicketFilter(null, null, null, null, null, null, TicketSort.DUE, true);
    /** {@code sla=} as the list takes it. */
    public static final String SLA_DUE = "due";

    public TicketFilter {
        sort = sort == null ? TicketSort.NEWEST : sort;
    }

    /** Without the SLA filter. */
    public TicketFilter(TicketStatus status, Priority priority, String group, String owner, String tag, TicketSearch search,
                        TicketSort sort) {
        this(status, priority, group, owner, tag, search, sort, false);
    }

    /** Newest first. */
    public TicketFilter(TicketStatus status, Priority priority, String group, String owner, String tag, TicketSearch search) {
        this(status, priority, group, owner, tag, search, TicketSort.NEWEST);
    }

    /** Without a tag. */
    public TicketFilter(TicketStatus status, Priority priority, String group, String owner) {
        this(status, priority, group, owner, null);
    }

    /** Without a search. */
    public TicketFilter(TicketStatus status, Priority priority, String group, String owner, String tag) {
        this(status, priority, group, owner, tag, null);
    }

    /** This filter with a search (null: none). */
    public TicketFilter withSearch(TicketSearch search) {
        return new TicketFilter(status, priority, group, owner, tag, search, sort, dueSoon);
    }

    /** This filter without its tag (the list joins the tag's rows itself, {@link TicketQueries#list}). */
    TicketFilter withoutTag() {
        return new TicketFilter(status, priority, group, owner, null, search, sort, dueSoon);
    }

    /** This filter in another order (null: newest first). */
    public TicketFilter withSort(TicketSort sort) {
        return new TicketFilter(status, priority, group, owner, tag, search, sort, dueSoon);
    }

    /** This filter keeping only tickets due soon or overdue, or not. */
    public TicketFilter withDueSoon(boolean dueSoon) {
        return new TicketFilter(status, priority, group, owner, tag, search, sort, dueSoon);
    }
    public static final String ME = "me";
    public static final String NOBODY = "none";

    /** Parses the query parameters; blank means "any"; a value that names nothing known is a 400 naming it. */
    public static TicketFilter parse(String status, String priority, String group, String owner) {
        return parse(status, priority, group, owner, null);
    }

    /** With a tag (any text: a tag nobody uses selects nothing). */
    public static TicketFilter parse(String status, String priority, String group, String owner, String tag) {
        TicketStatus s = blank(status) ? null : TicketStatus.of(status.strip()).orElseThrow(() -> new InvalidRequestException(
                "unknown ticket status '" + shown(status) + "'; use one of " + values(TicketStatus.values())));
        Priority p = blank(priority) ? null : Priority.of(priority.strip()).orElseThrow(() -> new InvalidRequestException(
                "unknown priority '" + shown(priority) + "'; use one of " + values(Priority.values())));
        return new TicketFilter(s, p, blank(group) ? null : group.strip(),
                blank(owner) ? null : owner.strip().toLowerCase(Locale.ROOT), blank(tag) ? null : tag.strip().toLowerCase(Locale.ROOT));
    }

    /** The built-in views by name, as {@code ?view=} takes them (and {@code group:NAME} for a group's open tickets). */
    public static final String VIEWS = "mine, unassigned, due, pending, resolved, all, group:NAME";

    /**
     * Parses the query parameters with a built-in view: the view says what the parameters leave
     * open ({@code mine}: my open tickets; {@code unassigned}: open and nobody's; {@code pending};
     * {@code resolved}; {@code all}; {@code group:NAME}: that group's open tickets), and a parameter
     * given besides it wins.
     */
    public static TicketFilter parse(String view, String status, String priority, String group, String owner, String tag) {
        if (blank(view)) {
            return parse(status, priority, group, owner, tag);
        }
        String v = view.strip();
        String viewStatus = null;
        String viewGroup = null;
        String viewOwner = null;
        switch (v.toLowerCase(Locale.ROOT)) {
            case "mine" -> { viewStatus = "open"; viewOwner = ME; }
            case "unassigned" -> { viewStatus = "open"; viewOwner = NOBODY; }
            case "pending" -> viewStatus = "pending";
            case "resolved" -> viewStatus = "resolved";
            case "all", "due" -> { }
            default -> {
                if (!v.regionMatches(true, 0, "group:", 0, 6) || v.length() == 6) {
                    throw new InvalidRequestException("unknown view '" + shown(v) + "'; use one of " + VIEWS);
                }
                viewStatus = "open";
                viewGroup = v.substring(6);
            }
        }
        return parse(blank(status) ? viewStatus : status, priority, blank(group) ? viewGroup : group,
                blank(owner) ? viewOwner : owner, tag);
    }

    /** The rows of {@code TICKET} this filter selects (the viewer's access is added by the query). */
    Condition condition(Viewer viewer) {
        return condition(viewer, null);
    }

    /** The same, with {@code dsl} to plan a search by what its indexes hold ({@link TicketSearch#condition}); null: not planned. */
    Condition condition(Viewer viewer, org.jooq.DSLContext dsl) {
        // a merged ticket is listed no more: its messages are in the ticket it was merged into
        Condition c = TICKET.MERGED_INTO_ID.isNull();
        if (status != null) {
            c = c.and(TICKET.STATUS.eq(status.value()));
        }
        if (priority != null) {
            c = c.and(TICKET.PRIORITY.eq(priority.value()));
        }
        if (group != null) {
            c = c.and(TICKET.GROUP_ID.eq(DSL.field(DSL.select(STAFF_GROUP.ID).from(STAFF_GROUP).where(STAFF_GROUP.NAME.eq(group)))));
        }
        if (tag != null) {
            c = c.and(DSL.exists(DSL.selectOne().from(TICKET_TAG).where(TICKET_TAG.TICKET_ID.eq(TICKET.ID)).and(TICKET_TAG.TAG.eq(tag))));
        }
        if (search != null) {
            c = c.and(search.condition(dsl));
        }
        if (dueSoon) {
            c = c.and(TICKET.SLA_WARN_AT.le(DSL.currentOffsetDateTime()));
        }
        if (sort == TicketSort.DUE) {
            c = c.and(TICKET.SLA_DUE_AT.isNotNull());
        }
        if (owner != null) {
            c = c.and(switch (owner) {
                case NOBODY -> TICKET.OWNER_ID.isNull();
                case ME -> TICKET.OWNER_ID.eq(viewer.staffId());
                default -> TICKET.OWNER_ID.eq(DSL.field(DSL.select(STAFF_USER.ID).from(STAFF_USER).where(STAFF_USER.EMAIL.eq(owner))));
            });
        }
        return c;
    }

    /** The parameters a filter's query string may hold ({@link #parseQuery}); {@code view} is resolved as the list resolves it. */
    public static final List<String> QUERY_PARAMETERS = List.of("view", "status", "priority", "group", "owner", "tag", "q", "sort", "sla");
    /** The longest query string {@link #parseQuery} takes (characters). */
    public static final int MAX_QUERY_LENGTH = 2000;

    /**
     * Parses a query string as the list takes it ({@code status=open&q=printer&sort=oldest}, a leading
     * {@code ?} ignored), through the same checks as the list's own parameters; what {@link #query()}
     * writes reads back as the same filter. A parameter the list does not take, one given twice, a bad
     * {@code %} escape or a value the list refuses is a 400 naming it.
     */
    public static TicketFilter parseQuery(String query) {
        String q = query == null ? "" : query.strip();
        if (q.startsWith("?")) {
            q = q.substring(1);
        }
        if (q.length() > MAX_QUERY_LENGTH) {
            throw new InvalidRequestException("the filter is " + q.length() + " characters long; at most " + MAX_QUERY_LENGTH
                    + " are taken");
        }
        Map<String, String> values = new HashMap<>();
        for (String pair : q.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            if (!QUERY_PARAMETERS.contains(name)) {
                throw new InvalidRequestException("the filter has an unknown parameter '" + shown(name) + "'; use "
                        + String.join(", ", QUERY_PARAMETERS));
            }
            if (values.put(name, value) != null) {
                throw new InvalidRequestException("the filter gives " + name + " twice; give it once");
            }
        }
        return parse(values::get);
    }

    /**
     * The filter of a request's parameters, each looked up by name ({@link #QUERY_PARAMETERS}; null:
     * not given): the view, the filters, the search and the sort, each checked as the list checks it.
     */
    public static TicketFilter parse(Function<String, String> parameter) {
        String view = parameter.apply("view");
        String sla = parameter.apply("sla");
        boolean dueView = !blank(view) && view.strip().equalsIgnoreCase(SLA_DUE);
        if (!blank(sla) && !sla.strip().equalsIgnoreCase(SLA_DUE)) {
            throw new InvalidRequestException("unknown sla filter '" + shown(sla) + "'; use sla=" + SLA_DUE + " (due soon or overdue)");
        }
        String sort = parameter.apply("sort");
        return parse(view, parameter.apply("status"), parameter.apply("priority"), parameter.apply("group"),
                parameter.apply("owner"), parameter.apply("tag"))
                .withSearch(TicketSearch.parse(parameter.apply("q")))
                .withSort(dueView && blank(sort) ? TicketSort.DUE : TicketSort.parse(sort))
                .withDueSoon(dueView || !blank(sla));
    }

    private static String decode(String part) {
        try {
            return URLDecoder.decode(part, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("the filter is no query string: '" + shown(part) + "' holds a bad %-escape");
        }
    }

    /**
     * The filter as query parameters for a link (without the leading {@code ?}, may be empty); the
     * sort only when it is not the default, so a newest-first link reads as it always did.
     */
    public String query() {
        StringBuilder q = new StringBuilder();
        append(q, "status", status == null ? null : status.value());
        append(q, "priority", priority == null ? null : priority.value());
        append(q, "group", group);
        append(q, "owner", owner);
        append(q, "tag", tag);
        append(q, "q", search == null ? null : search.text());
        append(q, "sort", sort == TicketSort.NEWEST ? null : sort.value());
        append(q, "sla", dueSoon ? SLA_DUE : null);
        return q.toString();
    }

    private static void append(StringBuilder q, String name, String value) {
        if (value != null) {
            q.append(q.isEmpty() ? "" : "&").append(name).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
        }
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    private static String values(Enum<?>[] values) {
        return Arrays.stream(values).map(v -> v.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
    }

    private static String shown(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "…";
    }
}
