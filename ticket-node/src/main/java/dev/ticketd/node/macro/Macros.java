package dev.ticketd.node.macro;

import dev.ticketd.db.Database;
import dev.ticketd.db.Transactions;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.desk.Priority;
import dev.ticketd.desk.Tags;
import dev.ticketd.desk.TicketStatus;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static dev.ticketd.db.generated.Tables.MACRO;
import static dev.ticketd.db.generated.Tables.STAFF_GROUP;

/**
 * The shared macros, as admins manage them (the admin screen, the API and {@code ticketd macro}).
 * Every input is checked before anything is written, and a bad one is an
 * {@link InvalidRequestException} whose message starts with the field's name. Knows nothing of HTTP.
 * Thread-safe.
 */
public final class Macros {

    /**
     * What an admin typed for a macro. Blank {@code status}, {@code priority} and {@code group} leave
     * the ticket's as they are; {@code bodyKind} blank means {@code reply}.
     */
    public record Draft(String name, String body, String bodyKind, String status, String priority, String group,
                        List<String> addTags, List<String> removeTags) {
    }

    public static final int MAX_NAME = 100;
    public static final int MAX_BODY = 20_000;
    static final String STATUSES = Arrays.stream(TicketStatus.values()).map(TicketStatus::value).collect(Collectors.joining(", "));
    static final String PRIORITIES = Arrays.stream(Priority.values()).map(Priority::value).collect(Collectors.joining(", "));
    private static final Logger log = LoggerFactory.getLogger(Macros.class);

    private final Database db;
    private final Transactions writes;

    public Macros(Database db) {
        this(db, db.transactions());
    }

    /** @param writes transactions with the retry budget of a staff request */
    public Macros(Database db, Transactions writes) {
        this.db = db;
        this.writes = writes;
    }

    /**
     * Every macro, by name. Read as pages read ({@link Database#read}): the ticket page lists them, and
     * must still show from a standby while the primary is away.
     */
    public List<Macro> list() {
        return db.read(dsl -> select(dsl).orderBy(MACRO.NAME).fetch(Macros::macro)).value();
    }

    /** @throws NotFoundException when there is no macro {@code id} */
    public Macro get(long id) {
        return db.read(dsl -> select(dsl).where(MACRO.ID.eq(id)).fetchOptional(Macros::macro)).value()
                .orElseThrow(() -> new NotFoundException("macro " + id + " does not exist"));
    }

    public Optional<Macro> byName(String name) {
        return select(db.dsl()).where(MACRO.NAME.eq(name == null ? "" : name.strip())).fetchOptional(Macros::macro);
    }

    /**
     * Creates a macro ({@code id} null) or replaces macro {@code id} with {@code draft}.
     *
     * @param by the admin, for the macro's {@code updated_by}
     * @throws InvalidRequestException naming the bad field, or when the name is another macro's
     * @throws NotFoundException       when there is no macro {@code id}
     */
    public Macro save(Long id, Draft draft, String by) {
        String name = name(draft.name());
        String body = draft.body() == null ? "" : draft.body().replace("\r\n", "\n");
        if (body.length() > MAX_BODY) {
            throw new InvalidRequestException("body: at most " + MAX_BODY + " characters, was " + body.length());
        }
        MacroTemplate.check(body);
        String kind = blank(draft.bodyKind()) ? "reply" : draft.bodyKind().strip();
        if (!kind.equals("reply") && !kind.equals("note")) {
            throw new InvalidRequestException("bodyKind: reply or note; got '" + shown(kind) + "'");
        }
        String status = blank(draft.status()) ? null : TicketStatus.of(draft.status().strip()).map(TicketStatus::value)
                .orElseThrow(() -> new InvalidRequestException("status: one of " + STATUSES + "; got '" + shown(draft.status()) + "'"));
        String priority = blank(draft.priority()) ? null : Priority.of(draft.priority().strip()).map(Priority::value)
                .orElseThrow(() -> new InvalidRequestException("priority: one of " + PRIORITIES + "; got '" + shown(draft.priority()) + "'"));
        SortedSet<String> add = tags("addTags", draft.addTags());
        SortedSet<String> remove = tags("removeTags", draft.removeTags());
        SortedSet<String> both = new TreeSet<>(add);
        both.retainAll(remove);
        if (!both.isEmpty()) {
            throw new InvalidRequestException("removeTags: a macro cannot add and remove the same tag: " + String.join(", ", both));
        }
        if (body.isBlank() && status == null && priority == null && blank(draft.group()) && add.isEmpty() && remove.isEmpty()) {
            throw new InvalidRequestException("body: a macro needs a body or at least one action (status, priority, group or tags)");
        }
        long saved;
        try {
            saved = writes.write(tx -> {
                if (id != null && !tx.fetchExists(tx.selectOne().from(MACRO).where(MACRO.ID.eq(id)).forUpdate())) {
                    throw new NotFoundException("macro " + id + " does not exist");
                }
                Long groupId = blank(draft.group()) ? null : groupId(tx, draft.group());
                if (tx.fetchExists(MACRO, MACRO.NAME.eq(name).and(id == null ? DSL.trueCondition() : MACRO.ID.ne(id)))) {
                    throw new InvalidRequestException("name: there is a macro named '" + name + "' already");
                }
                if (id == null) {
                    return tx.insertInto(MACRO).set(MACRO.NAME, name).set(MACRO.BODY, body).set(MACRO.BODY_KIND, kind)
                            .set(MACRO.SET_STATUS, status).set(MACRO.SET_PRIORITY, priority).set(MACRO.SET_GROUP_ID, groupId)
                            .set(MACRO.ADD_TAGS, String.join(" ", add)).set(MACRO.REMOVE_TAGS, String.join(" ", remove))
                            .set(MACRO.UPDATED_BY, by)
                            .returning(MACRO.ID).fetchOne(MACRO.ID);
                }
                tx.update(MACRO).set(MACRO.NAME, name).set(MACRO.BODY, body).set(MACRO.BODY_KIND, kind)
                        .set(MACRO.SET_STATUS, status).set(MACRO.SET_PRIORITY, priority).set(MACRO.SET_GROUP_ID, groupId)
                        .set(MACRO.ADD_TAGS, String.join(" ", add)).set(MACRO.REMOVE_TAGS, String.join(" ", remove))
                        .set(MACRO.UPDATED_BY, by).set(MACRO.UPDATED_AT, DSL.currentOffsetDateTime())
                        .where(MACRO.ID.eq(id)).execute();
                return id;
            });
        } catch (DataAccessException e) {
            // two admins saving the same new name at once: the second meets the unique key
            if (e.getMessage() != null && e.getMessage().contains("macro_name_uq")) {
                throw new InvalidRequestException("name: there is a macro named '" + name + "' already");
            }
            throw e;
        }
        log.info("macro saved macro={} new={} by={}", saved, id == null, by);
        return get(saved);
    }

