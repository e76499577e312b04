package dev.ticketd.desk;

import dev.ticketd.desk.sla.SlaClocks;
import dev.ticketd.desk.sla.SlaKind;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

import static dev.ticketd.db.generated.Tables.HELD_REPLY;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MERGE;
import static dev.ticketd.db.generated.Tables.TICKET_MERGE_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET_MERGE_TAG;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET_SLA_CLOCK;
import static dev.ticketd.db.generated.Tables.TICKET_TAG;

/**
 * Merging a ticket into another, undoing that for a while, and following merges when a mail
 * matches a merged ticket. Part of the desk, the one writer of tickets and their messages.
 *
 * <p>A merge <em>moves</em> the source's message rows to the target (their attachments go with
 * them): no message is copied or dropped, so every mail stays exactly one ticket message. The
 * source is closed and points at the target ({@code ticket.merged_into_id}); the merge and the rows
 * it moved are recorded ({@code ticket_merge}, {@code ticket_merge_message}, {@code ticket_merge_tag}),
 * which is what an undo moves back. The desk merges only into a ticket that is not merged itself
 * and never a merged ticket, so the pointers form chains (A into B, then B into C) and never a cycle.
 *
 * <p>Every method works in the caller's transaction, locks the tickets it changes (in id order, so
 * two merges of the same pair cannot deadlock) and audits on both tickets. Stateless and thread-safe.
 */
public final class TicketMerges {

    /** How long after a merge it may be undone. Afterwards the tickets have moved on (replies, mail) and an undo would surprise. */
    public static final Duration UNDO_WINDOW = Duration.ofMinutes(10);
    /** A merge chain longer than this is not followed further (a chain that long is no real desk's). */
    static final int LONGEST_CHAIN = 100;

    private static final Logger log = LoggerFactory.getLogger(TicketMerges.class);

    /** A merge just done: how many messages moved and which tags the target gained. */
    public record Merged(long mergeId, long sourceId, String sourceNumber, long targetId, String targetNumber, int messages,
                         SortedSet<String> tagsAdded) {
    }

    /** A merge just undone: how many messages went back and the status the source has again. */
    public record Undone(long mergeId, long sourceId, String sourceNumber, long targetId, String targetNumber, int messages,
                         TicketStatus restored) {
    }

    private final Tickets tickets;
    private final Audit audit;
    private final SlaClocks sla;

    public TicketMerges(Tickets tickets) {
        this.tickets = tickets;
        this.audit = tickets.audit();
        this.sla = tickets.sla();
    }

    /**
     * The ticket a mail that matched {@code ticketId} belongs in: that ticket, or the end of its chain
     * of merges. Each ticket on the way is locked ({@code FOR UPDATE}), so a merge or an undo running
     * at the same time is either wholly before this or wholly after it. Mail intake's caller.
     */
    public static long follow(DSLContext tx, long ticketId) {
        long current = ticketId;
        Set<Long> seen = new HashSet<>();
        while (seen.add(current)) {
            Long next = tx.select(TICKET.MERGED_INTO_ID).from(TICKET).where(TICKET.ID.eq(current)).forUpdate()
                    .fetchOne(TICKET.MERGED_INTO_ID);
            if (next == null) {
                return current;
            }
            if (seen.size() > LONGEST_CHAIN) {
                break;
            }
            current = next;
        }
        // merge() never lets this happen; if a hand-made row did, the mail still lands on a ticket
        log.error("merge chain has a cycle or is too long, mail stays on the ticket reached ticket={} reached={}", ticketId, current);
        return current;
    }

