package dev.ticketd.node.ticket;

import dev.ticketd.db.Transactions;
import dev.ticketd.desk.Actor;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.desk.Tickets;
import dev.ticketd.node.auth.StaffUser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Staff set a ticket's status (open, pending, resolved, closed); the desk writes and audits it. Knows nothing of HTTP. */
public final class StatusService {

    private static final Logger log = LoggerFactory.getLogger(StatusService.class);
    static final String ALLOWED = Arrays.stream(TicketStatus.values()).map(TicketStatus::value).collect(Collectors.joining(", "));

    private final Transactions writes;
    private final Tickets tickets;

    /** @param writes transactions with the retry budget of a staff request */
    public StatusService(Transactions writes, Tickets tickets) {
        this.writes = writes;
        this.tickets = tickets;
    }

    /**
     * @param status the new status as the request names it
     * @throws InvalidRequestException when {@code status} is not one of the statuses
     * @throws NotFoundException       when there is no such ticket
     */
    public Tickets.StatusChange setStatus(long ticketId, StaffUser by, String status) {
        TicketStatus to = TicketStatus.of(status == null ? "" : status.strip())
                .orElseThrow(() -> new InvalidRequestException("status must be one of " + ALLOWED + "; got '"
                        + (status == null ? "" : status.strip()) + "'"));
        // Replayed after a failover, setting the same status again writes nothing.
        Tickets.StatusChange change = writes.write(tx -> tickets.setStatus(tx, ticketId, Actor.staff(by.email()), to))
                .orElseThrow(() -> new NotFoundException("ticket " + ticketId + " does not exist"));
        if (change.changed()) {
            log.info("ticket status set ticket={} from={} to={} staff={}", ticketId, change.from().value(), change.to().value(), by.id());
        }
        return change;
    }
}
