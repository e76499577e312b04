package dev.ticketd.node.ticket;

import dev.ticketd.db.Database;
import dev.ticketd.db.Read;
import dev.ticketd.db.Transactions;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.desk.Viewer;
import org.jooq.DSLContext;
import org.jooq.Record5;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.OffsetDateTime;
import java.util.List;

import static dev.ticketd.db.generated.Tables.SAVED_VIEW;
import static dev.ticketd.db.generated.Tables.STAFF_USER;

/**
 * Each member of staff's saved views: a name, the list's filter and its sort, saved from the list
 * they were looking at and shown after the built-in views ({@link TicketQueries#views}). A view is
 * its owner's alone: nobody else lists, uses or deletes it. Knows nothing of HTTP.
 *
 * <p>The filter is stored as the query string the list writes ({@link TicketFilter#query()}, without
 * the sort, which has its own column), after going through the list's own checks; it goes through
 * them again whenever it is used, so a view can never select what a typed URL could not.
 *
 * <p>Writes go through {@link Transactions}, which may run them twice: saving the very same view
 * again (same name, filter and sort) answers the one stored; deleting one that is gone is a 404.
 */
public final class SavedViews {

    /** The most views one person keeps; the page shows them all beside the built-in ones. */
    public static final int MAX_VIEWS = 30;
    /** The longest name (characters). */
    public static final int MAX_NAME_LENGTH = 60;

    private static final Logger log = LoggerFactory.getLogger(SavedViews.class);

    /**
     * A saved view as stored. {@code query} is the filter without the sort, as {@link TicketFilter#query()}
     * writes it (may be empty: every ticket).
     */
    public record SavedView(long id, String name, String query, TicketSort sort, OffsetDateTime createdAt) {

        /** The filter with the sort, parsed again through the list's checks (a 400 naming the problem if it no longer parses). */
        public TicketFilter filter() {
            return TicketFilter.parseQuery(query).withSort(sort);
        }

        /** The view's query string as a link takes it: the filter and, when not newest first, the sort. */
        public String listQuery() {
            return query + (sort == TicketSort.NEWEST ? "" : (query.isEmpty() ? "" : "&") + "sort=" + sort.value());
        }
    }

    /** What {@link #save} did: the view, and whether this call stored it (false: the same view was saved before). */
    public record Saved(SavedView view, boolean created) {
    }

    private final Database db;
    private final Transactions writes;

    public SavedViews(Database db, Transactions writes) {
        this.db = db;
        this.writes = writes;
    }

