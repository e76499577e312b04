package dev.ticketd.node.ticket;

import dev.ticketd.db.generated.tables.Ticket;
import dev.ticketd.desk.TicketMerges;
import dev.ticketd.desk.Viewer;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;

import java.time.OffsetDateTime;
import java.util.List;

import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_LINK;
import static dev.ticketd.db.generated.Tables.TICKET_MERGE;

/**
 * How a ticket relates to others: the ticket it was merged into (null when it was not), the
 * tickets merged into it (with whether each merge may still be undone), and its parent and child
 * tickets. Links to tickets of groups the member of staff cannot see are not listed, only counted
 * ({@code hiddenLinks}): their number and subject are no business of theirs. Likewise tickets merged
 * into this one from such a group are not listed, and the number of the ticket this one was merged
 * into is null when it is in such a group.
 */
public record TicketRelations(Long mergedIntoId, String mergedIntoNumber, List<MergedHere> mergedHere, List<Related> parents,
                              List<Related> children, int hiddenLinks) {

    /** A ticket merged into this one: by whom and when, and until when the merge may be undone ({@code undoable} now). */
    public record MergedHere(long ticketId, String number, OffsetDateTime mergedAt, String mergedBy, OffsetDateTime undoUntil,
                             boolean undoable) {
    }

    /** A linked ticket the member of staff may see. */
    public record Related(long id, String number, String subject, String status) {
    }

    /** The most merges and links of each kind a ticket's page lists. */
    static final int MAX_LISTED = 100;

    static TicketRelations read(DSLContext dsl, Viewer viewer, long ticketId) {
        Ticket into = TICKET.as("into_ticket");
        Record merged = dsl.select(into.ID, into.NUMBER, into.MERGED_INTO_ID, DSL.field(viewer.seesGroup(into.GROUP_ID)).as("visible"))
                .from(TICKET).join(into).on(into.ID.eq(TICKET.MERGED_INTO_ID))
                .where(TICKET.ID.eq(ticketId)).fetchOne();
        boolean furtherMerged = merged != null; // this ticket went on into another: merges into it cannot be undone
        OffsetDateTime now = dsl.select(DSL.currentOffsetDateTime()).fetchSingle(0, OffsetDateTime.class);
        Ticket source = TICKET.as("source_ticket");
        List<MergedHere> here = dsl.select(source.ID, source.NUMBER, source.MERGED_INTO_ID, TICKET_MERGE.MERGED_AT, TICKET_MERGE.MERGED_BY)
                .from(TICKET_MERGE).join(source).on(source.ID.eq(TICKET_MERGE.SOURCE_TICKET_ID))
                .where(TICKET_MERGE.TARGET_TICKET_ID.eq(ticketId)).and(TICKET_MERGE.UNDONE_AT.isNull())
                .and(viewer.seesGroup(source.GROUP_ID))
                .orderBy(TICKET_MERGE.ID.desc()).limit(MAX_LISTED)
                .fetch(r -> {
                    OffsetDateTime until = r.get(TICKET_MERGE.MERGED_AT).plus(TicketMerges.UNDO_WINDOW);
                    boolean undoable = !furtherMerged && now.isBefore(until) && Long.valueOf(ticketId).equals(r.get(source.MERGED_INTO_ID));
                    return new MergedHere(r.get(source.ID), r.get(source.NUMBER), r.get(TICKET_MERGE.MERGED_AT),
                            r.get(TICKET_MERGE.MERGED_BY), until, undoable);
                });
        List<Related> parents = linked(dsl, viewer, TICKET_LINK.PARENT_TICKET_ID, TICKET_LINK.CHILD_TICKET_ID.eq(ticketId));
        List<Related> children = linked(dsl, viewer, TICKET_LINK.CHILD_TICKET_ID, TICKET_LINK.PARENT_TICKET_ID.eq(ticketId));
        int all = dsl.fetchCount(TICKET_LINK, TICKET_LINK.PARENT_TICKET_ID.eq(ticketId).or(TICKET_LINK.CHILD_TICKET_ID.eq(ticketId)));
        String intoNumber = merged == null || !Boolean.TRUE.equals(merged.get("visible", Boolean.class)) ? null : merged.get(into.NUMBER);
        return new TicketRelations(merged == null ? null : merged.get(into.ID), intoNumber,
                here, parents, children, Math.max(0, all - parents.size() - children.size()));
    }

    /** The tickets at the {@code other} end of the links {@code which} selects that {@code viewer} may see, by number. */
    private static List<Related> linked(DSLContext dsl, Viewer viewer, org.jooq.Field<Long> other, org.jooq.Condition which) {
        return dsl.select(TICKET.ID, TICKET.NUMBER, TICKET.SUBJECT, TICKET.STATUS)
                .from(TICKET_LINK).join(TICKET).on(TICKET.ID.eq(other))
                .where(which).and(viewer.sees())
                .orderBy(TICKET.ID).limit(MAX_LISTED)
                .fetch(r -> new Related(r.get(TICKET.ID), r.get(TICKET.NUMBER), r.get(TICKET.SUBJECT), r.get(TICKET.STATUS)));
    }
}