    /**
     * Merges ticket {@code sourceId} into {@code targetId}: the source's messages move to the target,
     * the target gains the source's tags, and the source is closed and points at the target.
     *
     * @throws NotFoundException       when either ticket does not exist or {@code by} may not see it
     * @throws ForbiddenException      when {@code by} may not change either ticket
     * @throws InvalidRequestException when the two are the same ticket
     * @throws ConflictException       when either is merged already, or the source has replies held
     */
    public Merged merge(DSLContext tx, long sourceId, long targetId, Viewer by) {
        if (sourceId == targetId) {
            throw new InvalidRequestException("a ticket cannot be merged into itself");
        }
        lockBoth(tx, sourceId, targetId, by);
        Record source = head(tx, sourceId);
        Record target = head(tx, targetId);
        String sourceNumber = source.get(TICKET.NUMBER);
        String targetNumber = target.get(TICKET.NUMBER);
        if (source.get(TICKET.MERGED_INTO_ID) != null) {
            throw new ConflictException(sourceNumber + " is merged into another ticket already");
        }
        if (target.get(TICKET.MERGED_INTO_ID) != null) {
            throw new ConflictException(targetNumber + " is itself merged into another ticket; merge into that one instead");
        }
        if (!Objects.equals(source.get(TICKET.REQUESTER_ID), target.get(TICKET.REQUESTER_ID))) {
            // replies on the target go to its requester alone and quote the newest message: another
            // customer's mail would be shown to them, and the source's customer would hear nothing
            throw new ConflictException(sourceNumber + " and " + targetNumber + " have different requesters; merging would show one "
                    + "customer's mail to the other and leave one without answers. Link the tickets instead");
        }
        if (tx.fetchExists(HELD_REPLY, HELD_REPLY.TICKET_ID.eq(sourceId).and(HELD_REPLY.STATUS.eq("held")))) {
            throw new ConflictException(sourceNumber + " has replies held by the stale-reply guard; send or discard them first");
        }
        OffsetDateTime now = Tickets.now(tx);
        TicketStatus statusBefore = TicketStatus.stored(source.get(TICKET.STATUS));
        long mergeId = tx.insertInto(TICKET_MERGE)
                .set(TICKET_MERGE.SOURCE_TICKET_ID, sourceId)
                .set(TICKET_MERGE.TARGET_TICKET_ID, targetId)
                .set(TICKET_MERGE.MERGED_BY, by.email())
                .set(TICKET_MERGE.MERGED_AT, now)
                .set(TICKET_MERGE.SOURCE_STATUS, statusBefore.value())
                .set(TICKET_MERGE.SOURCE_PENDING_UNTIL, source.get(TICKET.PENDING_UNTIL))
                .set(TICKET_MERGE.SOURCE_PENDING_KIND, source.get(TICKET.PENDING_KIND))
                .returning(TICKET_MERGE.ID)
                .fetchOne(TICKET_MERGE.ID);
        // the rows themselves move: an UPDATE of ticket_id, never an insert of a copy
        int messages = tx.insertInto(TICKET_MERGE_MESSAGE, TICKET_MERGE_MESSAGE.MERGE_ID, TICKET_MERGE_MESSAGE.TICKET_MESSAGE_ID)
                .select(DSL.select(DSL.val(mergeId), TICKET_MESSAGE.ID).from(TICKET_MESSAGE).where(TICKET_MESSAGE.TICKET_ID.eq(sourceId)))
                .execute();
        int moved = tx.update(TICKET_MESSAGE).set(TICKET_MESSAGE.TICKET_ID, targetId)
                .where(TICKET_MESSAGE.ID.in(DSL.select(TICKET_MERGE_MESSAGE.TICKET_MESSAGE_ID).from(TICKET_MERGE_MESSAGE)
                        .where(TICKET_MERGE_MESSAGE.MERGE_ID.eq(mergeId))))
                .execute();
        if (moved != messages) {
            throw new IllegalStateException("merge " + mergeId + " recorded " + messages + " messages but moved " + moved);
        }
        SortedSet<String> tagsAdded = new TreeSet<>(tx.select(TICKET_TAG.TAG).from(TICKET_TAG).where(TICKET_TAG.TICKET_ID.eq(sourceId))
                .fetch(TICKET_TAG.TAG));
        tagsAdded.removeAll(tx.select(TICKET_TAG.TAG).from(TICKET_TAG).where(TICKET_TAG.TICKET_ID.eq(targetId)).fetch(TICKET_TAG.TAG));
        for (String tag : tagsAdded) {
            tx.insertInto(TICKET_TAG).set(TICKET_TAG.TICKET_ID, targetId).set(TICKET_TAG.TAG, tag)
                    .set(TICKET_TAG.TICKET_CREATED_AT, target.get(TICKET.CREATED_AT)).execute();
            tx.insertInto(TICKET_MERGE_TAG).set(TICKET_MERGE_TAG.MERGE_ID, mergeId).set(TICKET_MERGE_TAG.TAG, tag).execute();
        }
        // the source's customer may still wait for an answer: an open target then owes one too
        boolean answerOwed = tx.fetchExists(TICKET_SLA_CLOCK, TICKET_SLA_CLOCK.TICKET_ID.eq(sourceId)
                .and(TICKET_SLA_CLOCK.KIND.in(SlaKind.FIRST_RESPONSE.value(), SlaKind.NEXT_RESPONSE.value())));
        tx.update(TICKET)
                .set(TICKET.STATUS, TicketStatus.CLOSED.value())
                .set(TICKET.MERGED_INTO_ID, targetId)
                .set(TICKET.UPDATED_AT, now)
                .where(TICKET.ID.eq(sourceId))
                .execute();
        Tickets.timers(tx, sourceId, TicketStatus.CLOSED);
        if (statusBefore != TicketStatus.CLOSED) {
            sla.statusChanged(tx, sourceId, statusBefore, TicketStatus.CLOSED, null, now.toInstant());
        }
        lastMessageAt(tx, targetId, now);
        lastMessageAt(tx, sourceId, null);
        if (answerOwed && TicketStatus.stored(target.get(TICKET.STATUS)) == TicketStatus.OPEN) {
            sla.customerWrote(tx, targetId, TicketStatus.OPEN, now.toInstant());
        }
        Actor actor = by.actor();
        audit.record(tx, actor, sourceId, new AuditEvent.MergedInto(mergeId, targetId, targetNumber, messages, statusBefore));
        audit.record(tx, actor, targetId, new AuditEvent.MergedFrom(mergeId, sourceId, sourceNumber, messages, tagsAdded));
        return new Merged(mergeId, sourceId, sourceNumber, targetId, targetNumber, messages, tagsAdded);
    }

