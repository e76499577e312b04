package dev.ticketd.node.ticket;

import dev.ticketd.db.Transactions;
import dev.ticketd.desk.Actor;
import dev.ticketd.desk.AuditEvent;
import dev.ticketd.desk.ConflictException;
import dev.ticketd.desk.ForbiddenException;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.desk.PendingKind;
import dev.ticketd.desk.Tags;
import dev.ticketd.desk.Priority;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.desk.Tickets;
import dev.ticketd.desk.Viewer;
import dev.ticketd.node.auth.StaffUser;
import org.jooq.DSLContext;
import org.jooq.Record3;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.ticketd.db.generated.Tables.STAFF_GROUP;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_TAG;

/**
 * Staff change a ticket's status (open, pending, resolved, closed), priority (low, normal, high,
 * urgent), group and owner; the desk checks the member of staff may change the ticket, and writes
 * and audits each change. Every value is checked before anything is
 * written, and all changes of one request are one transaction, so a request is applied whole or not
 * at all. Knows nothing of HTTP.
 */
public final class TicketChanges {

    private static final Logger log = LoggerFactory.getLogger(TicketChanges.class);
    static final String STATUSES = Arrays.stream(TicketStatus.values()).map(TicketStatus::value).collect(Collectors.joining(", "));
    static final String PRIORITIES = Arrays.stream(Priority.values()).map(Priority::value).collect(Collectors.joining(", "));

    /**
     * What one request asks to change; an empty field is left as it is. {@code owner} is a staff
     * address, {@code me}, or {@code ""} for nobody; {@code group} a group's name.
     */
    public record Wanted(Optional<String> status, Optional<String> priority, Optional<String> group, Optional<String> owner,
                         Optional<String> pendingUntil, Optional<String> pendingKind, Optional<List<String>> tags,
                         Optional<List<String>> addTags, Optional<List<String>> removeTags) {

        /** Without tags to remove. */
        public Wanted(Optional<String> status, Optional<String> priority, Optional<String> group, Optional<String> owner,
                      Optional<String> pendingUntil, Optional<String> pendingKind, Optional<List<String>> tags,
                      Optional<List<String>> addTags) {
            this(status, priority, group, owner, pendingUntil, pendingKind, tags, addTags, Optional.empty());
        }

        /** Status, priority, group and owner, without a pending time or kind, or tags. */
        public Wanted(Optional<String> status, Optional<String> priority, Optional<String> group, Optional<String> owner) {
            this(status, priority, group, owner, Optional.empty(), Optional.empty());
        }

        /** Without tags. */
        public Wanted(Optional<String> status, Optional<String> priority, Optional<String> group, Optional<String> owner,
                      Optional<String> pendingUntil, Optional<String> pendingKind) {
            this(status, priority, group, owner, pendingUntil, pendingKind, Optional.empty(), Optional.empty());
        }

        /** Exactly these tags (the ticket's others are removed). */
        public static Wanted tags(List<String> tags) {
            return new Wanted(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.of(tags), Optional.empty());
        }

        /** These tags besides the ticket's own. */
        public static Wanted addTags(List<String> tags) {
            return new Wanted(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty(), Optional.of(tags));
        }

        public static Wanted status(String status) {
            return new Wanted(Optional.of(status == null ? "" : status), Optional.empty(), Optional.empty(), Optional.empty());
        }

        /**
         * A status, with the time ({@code pendingUntil}, ISO-8601 instant) and kind of a pending ticket;
         * blank ones are absent (the defaults apply).
         */
        public static Wanted status(String status, String pendingUntil, String pendingKind) {
            return new Wanted(Optional.of(status == null ? "" : status), Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.ofNullable(pendingUntil).filter(v -> !v.isBlank()), Optional.ofNullable(pendingKind).filter(v -> !v.isBlank()));
        }

        public static Wanted priority(String priority) {
            return new Wanted(Optional.empty(), Optional.of(priority == null ? "" : priority), Optional.empty(), Optional.empty());
        }

        public static Wanted group(String group) {
            return new Wanted(Optional.empty(), Optional.empty(), Optional.of(group == null ? "" : group), Optional.empty());
        }

        public static Wanted owner(String owner) {
            return new Wanted(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(owner == null ? "" : owner));
        }

        public boolean isEmpty() {
            return status.isEmpty() && priority.isEmpty() && group.isEmpty() && owner.isEmpty()
                    && pendingUntil.isEmpty() && pendingKind.isEmpty() && tags.isEmpty() && addTags.isEmpty() && removeTags.isEmpty();
        }
    }

