package dev.ticketd.node.ticket;

import dev.ticketd.db.Transactions;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.desk.TicketLinks;
import dev.ticketd.desk.TicketMerges;
import dev.ticketd.desk.TicketSplits;
import dev.ticketd.desk.Tickets;
import dev.ticketd.desk.Viewer;
import dev.ticketd.node.auth.StaffUser;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.regex.Pattern;

import static dev.ticketd.db.generated.Tables.TICKET;

/**
 * Staff merge a ticket into another and undo that within {@link TicketMerges#UNDO_WINDOW}, split
 * a message off a ticket into a new one, and link tickets as parent and child; the desk moves the
 * messages, checks that the member of staff may change the tickets and audits on each. Each request is one transaction. Knows
 * nothing of HTTP.
 */
public final class TicketMerging {

    private static final Logger log = LoggerFactory.getLogger(TicketMerging.class);
    /** A ticket as staff name it: its number ({@code T-1042}) or its id. */
    private static final Pattern NUMBER = Pattern.compile("[A-Za-z][A-Za-z0-9-]{0,31}");
    private static final Pattern ID = Pattern.compile("\\d{1,18}");

    private final Transactions writes;
    private final TicketMerges merges;
    private final TicketSplits splits;
    private final TicketLinks links;

    /** @param writes transactions with the retry budget of a staff request */
    public TicketMerging(Transactions writes, Tickets tickets) {
        this.writes = writes;
        this.merges = new TicketMerges(tickets);
        this.splits = new TicketSplits(tickets);
        this.links = new TicketLinks(tickets);
    }

    /**
     * Merges ticket {@code sourceId} into the ticket {@code into} names (a number or an id).
     *
     * @throws InvalidRequestException when {@code into} names no ticket in a readable way, or the same ticket
     * @throws NotFoundException       when either ticket does not exist or {@code by} may not see it
     */
    public TicketMerges.Merged merge(long sourceId, String into, StaffUser by) {
        Viewer viewer = by.viewer();
        TicketMerges.Merged merged = writes.write(tx -> merges.merge(tx, sourceId, ticketNamed(tx, into, viewer), viewer));
        log.info("ticket merged ticket={} into={} messages={} merge={} staff={}", merged.sourceNumber(), merged.targetNumber(),
                merged.messages(), merged.mergeId(), by.id());
        return merged;
    }

    /** Undoes the latest merge of {@code sourceId} (see {@link TicketMerges#undo}). */
    public TicketMerges.Undone undo(long sourceId, StaffUser by) {
        TicketMerges.Undone undone = writes.write(tx -> merges.undo(tx, sourceId, by.viewer()));
        log.info("ticket merge undone ticket={} from={} messages={} merge={} staff={}", undone.sourceNumber(), undone.targetNumber(),
                undone.messages(), undone.mergeId(), by.id());
        return undone;
    }

    /** Splits message {@code messageId} off ticket {@code ticketId} into a new ticket linked to it (see {@link TicketSplits#split}). */
    public TicketSplits.Split split(long ticketId, long messageId, StaffUser by) {
        TicketSplits.Split split = writes.write(tx -> splits.split(tx, ticketId, messageId, by.viewer()));
        log.info("message split off ticket={} message={} into={} staff={}", split.fromNumber(), messageId, split.number(), by.id());
        return split;
    }

    /** A link between two tickets as a request named it, and whether the request wrote or removed it. */
    public record Link(long parentId, long childId, boolean changed) {
    }

    /**
     * Links ticket {@code ticketId} to the ticket {@code other} names: as its child when {@code asChild},
     * else as its parent.
     */
    public Link link(long ticketId, String other, boolean asChild, StaffUser by) {
        Viewer viewer = by.viewer();
        Link link = writes.write(tx -> {
            long otherId = ticketNamed(tx, other, viewer);
            long parent = asChild ? ticketId : otherId;
            long child = asChild ? otherId : ticketId;
            return new Link(parent, child, links.link(tx, parent, child, viewer));
        });
        log.info("tickets linked parent={} child={} changed={} staff={}", link.parentId(), link.childId(), link.changed(), by.id());
        return link;
    }

    /** Removes the link between ticket {@code ticketId} and ticket {@code otherId}, whichever is the parent. */
    public boolean unlink(long ticketId, long otherId, StaffUser by) {
        boolean removed = writes.write(tx -> links.unlink(tx, ticketId, otherId, by.viewer()));
        log.info("tickets unlinked ticket={} other={} removed={} staff={}", ticketId, otherId, removed, by.id());
        return removed;
    }

    /**
     * The id of the ticket {@code name} names: a number such as {@code T-1042} or an id; one
     * {@code viewer} may not see is not found.
     */
    static long ticketNamed(DSLContext tx, String name, Viewer viewer) {
        String wanted = name == null ? "" : name.strip();
        if (wanted.startsWith("#")) {
            wanted = wanted.substring(1);
        }
        Long id;
        if (ID.matcher(wanted).matches()) {
            id = tx.select(TICKET.ID).from(TICKET).where(TICKET.ID.eq(Long.parseLong(wanted))).and(viewer.sees()).fetchOne(TICKET.ID);
        } else if (NUMBER.matcher(wanted).matches()) {
            id = tx.select(TICKET.ID).from(TICKET).where(TICKET.NUMBER.in(wanted, wanted.toUpperCase(Locale.ROOT))).and(viewer.sees())
                    .limit(1).fetchOne(TICKET.ID);
        } else {
            throw new InvalidRequestException("name the other ticket by its number, such as T-1042, or its id; got '"
                    + (wanted.length() > 40 ? wanted.substring(0, 40) + "…" : wanted) + "'");
        }
        if (id == null) {
            throw new NotFoundException("there is no ticket " + wanted + " (or it is in a group you cannot see)");
        }
        return id;
    }
}
