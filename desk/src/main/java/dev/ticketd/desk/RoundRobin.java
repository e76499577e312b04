package dev.ticketd.desk;

import org.jooq.DSLContext;
import org.jooq.Record2;
import org.jooq.Record3;
import org.jooq.impl.DSL;

import java.time.OffsetDateTime;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.GROUP_MEMBER;
import static dev.ticketd.db.generated.Tables.STAFF_GROUP;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.WEB_SESSION;

/**
 * Round-robin assignment of a new ticket, for groups that opted in ({@code staff_group.round_robin_cap}
 * set): the ticket goes to the group's member with full access who is online (a web session used
 * within the group's {@code round_robin_online_minutes}), owns fewer unresolved tickets than the cap, and
 * was given a ticket this way longest ago. When nobody qualifies the ticket stays unassigned.
 *
 * <p>Runs in the transaction that opens the ticket, so the assignment commits (and is audited) with
 * it or not at all. The chosen member's row is locked with {@code skip locked}: two tickets opened at
 * once by different mailbox leaders go to different agents instead of waiting for each other.
 * Pure apart from the transaction it is given; thread-safe.
 */
public final class RoundRobin {

    /** The actor named in the audit entry of an assignment. */
    public static final Actor ACTOR = Actor.system("round-robin");

    private final Audit audit;

    RoundRobin(Audit audit) {
        this.audit = audit;
    }

    /**
     * Assigns new ticket {@code ticketId} (no owner yet, in group {@code groupOfTicket}) when its group takes part.
     *
     * @return the owner's e-mail address, or empty when the group does not take part or nobody is free
     */
    Optional<String> assign(DSLContext tx, long ticketId, long groupOfTicket, OffsetDateTime now) {
        Record3<Long, Integer, Integer> group = tx.select(STAFF_GROUP.ID, STAFF_GROUP.ROUND_ROBIN_CAP, STAFF_GROUP.ROUND_ROBIN_ONLINE_MINUTES)
                .from(STAFF_GROUP)
                .where(STAFF_GROUP.ID.eq(groupOfTicket)).and(STAFF_GROUP.ROUND_ROBIN_CAP.isNotNull())
                .fetchOne();
        if (group == null) {
            return Optional.empty();
        }
        long groupId = group.value1();
        int cap = group.value2();
        OffsetDateTime onlineSince = now.minusMinutes(group.value3());
        var unresolvedOwned = DSL.selectCount().from(TICKET)
                .where(TICKET.OWNER_ID.eq(GROUP_MEMBER.USER_ID))
                .and(TICKET.STATUS.in(TicketStatus.OPEN.value(), TicketStatus.PENDING.value()));
        Record2<Long, String> chosen = tx.select(GROUP_MEMBER.USER_ID, STAFF_USER.EMAIL)
                .from(GROUP_MEMBER).join(STAFF_USER).on(STAFF_USER.ID.eq(GROUP_MEMBER.USER_ID))
                .where(GROUP_MEMBER.GROUP_ID.eq(groupId))
                .and(GROUP_MEMBER.ACCESS.eq("full"))
                .and(STAFF_USER.ACTIVE.isTrue())
                .and(DSL.exists(DSL.selectOne().from(WEB_SESSION)
                        .where(WEB_SESSION.USER_ID.eq(GROUP_MEMBER.USER_ID))
                        .and(WEB_SESSION.EXPIRES_AT.gt(now))
                        .and(WEB_SESSION.LAST_SEEN_AT.gt(onlineSince))))
                .and(DSL.field(unresolvedOwned).lt(cap))
                .orderBy(GROUP_MEMBER.LAST_ASSIGNED_AT.asc().nullsFirst(), GROUP_MEMBER.USER_ID)
                .limit(1)
                .forUpdate().of(GROUP_MEMBER).skipLocked()
                .fetchOne();
        if (chosen == null) {
            return Optional.empty();
        }
        tx.update(TICKET).set(TICKET.OWNER_ID, chosen.value1()).where(TICKET.ID.eq(ticketId)).and(TICKET.OWNER_ID.isNull()).execute();
        tx.update(GROUP_MEMBER).set(GROUP_MEMBER.LAST_ASSIGNED_AT, now)
                .where(GROUP_MEMBER.GROUP_ID.eq(groupId)).and(GROUP_MEMBER.USER_ID.eq(chosen.value1())).execute();
        audit.record(tx, ACTOR, ticketId, new AuditEvent.OwnerChanged(null, chosen.value2()));
        return Optional.of(chosen.value2());
    }
}