    /** What one request changed; a field not asked for is empty, one already so is an unchanged change. */
    public record Applied(Optional<Tickets.Change<TicketStatus>> status, Optional<Tickets.Change<Priority>> priority,
                          Optional<Tickets.Change<String>> group, Optional<Tickets.Change<Optional<String>>> owner,
                          Optional<Tickets.Change<SortedSet<String>>> tags) {

        /** Whether anything was written. */
        public boolean changed() {
            return Stream.of(status, priority, group, owner, tags).anyMatch(c -> c.map(Tickets.Change::changed).orElse(false));
        }
    }

    /** How long a ticket set pending without a time waits, unless configured ({@code tickets.pending-default}). */
    public static final Duration DEFAULT_PENDING = Duration.ofDays(3);
    /** A pending time further ahead than this is a typo, not a plan. */
    static final Duration LONGEST_PENDING = Duration.ofDays(366);
    static final String KINDS = Arrays.stream(PendingKind.values()).map(PendingKind::value).collect(Collectors.joining(", "));

    private final Transactions writes;
    private final Tickets tickets;
    private final Duration pendingDefault;
    private final Clock clock;

    /** @param writes transactions with the retry budget of a staff request */
    public TicketChanges(Transactions writes, Tickets tickets) {
        this(writes, tickets, DEFAULT_PENDING, Clock.systemUTC());
    }

    /**
     * @param writes         transactions with the retry budget of a staff request
     * @param pendingDefault how long a ticket set pending without a time waits
     */
    public TicketChanges(Transactions writes, Tickets tickets, Duration pendingDefault, Clock clock) {
        this.writes = writes;
        this.tickets = tickets;
        this.pendingDefault = pendingDefault;
        this.clock = clock;
    }

    /**
     * Applies every change {@code wanted} names, in one transaction: the group first, so that an
     * owner named in the same request is checked against the new group.
     *
     * @throws InvalidRequestException when a value is not one of its kind, or names no group or no
     *                                 staff member who may own the ticket; nothing is written
     * @throws NotFoundException       when there is no such ticket, or {@code by} may not see it
     * @throws ForbiddenException      when {@code by} may see the ticket but not change it
     * @throws ConflictException       when the ticket is merged into another
     */
    public Applied apply(long ticketId, StaffUser by, Wanted wanted) {
        return apply(ticketId, by, wanted, null);
    }

