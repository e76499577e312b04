package dev.ticketd.node.live;

import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;

import static dev.ticketd.db.generated.Tables.DESK_EVENT;

/**
 * Reads {@code desk_event}: the latest position, and what happened since a position, for a browser
 * that resumes and for a node whose listening connection was lost.
 *
 * <p>Positions come from a sequence, and a transaction can take a position and commit after a later
 * one has committed (it commits a little after it wrote the row; the server ends a transaction idle
 * for 4 s). So a replay from position p also replays the events written up to {@link #LOOK_BACK}
 * before p's own event: a few events twice (a page only re-reads what it shows), none missed unless a
 * transaction takes longer than that between writing its event and committing.
 */
final class EventLog {

    static final Duration LOOK_BACK = Duration.ofSeconds(10);

    /**
     * @param events   in position order
     * @param complete false when events may be missing: more than the limit, or the position is older than
     *                 the events kept; the page then re-reads everything it shows
     */
    record Replay(List<DeskEvent> events, boolean complete) {
    }

    private EventLog() {
    }

    /** The newest position, 0 when there is none. */
    static long latest(DSLContext dsl) {
        Long max = dsl.select(DSL.max(DESK_EVENT.ID)).from(DESK_EVENT).fetchOne(0, Long.class);
        return max == null ? 0 : max;
    }

    static Replay since(DSLContext dsl, long position, int limit) {
        Field<OffsetDateTime> written = DSL.field(DSL.select(DESK_EVENT.CREATED_AT).from(DESK_EVENT).where(DESK_EVENT.ID.eq(position)));
        List<DeskEvent> events = dsl.select(DESK_EVENT.ID, DESK_EVENT.TICKET_ID, DESK_EVENT.GROUP_ID, DESK_EVENT.OLD_GROUP_ID)
                .from(DESK_EVENT)
                .where(DESK_EVENT.ID.gt(position).or(DESK_EVENT.ID.le(position)
                        .and(DESK_EVENT.CREATED_AT.gt(DSL.field("{0} - {1}::interval", OffsetDateTime.class, written,
                                DSL.val(LOOK_BACK.toSeconds() + " seconds"))))))
                .orderBy(DESK_EVENT.ID)
                .limit(limit + 1)
                .fetch(r -> new DeskEvent(DeskEvent.Kind.TICKET, r.value1(), r.value2(), r.value3(), r.value4()));
        Long oldest = dsl.select(DSL.min(DESK_EVENT.ID)).from(DESK_EVENT).fetchOne(0, Long.class);
        // the position's own row is kept while anything after it is: an oldest row above it means some were deleted
        boolean pruned = oldest != null && oldest > position;
        boolean tooMany = events.size() > limit;
        return new Replay(tooMany ? events.subList(0, limit) : events, !pruned && !tooMany);
    }

    /** Deletes events older than {@code kept}, at most {@code batch} rows; returns how many. */
    static int prune(DSLContext dsl, Duration kept, int batch) {
        return dsl.deleteFrom(DESK_EVENT).where(DESK_EVENT.ID.in(DSL.select(DESK_EVENT.ID).from(DESK_EVENT)
                .where(DESK_EVENT.CREATED_AT.lt(DSL.field("clock_timestamp() - {0}::interval", DESK_EVENT.CREATED_AT.getType(),
                        DSL.val(kept.toSeconds() + " seconds"))))
                .limit(batch))).execute();
    }
}
