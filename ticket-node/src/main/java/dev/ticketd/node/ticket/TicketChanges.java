package dev.ticketd.node.ticket;

import dev.ticketd.db.Transactions;
import dev.ticketd.desk.Actor;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.desk.PendingKind;
import dev.ticketd.desk.Priority;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.desk.Tickets;
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
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

import static dev.ticketd.db.generated.Tables.TICKET;

/**
 * Staff change a ticket's status (open, pending, resolved, closed) and priority (low, normal, high,
 * urgent); the desk writes and audits each change. Every value is checked before anything is
 * written, and all changes of one request are one transaction, so a request is applied whole or not
 * at all. Knows nothing of HTTP.
 */
public final class TicketChanges {

    private static final Logger log = LoggerFactory.getLogger(TicketChanges.class);
    static final String STATUSES = Arrays.stream(TicketStatus.values()).map(TicketStatus::value).collect(Collectors.joining(", "));
    static final String PRIORITIES = Arrays.stream(Priority.values()).map(Priority::value).collect(Collectors.joining(", "));

    /** What one request changed; a field not asked for, or already so, is not in it. */
    public record Applied(Optional<Tickets.Change<TicketStatus>> status, Optional<Tickets.Change<Priority>> priority) {
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
     * Sets the status; {@code pending} with a time ({@code pendingUntil}, ISO-8601 instant; empty: the
     * configured default from now) and a kind ({@code customer} when empty).
     */
    public Tickets.Change<TicketStatus> setStatus(long ticketId, StaffUser by, String status, String pendingUntil, String pendingKind) {
        return apply(ticketId, by, Optional.of(status == null ? "" : status), Optional.empty(),
                Optional.ofNullable(pendingUntil).filter(v -> !v.isBlank()), Optional.ofNullable(pendingKind).filter(v -> !v.isBlank()))
                .status().orElseThrow();
    }

    public Tickets.Change<TicketStatus> setStatus(long ticketId, StaffUser by, String status) {
        return apply(ticketId, by, Optional.of(status == null ? "" : status), Optional.empty()).status().orElseThrow();
    }

    public Tickets.Change<Priority> setPriority(long ticketId, StaffUser by, String priority) {
        return apply(ticketId, by, Optional.empty(), Optional.of(priority == null ? "" : priority)).priority().orElseThrow();
    }

    /**
     * @throws InvalidRequestException when a value is not one of its kind; nothing is written
     * @throws NotFoundException       when there is no such ticket
     */
    public Applied apply(long ticketId, StaffUser by, Optional<String> status, Optional<String> priority) {
        return apply(ticketId, by, status, priority, Optional.empty(), Optional.empty());
    }

    /**
     * Like {@link #apply(long, StaffUser, Optional, Optional)}, with the time and kind of a pending
     * ticket; they go only with status {@code pending} (a default applies to each that is absent).
     *
     * @throws InvalidRequestException naming the field when a value is bad; nothing is written
     */
    public Applied apply(long ticketId, StaffUser by, Optional<String> status, Optional<String> priority,
                         Optional<String> pendingUntil, Optional<String> pendingKind) {
        Optional<TicketStatus> toStatus = status.map(String::strip).map(s -> TicketStatus.of(s)
                .orElseThrow(() -> new InvalidRequestException("status must be one of " + STATUSES + "; got '" + s + "'")));
        boolean pending = toStatus.filter(s -> s == TicketStatus.PENDING).isPresent();
        if (!pending && pendingUntil.isPresent()) {
            throw new InvalidRequestException("pendingUntil goes only with status pending");
        }
        if (!pending && pendingKind.isPresent()) {
            throw new InvalidRequestException("pendingKind goes only with status pending");
        }
        Instant now = clock.instant();
        Optional<Instant> until = pendingUntil.map(String::strip).map(u -> pendingUntil(u, now));
        Optional<PendingKind> kind = pendingKind.map(String::strip).map(k -> PendingKind.of(k).orElseThrow(() ->
                new InvalidRequestException("pendingKind must be one of " + KINDS + "; got '" + k + "'")));
        Optional<Priority> toPriority = priority.map(String::strip).map(p -> Priority.of(p)
                .orElseThrow(() -> new InvalidRequestException("priority must be one of " + PRIORITIES + "; got '" + p + "'")));
        Actor actor = Actor.staff(by.email());
        // Replayed after a failover, setting the same values again writes nothing.
        Applied applied = writes.write(tx -> {
            Optional<Tickets.Change<TicketStatus>> s = Optional.empty();
            if (toStatus.isPresent()) {
                s = Optional.of((pending ? pending(tx, ticketId, actor, until, kind, now)
                        : tickets.setStatus(tx, ticketId, actor, toStatus.get())).orElseThrow(() -> missing(ticketId)));
            }
            Optional<Tickets.Change<Priority>> p = Optional.empty();
            if (toPriority.isPresent()) {
                p = Optional.of(tickets.setPriority(tx, ticketId, actor, toPriority.get()).orElseThrow(() -> missing(ticketId)));
            }
            return new Applied(s, p);
        });
        applied.status().filter(Tickets.Change::changed).ifPresent(c -> log.info(
                "ticket status set ticket={} from={} to={} staff={}", ticketId, c.from().value(), c.to().value(), by.id()));
        applied.priority().filter(Tickets.Change::changed).ifPresent(c -> log.info(
                "ticket priority set ticket={} from={} to={} staff={}", ticketId, c.from().value(), c.to().value(), by.id()));
        return applied;
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

    private static NotFoundException missing(long ticketId) {
        return new NotFoundException("ticket " + ticketId + " does not exist");
    }
}