    /**
     * Removes macro {@code id}; one that is gone already is no error (a repeat after a failover).
     *
     * @return whether a macro was removed
     */
    public boolean remove(long id, String by) {
        boolean removed = writes.write(tx -> tx.deleteFrom(MACRO).where(MACRO.ID.eq(id)).execute()) > 0;
        if (removed) {
            log.info("macro removed macro={} by={}", id, by);
        }
        return removed;
    }

    private static org.jooq.SelectOnConditionStep<Record> select(DSLContext dsl) {
        return dsl.select(MACRO.fields()).select(STAFF_GROUP.NAME)
                .from(MACRO).leftJoin(STAFF_GROUP).on(STAFF_GROUP.ID.eq(MACRO.SET_GROUP_ID));
    }

    private static Macro macro(Record r) {
        return new Macro(r.get(MACRO.ID), r.get(MACRO.NAME), r.get(MACRO.BODY), r.get(MACRO.BODY_KIND), r.get(MACRO.SET_STATUS),
                r.get(MACRO.SET_PRIORITY), r.get(STAFF_GROUP.NAME), split(r.get(MACRO.ADD_TAGS)), split(r.get(MACRO.REMOVE_TAGS)),
                r.get(MACRO.UPDATED_AT), r.get(MACRO.UPDATED_BY));
    }

    private static List<String> split(String tags) {
        return tags.isBlank() ? List.of() : List.of(tags.strip().split(" +"));
    }

    private static String name(String given) {
        String name = given == null ? "" : given.strip();
        if (name.isEmpty()) {
            throw new InvalidRequestException("name: a macro needs a name");
        }
        if (name.length() > MAX_NAME) {
            throw new InvalidRequestException("name: at most " + MAX_NAME + " characters, was " + name.length());
        }
        if (name.chars().anyMatch(Character::isISOControl)) {
            throw new InvalidRequestException("name: no control characters (line breaks, tabs)");
        }
        return name;
    }

    private static SortedSet<String> tags(String field, List<String> given) {
        try {
            return Tags.of(given == null ? List.of() : given.stream().flatMap(t -> t == null ? null : Arrays.stream(t.split("[,\\s]+")))
                    .toList());
        } catch (InvalidRequestException e) {
            throw new InvalidRequestException(field + ": " + e.getMessage());
        }
    }

    private static long groupId(DSLContext tx, String name) {
        String group = name.strip();
        return tx.select(STAFF_GROUP.ID).from(STAFF_GROUP).where(STAFF_GROUP.NAME.eq(group)).fetchOptional(STAFF_GROUP.ID)
                .orElseThrow(() -> new InvalidRequestException("group: there is no group '" + shown(group) + "'"));
    }

    static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    static String shown(String value) {
        String oneLine = value.strip().replaceAll("\\p{Cntrl}", "?");
        return oneLine.length() <= 60 ? oneLine : oneLine.substring(0, 60) + "…";
    }
}
