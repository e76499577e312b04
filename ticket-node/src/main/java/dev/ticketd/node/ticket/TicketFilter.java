package dev.ticketd.node.ticket;

import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.Priority;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.desk.Viewer;
import org.jooq.Condition;
import org.jooq.impl.DSL;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

import static dev.ticketd.db.generated.Tables.STAFF_GROUP;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_TAG;

/**
 * What the ticket list shows, as the pages and the API take it ({@code ?status=&priority=&group=&owner=&tag=&q=}).
 * Every part is optional (null: any). {@code owner} is a staff address, {@code me} or {@code none}
 * (nobody's tickets); {@code search} is what was searched for ({@link TicketSearch}).
 */
public record TicketFilter(TicketStatus status, Priority priority, String group, String owner, String tag, TicketSearch search) {

    public static final TicketFilter ALL = new TicketFilter(null, null, null, null, null);

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
        return new TicketFilter(status, priority, group, owner, tag, search);
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
    public static final String VIEWS = "mine, unassigned, pending, resolved, all, group:NAME";

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
            case "all" -> { }
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
        Condition c = DSL.noCondition();
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
            c = c.and(search.condition());
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

    /** The filter as query parameters for the next page's link (without the leading {@code ?}, may be empty). */
    public String query() {
        StringBuilder q = new StringBuilder();
        append(q, "status", status == null ? null : status.value());
        append(q, "priority", priority == null ? null : priority.value());
        append(q, "group", group);
        append(q, "owner", owner);
        append(q, "tag", tag);
        append(q, "q", search == null ? null : search.text());
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
