package dev.ticketd.desk;

import dev.ticketd.desk.sla.SlaClocks;
import org.jooq.DSLContext;
import org.jooq.Record;

import java.time.OffsetDateTime;

import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/**
 * Splitting one message off a ticket into a new ticket, linked to the original: a customer's second
 * question in the same thread becomes its own ticket. Part of the desk, the one writer of tickets.
 *
 * <p>The message row <em>moves</em> (its ticket changes; its files go with it): no message is copied
 * or dropped. Replies to it then thread to the new ticket — to a customer's mail through its stored
 * Message-ID, to one of ours through the message its outbox row names. The new ticket has the
 * original's requester, group, mailbox, subject and priority, nobody owns it, and it links to the
 * original ({@code linked_ticket_id}, not flagged for review). Audited on both.
 *
 * <p>Works in the caller's transaction and locks the original ticket. Stateless and thread-safe.
 */
public final class TicketSplits {

    /** A ticket just split off: the new ticket and the message it took. */
    public record Split(long ticketId, String number, long fromTicketId, String fromNumber, long messageId) {
    }

    private final Tickets tickets;
    private final Audit audit;
    private final SlaClocks sla;

    public TicketSplits(Tickets tickets) {
        this.tickets = tickets;
        this.audit = tickets.audit();
        this.sla = tickets.sla();
    }

    /**
     * Moves message {@code messageId} of ticket {@code ticketId} to a new ticket linked to it.
     *
     * @throws NotFoundException       when the ticket does not exist, {@code by} may not see it, or the message is not on it
     * @throws ForbiddenException      when {@code by} may not change the ticket
     * @throws InvalidRequestException when the message is the ticket's only one (nothing would be left)
     */
    public Split split(DSLContext tx, long ticketId, long messageId, Viewer by) {
        tickets.lockForChange(tx, ticketId, by);
        Record original = tx.select(TICKET.NUMBER, TICKET.MAILBOX_ID, TICKET.SUBJECT, TICKET.PRIORITY, TICKET.REQUESTER_ID,
                        TICKET.GROUP_ID)
                .from(TICKET).where(TICKET.ID.eq(ticketId)).fetchSingle();
        String fromNumber = original.get(TICKET.NUMBER);
        OffsetDateTime createdAt = tx.select(TICKET_MESSAGE.CREATED_AT).from(TICKET_MESSAGE)
                .where(TICKET_MESSAGE.ID.eq(messageId)).and(TICKET_MESSAGE.TICKET_ID.eq(ticketId))
                .forUpdate().fetchOne(TICKET_MESSAGE.CREATED_AT);
        if (createdAt == null) {
            throw new NotFoundException("ticket " + fromNumber + " has no message " + messageId);
        }
        if (tx.fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.TICKET_ID.eq(ticketId)) < 2) {
            throw new InvalidRequestException("message " + messageId + " is the only message of " + fromNumber
                    + "; a ticket keeps at least one, so there is nothing to split it from");
        }
        OffsetDateTime now = Tickets.now(tx);
        String number = Tickets.nextNumber(tx);
        long newId = tx.insertInto(TICKET)
                .set(TICKET.NUMBER, number)
                .set(TICKET.MAILBOX_ID, original.get(TICKET.MAILBOX_ID))
                .set(TICKET.SUBJECT, original.get(TICKET.SUBJECT))
                .set(TICKET.STATUS, TicketStatus.OPEN.value())
                .set(TICKET.PRIORITY, original.get(TICKET.PRIORITY))
                .set(TICKET.REQUESTER_ID, original.get(TICKET.REQUESTER_ID))
                .set(TICKET.GROUP_ID, original.get(TICKET.GROUP_ID))
                .set(TICKET.CREATED_AT, now)
                .set(TICKET.UPDATED_AT, now)
                .set(TICKET.LAST_MESSAGE_AT, now)
                .set(TICKET.LINKED_TICKET_ID, ticketId)
                .set(TICKET.NEEDS_REVIEW, false)
                .returning(TICKET.ID)
                .fetchOne(TICKET.ID);
        int moved = tx.update(TICKET_MESSAGE).set(TICKET_MESSAGE.TICKET_ID, newId)
                .where(TICKET_MESSAGE.ID.eq(messageId)).and(TICKET_MESSAGE.TICKET_ID.eq(ticketId)).execute();
        if (moved != 1) {
            throw new IllegalStateException("message " + messageId + " was locked on ticket " + ticketId + " but did not move");
        }
        sla.opened(tx, newId, now.toInstant());
        TicketMerges.lastMessageAt(tx, newId, null);
        TicketMerges.lastMessageAt(tx, ticketId, now);
        audit.record(tx, by.actor(), ticketId, new AuditEvent.MessageSplitOff(messageId, newId, number));
        audit.record(tx, by.actor(), newId, new AuditEvent.SplitFrom(messageId, ticketId, fromNumber));
        return new Split(newId, number, ticketId, fromNumber, messageId);
    }
}
