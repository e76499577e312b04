package dev.ticketd.node.live;

import dev.ticketd.db.Database;
import dev.ticketd.db.Transactions;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.desk.Viewer;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_PRESENCE;

/**
 * Who has which ticket open, and who is writing on it: one row per browser page, refreshed by the
 * page, counted as gone {@code expiry} after its last refresh (by the database's clock, so the nodes'
 * clocks do not matter). A change of who is there (not a mere refresh) is announced on
 * {@value DeskEvent#CHANNEL} in the transaction that made it. Knows nothing of HTTP.
 */
public final class Presence {

    public enum Activity {
        VIEWING("viewing"), REPLYING("replying");

        private final String value;

        Activity(String value) {
            this.value = value;
        }

        public String value() {
            return value;
        }

        public static Optional<Activity> of(String value) {
            for (Activity a : values()) {
                if (a.value.equals(value)) {
                    return Optional.of(a);
                }
            }
            return Optional.empty();
        }
    }

    /** A member of staff on a ticket, with the most telling of their pages' activities. */
    public record Here(String name, String activity) {
    }

    private final Database db;
    private final Transactions writes;
    private final Duration expiry;

    public Presence(Database db, Transactions writes, Duration expiry) {
        this.db = db;
        this.writes = writes;
        this.expiry = expiry;
    }

    /**
     * Records that this page of the viewer shows the ticket, doing {@code activity}. A ticket the viewer
     * may not see does not exist for them ({@link NotFoundException}).
     */
    public void here(Viewer viewer, long ticketId, String clientId, Activity activity) {
        writes.write(tx -> {
            long group = visibleGroup(tx, viewer, ticketId);
            String before = tx.select(TICKET_PRESENCE.ACTIVITY).from(TICKET_PRESENCE)
                    .where(key(viewer, ticketId, clientId)).and(fresh()).fetchOptional(TICKET_PRESENCE.ACTIVITY).orElse(null);
            tx.insertInto(TICKET_PRESENCE)
                    .set(TICKET_PRESENCE.TICKET_ID, ticketId).set(TICKET_PRESENCE.STAFF_ID, viewer.staffId())
                    .set(TICKET_PRESENCE.CLIENT_ID, clientId).set(TICKET_PRESENCE.ACTIVITY, activity.value())
                    .onConflict(TICKET_PRESENCE.TICKET_ID, TICKET_PRESENCE.STAFF_ID, TICKET_PRESENCE.CLIENT_ID)
                    .doUpdate().set(TICKET_PRESENCE.ACTIVITY, activity.value()).set(TICKET_PRESENCE.SEEN_AT, DSL.currentOffsetDateTime())
                    .execute();
            if (!activity.value().equals(before)) {
                notify(tx, ticketId, group);
            }
            return null;
        });
    }

    /** This page of the viewer left the ticket. */
    public void left(Viewer viewer, long ticketId, String clientId) {
        writes.write(tx -> {
            long group = visibleGroup(tx, viewer, ticketId);
            if (tx.deleteFrom(TICKET_PRESENCE).where(key(viewer, ticketId, clientId)).execute() > 0) {
                notify(tx, ticketId, group);
            }
            return null;
        });
    }

    /**
     * Who is on each of these tickets now, the viewer excepted, by ticket; only tickets the viewer may see.
     * A member of staff with several pages on a ticket is listed once, "replying" when any page is.
     */
    public Map<Long, List<Here>> on(Viewer viewer, Collection<Long> ticketIds) {
        Map<Long, List<Here>> result = new LinkedHashMap<>();
        if (ticketIds.isEmpty()) {
            return result;
        }
        // 'replying' > 'viewing': the greatest is the most telling
        var activity = DSL.max(TICKET_PRESENCE.ACTIVITY);
        db.read(dsl -> dsl.select(TICKET_PRESENCE.TICKET_ID, STAFF_USER.DISPLAY_NAME, activity)
                        .from(TICKET_PRESENCE)
                        .join(TICKET).on(TICKET.ID.eq(TICKET_PRESENCE.TICKET_ID))
                        .join(STAFF_USER).on(STAFF_USER.ID.eq(TICKET_PRESENCE.STAFF_ID))
                        .where(TICKET_PRESENCE.TICKET_ID.in(ticketIds)).and(viewer.sees()).and(fresh())
                        .and(TICKET_PRESENCE.STAFF_ID.ne(viewer.staffId()))
                        .groupBy(TICKET_PRESENCE.TICKET_ID, STAFF_USER.ID, STAFF_USER.DISPLAY_NAME)
                        .orderBy(TICKET_PRESENCE.TICKET_ID, STAFF_USER.DISPLAY_NAME)
                        .fetch()).value()
                .forEach(r -> result.computeIfAbsent(r.value1(), t -> new ArrayList<>()).add(new Here(r.value2(), r.value3())));
        return result;
    }

    /**
     * Deletes the rows that expired and announces each ticket they were on, so the pages that show
     * them learn it; any node may run it at any time (a row is deleted, and announced, once).
     * Returns how many rows went.
     */
    public int sweep() {
        return writes.write(tx -> {
            var gone = tx.deleteFrom(TICKET_PRESENCE).where(DSL.not(fresh())).returning(TICKET_PRESENCE.TICKET_ID).fetch();
            gone.stream().map(r -> r.get(TICKET_PRESENCE.TICKET_ID)).distinct().forEach(ticket ->
                    tx.select(TICKET.GROUP_ID).from(TICKET).where(TICKET.ID.eq(ticket)).fetchOptional(TICKET.GROUP_ID)
                            .ifPresent(group -> notify(tx, ticket, group)));
            return gone.size();
        });
    }

    private org.jooq.Condition fresh() {
        return TICKET_PRESENCE.SEEN_AT.gt(DSL.field("now() - {0}::interval", TICKET_PRESENCE.SEEN_AT.getType(),
                DSL.val(expiry.toMillis() + " milliseconds")));
    }

    private static org.jooq.Condition key(Viewer viewer, long ticketId, String clientId) {
        return TICKET_PRESENCE.TICKET_ID.eq(ticketId).and(TICKET_PRESENCE.STAFF_ID.eq(viewer.staffId()))
                .and(TICKET_PRESENCE.CLIENT_ID.eq(clientId));
    }

    private static long visibleGroup(DSLContext tx, Viewer viewer, long ticketId) {
        return tx.select(TICKET.GROUP_ID).from(TICKET).where(TICKET.ID.eq(ticketId)).and(viewer.sees())
                .fetchOptional(TICKET.GROUP_ID).orElseThrow(() -> new NotFoundException("no ticket " + ticketId));
    }

    private static void notify(DSLContext tx, long ticketId, long groupId) {
        tx.select(DSL.field("pg_notify({0}, {1})", String.class, DSL.val(DeskEvent.CHANNEL),
                DSL.val(DeskEvent.presencePayload(ticketId, groupId)))).fetch();
    }
}
