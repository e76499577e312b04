package dev.ticketd.node.ticket;

import dev.ticketd.db.Transactions;
import dev.ticketd.desk.Actor;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.desk.Priority;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.desk.Tickets;
import dev.ticketd.node.auth.StaffUser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

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

    private final Transactions writes;
    private final Tickets tickets;

    /** @param writes transactions with the retry budget of a staff request */
    public TicketChanges(Transactions writes, Tickets tickets) {
        this.writes = writes;
        this.tickets = tickets;
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
        Optional<TicketStatus> toStatus = status.map(String::strip).map(s -> TicketStatus.of(s)
                .orElseThrow(() -> new InvalidRequestException("status must be one of " + STATUSES + "; got '" + s + "'")));
        Optional<Priority> toPriority = priority.map(String::strip).map(p -> Priority.of(p)
                .orElseThrow(() -> new InvalidRequestException("priority must be one of " + PRIORITIES + "; got '" + p + "'")));
        Actor actor = Actor.staff(by.email());
        // Replayed after a failover, setting the same values again writes nothing.
        Applied applied = writes.write(tx -> {
            Optional<Tickets.Change<TicketStatus>> s = Optional.empty();
            if (toStatus.isPresent()) {
                s = Optional.of(tickets.setStatus(tx, ticketId, actor, toStatus.get()).orElseThrow(() -> missing(ticketId)));
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

    private static NotFoundException missing(long ticketId) {
        return new NotFoundException("ticket " + ticketId + " does not exist");
    }
}