    /**
     * Like {@link #apply(long, StaffUser, Wanted)}, and records {@code because} (why, such as the macro
     * that asked for the changes) in the same transaction when anything changed.
     */
    public Applied apply(long ticketId, StaffUser by, Wanted wanted, AuditEvent because) {
        Optional<TicketStatus> toStatus = wanted.status().map(String::strip).map(s -> TicketStatus.of(s)
                .orElseThrow(() -> new InvalidRequestException("status must be one of " + STATUSES + "; got '" + s + "'")));
        boolean pending = toStatus.filter(st -> st == TicketStatus.PENDING).isPresent();
        if (!pending && wanted.pendingUntil().isPresent()) {
            throw new InvalidRequestException("pendingUntil goes only with status pending");
        }
        if (!pending && wanted.pendingKind().isPresent()) {
            throw new InvalidRequestException("pendingKind goes only with status pending");
        }
        Instant now = clock.instant();
        Optional<Instant> until = wanted.pendingUntil().map(String::strip).map(u -> pendingUntil(u, now));
        Optional<PendingKind> kind = wanted.pendingKind().map(String::strip).map(k -> PendingKind.of(k).orElseThrow(() ->
                new InvalidRequestException("pendingKind must be one of " + KINDS + "; got '" + k + "'")));
        Optional<Priority> toPriority = wanted.priority().map(String::strip).map(p -> Priority.of(p)
                .orElseThrow(() -> new InvalidRequestException("priority must be one of " + PRIORITIES + "; got '" + p + "'")));
        Optional<SortedSet<String>> setTags = wanted.tags().map(Tags::of);
        Optional<SortedSet<String>> addTags = wanted.addTags().map(Tags::of);
        Optional<SortedSet<String>> removeTags = wanted.removeTags().map(Tags::of);
        Viewer viewer = by.viewer();
        Actor actor = viewer.actor();
        // Replayed after a failover, setting the same values again writes nothing.
        Applied applied = writes.write(tx -> {
            tickets.lockForWork(tx, ticketId, viewer);
            Optional<Tickets.Change<String>> g = Optional.empty();
            if (wanted.group().isPresent()) {
                g = Optional.of(tickets.setGroup(tx, ticketId, actor, groupId(tx, wanted.group().get())).orElseThrow(() -> missing(ticketId)));
            }
            Optional<Tickets.Change<Optional<String>>> o = Optional.empty();
            if (wanted.owner().isPresent()) {
                o = Optional.of(tickets.setOwner(tx, ticketId, actor, ownerId(tx, wanted.owner().get(), by)).orElseThrow(() -> missing(ticketId)));
            }
            Optional<Tickets.Change<TicketStatus>> s = Optional.empty();
            if (toStatus.isPresent()) {
                s = Optional.of((pending ? pending(tx, ticketId, actor, until, kind, now)
                        : tickets.setStatus(tx, ticketId, actor, toStatus.get())).orElseThrow(() -> missing(ticketId)));
            }
            Optional<Tickets.Change<Priority>> p = Optional.empty();
            if (toPriority.isPresent()) {
                p = Optional.of(tickets.setPriority(tx, ticketId, actor, toPriority.get()).orElseThrow(() -> missing(ticketId)));
            }
            Optional<Tickets.Change<SortedSet<String>>> t = Optional.empty();
            if (setTags.isPresent() || addTags.isPresent() || removeTags.isPresent()) {
                SortedSet<String> tags = new TreeSet<>(setTags.orElseGet(TreeSet::new));
                // tags to add keep the ticket's own (even beside a whole set, as before); tags to remove alone do too
                if (addTags.isPresent() || setTags.isEmpty()) {
                    tags.addAll(tx.select(TICKET_TAG.TAG).from(TICKET_TAG).where(TICKET_TAG.TICKET_ID.eq(ticketId)).fetch(TICKET_TAG.TAG));
                }
                addTags.ifPresent(tags::addAll);
                removeTags.ifPresent(tags::removeAll);
                t = Optional.of(tickets.setTags(tx, ticketId, actor, Tags.of(tags)).orElseThrow(() -> missing(ticketId)));
            }
            Applied done = new Applied(s, p, g, o, t);
            if (because != null && done.changed()) {
                // after the changes: the newest-first history shows it above them; a repeat that changes nothing writes nothing
                tickets.audit().record(tx, actor, ticketId, because);
            }
            return done;
        });
        applied.status().filter(Tickets.Change::changed).ifPresent(c -> log.info(
                "ticket status set ticket={} from={} to={} staff={}", ticketId, c.from().value(), c.to().value(), by.id()));
        applied.priority().filter(Tickets.Change::changed).ifPresent(c -> log.info(
                "ticket priority set ticket={} from={} to={} staff={}", ticketId, c.from().value(), c.to().value(), by.id()));
        applied.group().filter(Tickets.Change::changed).ifPresent(c -> log.info(
                "ticket group set ticket={} staff={}", ticketId, by.id()));
        applied.owner().filter(Tickets.Change::changed).ifPresent(c -> log.info(
                "ticket owner set ticket={} staff={}", ticketId, by.id()));
        applied.tags().filter(Tickets.Change::changed).ifPresent(c -> log.info(
                "ticket tags set ticket={} tags={} staff={}", ticketId, c.to().size(), by.id()));
        return applied;
    }

    /** The most tickets one bulk request changes. */
    public static final int MAX_BULK = 500;

    /**
     * What a bulk change did to one ticket: {@code status} is the HTTP status it would have had alone
     * (200, or 400, 403, 404 with {@code error} naming why); {@code changed} whether anything was written.
     */
    public record Outcome(long id, int status, boolean changed, String error) {
    }