    /**
     * Saves {@code query} ({@code status=open&q=printer}; the list's parameters, {@code view} and
     * {@code sort} included) in the order {@code sort} (null or blank: the query's own, else newest
     * first) under {@code name} for {@code owner}. A bad name, a filter the list would refuse, a name
     * the owner already uses (in any case) for another view, or a view beyond {@link #MAX_VIEWS} is a
     * 400 naming the problem.
     */
    public Saved save(Viewer owner, String name, String query, String sort) {
        String clean = checkName(name);
        TicketFilter filter = TicketFilter.parseQuery(query);
        if (sort != null && !sort.isBlank()) {
            TicketSort given = TicketSort.parse(sort);
            if (filter.sort() != TicketSort.NEWEST && filter.sort() != given) {
                throw new InvalidRequestException("the filter says sort=" + filter.sort().value() + " but sort is " + given.value()
                        + "; give the sort once");
            }
            filter = filter.withSort(given);
        }
        String stored = filter.withSort(TicketSort.NEWEST).query();
        TicketSort order = filter.sort();
        Saved saved = writes.write(tx -> {
            // one save at a time per person, so the limit and the name check below see every other save
            tx.select(STAFF_USER.ID).from(STAFF_USER).where(STAFF_USER.ID.eq(owner.staffId())).forNoKeyUpdate()
                    .fetchOptional().orElseThrow(() -> new NotFoundException("staff user " + owner.staffId() + " does not exist"));
            // lower() as the unique index has it, so a name the index would refuse is found here first
            SavedView same = tx.select(SAVED_VIEW.ID, SAVED_VIEW.NAME, SAVED_VIEW.QUERY, SAVED_VIEW.SORT, SAVED_VIEW.CREATED_AT)
                    .from(SAVED_VIEW).where(SAVED_VIEW.OWNER_ID.eq(owner.staffId()))
                    .and(DSL.lower(SAVED_VIEW.NAME).eq(DSL.lower(DSL.val(clean))))
                    .fetchOptional(SavedViews::savedView).orElse(null);
            if (same != null) {
                if (same.name().equals(clean) && same.query().equals(stored) && same.sort() == order) {
                    return new Saved(same, false);
                }
                throw new InvalidRequestException("you already have a view named '" + same.name() + "'; choose another name, "
                        + "or delete that view first");
            }
            if (tx.fetchCount(SAVED_VIEW, SAVED_VIEW.OWNER_ID.eq(owner.staffId())) >= MAX_VIEWS) {
                throw new InvalidRequestException("you have " + MAX_VIEWS + " saved views, the most one may keep; delete one "
                        + "before saving '" + clean + "'");
            }
            return new Saved(tx.insertInto(SAVED_VIEW).set(SAVED_VIEW.OWNER_ID, owner.staffId()).set(SAVED_VIEW.NAME, clean)
                    .set(SAVED_VIEW.QUERY, stored).set(SAVED_VIEW.SORT, order.value())
                    .returningResult(SAVED_VIEW.ID, SAVED_VIEW.NAME, SAVED_VIEW.QUERY, SAVED_VIEW.SORT, SAVED_VIEW.CREATED_AT)
                    .fetchSingle(SavedViews::savedView), true);
        });
        if (saved.created()) {
            log.info("saved view created view={} owner={} sort={}", saved.view().id(), owner.email(), order.value());
        }
        return saved;
    }

    /** Deletes {@code owner}'s view {@code id}; a view of anyone else, or none, is a 404. */
    public void delete(Viewer owner, long id) {
        int deleted = writes.write(tx -> tx.deleteFrom(SAVED_VIEW).where(SAVED_VIEW.ID.eq(id))
                .and(SAVED_VIEW.OWNER_ID.eq(owner.staffId())).execute());
        if (deleted == 0) {
            throw new NotFoundException("saved view " + id + " does not exist");
        }
        log.info("saved view deleted view={} owner={}", id, owner.email());
    }

    /** {@code owner}'s views by name, without counts. */
    public Read<List<SavedView>> list(Viewer owner) {
        return db.read(dsl -> views(dsl, owner.staffId()));
    }

    /** A person's views by name (case ignored), at most {@link #MAX_VIEWS}, read with {@code dsl} (a read or a transaction). */
    static List<SavedView> views(DSLContext dsl, long ownerId) {
        return dsl.select(SAVED_VIEW.ID, SAVED_VIEW.NAME, SAVED_VIEW.QUERY, SAVED_VIEW.SORT, SAVED_VIEW.CREATED_AT)
                .from(SAVED_VIEW).where(SAVED_VIEW.OWNER_ID.eq(ownerId))
                .orderBy(DSL.lower(SAVED_VIEW.NAME), SAVED_VIEW.ID)
                .limit(MAX_VIEWS)
                .fetch(SavedViews::savedView);
    }

    private static SavedView savedView(Record5<Long, String, String, String, OffsetDateTime> r) {
        return new SavedView(r.value1(), r.value2(), r.value3(), TicketSort.parse(r.value4()), r.value5());
    }

    static String checkName(String name) {
        String clean = name == null ? "" : name.strip();
        if (clean.isEmpty()) {
            throw new InvalidRequestException("name the view (1 to " + MAX_NAME_LENGTH + " characters)");
        }
        int length = clean.codePointCount(0, clean.length());
        if (length > MAX_NAME_LENGTH) {
            throw new InvalidRequestException("the view's name is " + length + " characters long; at most "
                    + MAX_NAME_LENGTH + " are taken");
        }
        if (clean.chars().anyMatch(Character::isISOControl)) {
            throw new InvalidRequestException("the view's name holds a control character; use letters, digits, spaces and signs");
        }
        return clean;
    }
}