    /**
     * Undoes the latest merge of {@code sourceId}: exactly the messages it moved go back, the tags it
     * added to the target are removed, and the source has its status (and pending time) again. Mail
     * that reached the target since stays there.
     *
     * @throws NotFoundException  when the ticket does not exist, {@code by} may not see either ticket, or it is not merged
     * @throws ForbiddenException when {@code by} may not change either ticket
     * @throws ConflictException  when the window is over, the target was merged further, or a moved message left the target since
     */
    public Undone undo(DSLContext tx, long sourceId, Viewer by) {
        Record merge = tx.selectFrom(TICKET_MERGE).where(TICKET_MERGE.SOURCE_TICKET_ID.eq(sourceId))
                .and(TICKET_MERGE.UNDONE_AT.isNull()).orderBy(TICKET_MERGE.ID.desc()).limit(1).fetchOne();
        if (merge == null) {
            tickets.lockForChange(tx, sourceId, by); // a ticket they cannot see is not found, whatever its merges
            throw new NotFoundException("ticket " + sourceId + " is not merged into another ticket");
        }
        long mergeId = merge.get(TICKET_MERGE.ID);
        long targetId = merge.get(TICKET_MERGE.TARGET_TICKET_ID);
        // the merged ticket first, then the one it went to: the order intake's follow() locks them in,
        // so a customer's mail to the merged ticket and an undo wait for each other instead of deadlocking
        tickets.lockForChange(tx, sourceId, by);
        tickets.lockForChange(tx, targetId, by);
        Record source = head(tx, sourceId);
        Record target = head(tx, targetId);
        String sourceNumber = source.get(TICKET.NUMBER);
        String targetNumber = target.get(TICKET.NUMBER);
        if (!Long.valueOf(targetId).equals(source.get(TICKET.MERGED_INTO_ID))) {
            throw new ConflictException(sourceNumber + " is no longer merged into " + targetNumber);
        }
        if (target.get(TICKET.MERGED_INTO_ID) != null) {
            throw new ConflictException(targetNumber + " was merged into another ticket since; undo that merge first");
        }
        OffsetDateTime now = Tickets.now(tx);
        OffsetDateTime mergedAt = merge.get(TICKET_MERGE.MERGED_AT);
        if (!now.isBefore(mergedAt.plus(UNDO_WINDOW))) {
            throw new ConflictException("the merge of " + sourceNumber + " into " + targetNumber + " can be undone only within "
                    + UNDO_WINDOW.toMinutes() + " minutes; it was done at " + mergedAt.toInstant());
        }
        List<Long> recorded = tx.select(TICKET_MERGE_MESSAGE.TICKET_MESSAGE_ID).from(TICKET_MERGE_MESSAGE)
                .where(TICKET_MERGE_MESSAGE.MERGE_ID.eq(mergeId)).fetch(TICKET_MERGE_MESSAGE.TICKET_MESSAGE_ID);
        int moved = tx.update(TICKET_MESSAGE).set(TICKET_MESSAGE.TICKET_ID, sourceId)
                .where(TICKET_MESSAGE.ID.in(recorded)).and(TICKET_MESSAGE.TICKET_ID.eq(targetId))
                .execute();
        if (moved != recorded.size()) {
            // rolled back with the transaction: nothing moved
            throw new ConflictException("a message the merge moved has left " + targetNumber + " since (split off); "
                    + "the merge of " + sourceNumber + " can no longer be undone");
        }
        List<String> tags = tx.select(TICKET_MERGE_TAG.TAG).from(TICKET_MERGE_TAG).where(TICKET_MERGE_TAG.MERGE_ID.eq(mergeId))
                .fetch(TICKET_MERGE_TAG.TAG);
        if (!tags.isEmpty()) {
            tx.deleteFrom(TICKET_TAG).where(TICKET_TAG.TICKET_ID.eq(targetId)).and(TICKET_TAG.TAG.in(tags)).execute();
        }
        TicketStatus restored = TicketStatus.stored(merge.get(TICKET_MERGE.SOURCE_STATUS));
        boolean pending = restored == TicketStatus.PENDING;
        tx.update(TICKET)
                .set(TICKET.STATUS, restored.value())
                .set(TICKET.MERGED_INTO_ID, (Long) null)
                .set(TICKET.PENDING_UNTIL, pending ? merge.get(TICKET_MERGE.SOURCE_PENDING_UNTIL) : null)
                .set(TICKET.PENDING_KIND, pending ? merge.get(TICKET_MERGE.SOURCE_PENDING_KIND) : null)
                .set(TICKET.RESOLVED_AT, restored == TicketStatus.RESOLVED ? now : null)
                .set(TICKET.UPDATED_AT, now)
                .where(TICKET.ID.eq(sourceId))
                .execute();
        if (restored != TicketStatus.CLOSED) {
            String kind = merge.get(TICKET_MERGE.SOURCE_PENDING_KIND);
            sla.statusChanged(tx, sourceId, TicketStatus.CLOSED, restored,
                    pending && kind != null ? PendingKind.stored(kind) : null, now.toInstant());
        }
        lastMessageAt(tx, sourceId, now);
        lastMessageAt(tx, targetId, now);
        tx.update(TICKET_MERGE).set(TICKET_MERGE.UNDONE_AT, now).set(TICKET_MERGE.UNDONE_BY, by.email())
                .where(TICKET_MERGE.ID.eq(mergeId)).execute();
        AuditEvent event = new AuditEvent.MergeUndone(mergeId, sourceId, sourceNumber, targetId, targetNumber, moved, restored);
        audit.record(tx, by.actor(), sourceId, event);
        audit.record(tx, by.actor(), targetId, event);
        return new Undone(mergeId, sourceId, sourceNumber, targetId, targetNumber, moved, restored);
    }