    /**
     * Applies {@code wanted} to each ticket in its own transaction, so one ticket the member of staff
     * may not change does not stop the others; each change is audited like a single one, and a
     * repeated request changes nothing more.
     *
     * @throws InvalidRequestException when the list is empty, too long, or a value is not one of its kind
     */
    public List<Outcome> applyToEach(List<Long> ids, StaffUser by, Wanted wanted) {
        if (ids.isEmpty() || ids.size() > MAX_BULK) {
            throw new InvalidRequestException("choose 1 to " + MAX_BULK + " tickets; got " + ids.size());
        }
        if (wanted.isEmpty()) {
            throw new InvalidRequestException("choose what to change: status, priority, group, owner or tags");
        }
        wanted.status().map(String::strip).filter(v -> TicketStatus.of(v).isEmpty()).ifPresent(v -> {
            throw new InvalidRequestException("status must be one of " + STATUSES + "; got '" + shown(v) + "'");
        });
        wanted.priority().map(String::strip).filter(v -> Priority.of(v).isEmpty()).ifPresent(v -> {
            throw new InvalidRequestException("priority must be one of " + PRIORITIES + "; got '" + shown(v) + "'");
        });
        List<Outcome> outcomes = new ArrayList<>(ids.size());
        for (long id : new LinkedHashSet<>(ids)) {
            try {
                outcomes.add(new Outcome(id, 200, apply(id, by, wanted).changed(), null));
            } catch (NotFoundException e) {
                outcomes.add(new Outcome(id, 404, false, e.getMessage()));
            } catch (ForbiddenException e) {
                outcomes.add(new Outcome(id, 403, false, e.getMessage()));
            } catch (InvalidRequestException e) {
                outcomes.add(new Outcome(id, 400, false, e.getMessage()));
            } catch (ConflictException e) {
                outcomes.add(new Outcome(id, 409, false, e.getMessage()));
            }
        }
        log.info("bulk change tickets={} changed={} staff={}", outcomes.size(), outcomes.stream().filter(Outcome::changed).count(), by.id());
        return outcomes;
    }

    /**
     * Sets the ticket pending; a time or kind not given keeps the ticket's own when it is pending
     * already (so setting pending again is a repeat that writes nothing), else the default.
     */
    private Optional<Tickets.Change<TicketStatus>> pending(DSLContext tx, long ticketId, Actor actor, Optional<Instant> until,
                                                           Optional<PendingKind> kind, Instant now) {
        Record3<String, OffsetDateTime, String> current = tx.select(TICKET.STATUS, TICKET.PENDING_UNTIL, TICKET.PENDING_KIND)
                .from(TICKET).where(TICKET.ID.eq(ticketId)).forUpdate().fetchOne();
        if (current == null) {
            return Optional.empty();
        }
        boolean alreadyPending = TicketStatus.PENDING.value().equals(current.value1());
        Instant untilNow = until.orElseGet(() -> alreadyPending && current.value2() != null ? current.value2().toInstant()
                : now.plus(pendingDefault));
        PendingKind kindNow = kind.orElseGet(() -> alreadyPending && current.value3() != null ? PendingKind.stored(current.value3())
                : PendingKind.CUSTOMER);
        return tickets.setPending(tx, ticketId, actor, untilNow, kindNow);
    }

    private static Instant pendingUntil(String value, Instant now) {
        Instant until;
        try {
            until = Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new InvalidRequestException("pendingUntil must be an ISO-8601 instant such as 2026-12-24T09:00:00Z; got '" + value + "'");
        }
        if (!until.isAfter(now)) {
            throw new InvalidRequestException("pendingUntil must be in the future; got " + until);
        }
        if (until.isAfter(now.plus(LONGEST_PENDING))) {
            throw new InvalidRequestException("pendingUntil must be within " + LONGEST_PENDING.toDays() + " days; got " + until);
        }
        return until;
    }

    private static long groupId(DSLContext tx, String name) {
        String group = name.strip();
        return tx.select(STAFF_GROUP.ID).from(STAFF_GROUP).where(STAFF_GROUP.NAME.eq(group)).fetchOptional(STAFF_GROUP.ID)
                .orElseThrow(() -> new InvalidRequestException("group must be the name of a group; there is no group '"
                        + shown(group) + "'"));
    }

    /** Null for nobody. */
    private static Long ownerId(DSLContext tx, String owner, StaffUser by) {
        String wanted = owner.strip().toLowerCase(Locale.ROOT);
        if (wanted.isEmpty() || wanted.equals(TicketFilter.NOBODY)) {
            return null;
        }
        if (wanted.equals(TicketFilter.ME)) {
            return by.id();
        }
        return tx.select(STAFF_USER.ID).from(STAFF_USER).where(STAFF_USER.EMAIL.eq(wanted)).fetchOptional(STAFF_USER.ID)
                .orElseThrow(() -> new InvalidRequestException("owner must be the address of a member of staff, or null for nobody; "
                        + "there is no staff user '" + shown(wanted) + "'"));
    }

    private static String shown(String value) {
        String oneLine = value.replaceAll("\\p{Cntrl}", "?");
        return oneLine.length() <= 60 ? oneLine : oneLine.substring(0, 60) + "…";
    }

    private static NotFoundException missing(long ticketId) {
        return new NotFoundException("ticket " + ticketId + " does not exist");
    }
}
