package dev.ticketd.desk;

import org.jooq.DSLContext;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_LINK;

/**
 * Parent/child links between tickets ({@code ticket_link}): a problem and its incidents, a task and
 * its parts. Setting or removing one needs the right to change both tickets (so nobody links, or
 * learns of, a ticket of a group they cannot see); both tickets' audit logs record it. Links never
 * form a cycle: a ticket is never made a child of its own descendant. Setting a link that exists,
 * or removing one that does not, writes nothing.
 *
 * <p>Works in the caller's transaction and locks both tickets (lower id first). Stateless and thread-safe.
 */
public final class TicketLinks {

    /** The most tickets the cycle check walks; a family of tickets larger than this is no real desk's. */
    static final int LONGEST_WALK = 10_000;

    private final Tickets tickets;
    private final Audit audit;

    public TicketLinks(Tickets tickets) {
        this.tickets = tickets;
        this.audit = tickets.audit();
    }

    /**
     * Makes {@code childId} a child of {@code parentId}.
     *
     * @return whether a link was written (false: it was there already)
     * @throws InvalidRequestException when the two are the same ticket, or the link would close a cycle
     */
    public boolean link(DSLContext tx, long parentId, long childId, Viewer by) {
        if (parentId == childId) {
            throw new InvalidRequestException("a ticket cannot be linked to itself");
        }
        lockBoth(tx, parentId, childId, by);
        if (tx.fetchExists(TICKET_LINK, TICKET_LINK.PARENT_TICKET_ID.eq(parentId).and(TICKET_LINK.CHILD_TICKET_ID.eq(childId)))) {
            return false;
        }
        if (isAncestor(tx, childId, parentId)) {
            throw new InvalidRequestException(number(tx, childId) + " is already above " + number(tx, parentId)
                    + " (its parent, or a parent's parent); a ticket cannot be its own ancestor");
        }
        tx.insertInto(TICKET_LINK).set(TICKET_LINK.PARENT_TICKET_ID, parentId).set(TICKET_LINK.CHILD_TICKET_ID, childId)
                .set(TICKET_LINK.CREATED_BY, by.email()).execute();
        touch(tx, parentId, childId);
        AuditEvent event = new AuditEvent.Linked(parentId, number(tx, parentId), childId, number(tx, childId));
        audit.record(tx, by.actor(), parentId, event);
        audit.record(tx, by.actor(), childId, event);
        return true;
    }

    /**
     * Removes the link between the two tickets, whichever is the parent.
     *
     * @return whether a link was removed
     */
    public boolean unlink(DSLContext tx, long ticketId, long otherId, Viewer by) {
        // a merged ticket takes no new work, but a link it had may still be removed
        tickets.lockForChange(tx, Math.min(ticketId, otherId), by);
        tickets.lockForChange(tx, Math.max(ticketId, otherId), by);
        List<Long> parents = tx.deleteFrom(TICKET_LINK)
                .where(TICKET_LINK.PARENT_TICKET_ID.eq(ticketId).and(TICKET_LINK.CHILD_TICKET_ID.eq(otherId)))
                .or(TICKET_LINK.PARENT_TICKET_ID.eq(otherId).and(TICKET_LINK.CHILD_TICKET_ID.eq(ticketId)))
                .returning(TICKET_LINK.PARENT_TICKET_ID)
                .fetch(TICKET_LINK.PARENT_TICKET_ID);
        if (parents.isEmpty()) {
            return false;
        }
        long parent = parents.get(0);
        long child = parent == ticketId ? otherId : ticketId;
        touch(tx, parent, child);
        AuditEvent event = new AuditEvent.Unlinked(parent, number(tx, parent), child, number(tx, child));
        audit.record(tx, by.actor(), parent, event);
        audit.record(tx, by.actor(), child, event);
        return true;
    }

    /** Whether {@code ancestor} is {@code ticketId}'s parent, or a parent's parent, and so on. */
    private static boolean isAncestor(DSLContext tx, long ancestor, long ticketId) {
        Set<Long> seen = new HashSet<>();
        Deque<Long> next = new ArrayDeque<>(List.of(ticketId));
        while (!next.isEmpty() && seen.size() < LONGEST_WALK) {
            long current = next.poll();
            for (long parent : tx.select(TICKET_LINK.PARENT_TICKET_ID).from(TICKET_LINK).where(TICKET_LINK.CHILD_TICKET_ID.eq(current))
                    .fetch(TICKET_LINK.PARENT_TICKET_ID)) {
                if (parent == ancestor) {
                    return true;
                }
                if (seen.add(parent)) {
                    next.add(parent);
                }
            }
        }
        return false;
    }

    /** Both pages show the link: their change time moves (and the live desk tells whoever watches them). */
    private static void touch(DSLContext tx, long a, long b) {
        tx.update(TICKET).set(TICKET.UPDATED_AT, Tickets.now(tx)).where(TICKET.ID.in(a, b)).execute();
    }

    private void lockBoth(DSLContext tx, long a, long b, Viewer by) {
        tickets.lockForWork(tx, Math.min(a, b), by);
        tickets.lockForWork(tx, Math.max(a, b), by);
    }

    private static String number(DSLContext tx, long ticketId) {
        return tx.select(TICKET.NUMBER).from(TICKET).where(TICKET.ID.eq(ticketId)).fetchSingle(TICKET.NUMBER);
    }
}