    /** Locks both tickets for a change by {@code by}, the lower id first. */
    private void lockBoth(DSLContext tx, long a, long b, Viewer by) {
        tickets.lockForChange(tx, Math.min(a, b), by);
        tickets.lockForChange(tx, Math.max(a, b), by);
    }

    private static Record head(DSLContext tx, long ticketId) {
        return tx.select(TICKET.NUMBER, TICKET.STATUS, TICKET.MERGED_INTO_ID, TICKET.PENDING_UNTIL, TICKET.PENDING_KIND,
                        TICKET.CREATED_AT, TICKET.REQUESTER_ID)
                .from(TICKET).where(TICKET.ID.eq(ticketId)).fetchSingle();
    }

    /**
     * The ticket's last message time from the messages it has now (notes do not count, as when they
     * are written; a ticket left without any keeps its creation time), and its change time {@code now} unless null.
     */
    static void lastMessageAt(DSLContext tx, long ticketId, OffsetDateTime now) {
        var update = tx.update(TICKET).set(TICKET.LAST_MESSAGE_AT, DSL.coalesce(
                DSL.field(DSL.select(DSL.max(TICKET_MESSAGE.CREATED_AT)).from(TICKET_MESSAGE)
                        .where(TICKET_MESSAGE.TICKET_ID.eq(ticketId)).and(TICKET_MESSAGE.KIND.ne(MessageKind.NOTE.value()))),
                TICKET.CREATED_AT));
        (now == null ? update : update.set(TICKET.UPDATED_AT, now)).where(TICKET.ID.eq(ticketId)).execute();
    }
}
