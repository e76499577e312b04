package dev.ticketd.desk;

import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

import java.util.List;
import java.util.Objects;

import static dev.ticketd.db.generated.Tables.GROUP_MEMBER;
import static dev.ticketd.db.generated.Tables.TICKET;

/**
 * Whom a read or a change of tickets is for. An admin sees and changes every ticket; an agent sees
 * the tickets of the groups they are a member of and changes those of the groups where their access
 * is {@link GroupAccess#FULL}. The rule is a condition every ticket query adds to its {@code where},
 * so a ticket outside the agent's groups is never read, whatever page or route asks.
 *
 * @param staffId the member of staff's {@code staff_user.id}
 * @param email   their address, which the audit trail names
 * @param admin   whether their role is admin
 */
public record Viewer(long staffId, String email, boolean admin) {

    public Viewer {
        Objects.requireNonNull(email);
    }

    public Actor actor() {
        return Actor.staff(email);
    }

    /** The tickets ({@code TICKET}) this viewer may see. */
    public Condition sees() {
        return admin ? DSL.trueCondition() : TICKET.GROUP_ID.in(DSL.select(GROUP_MEMBER.GROUP_ID).from(GROUP_MEMBER)
                .where(GROUP_MEMBER.USER_ID.eq(staffId)));
    }

    /**
     * The same as {@link #sees()}, with the viewer's groups read now (one short query) and given as
     * their ids: the planner then knows how many they are and checks them before any dearer condition
     * (a search's probe of each ticket's messages), where the subquery leaves it guessing. For the
     * queries that walk many tickets: the list and its search.
     */
    public Condition sees(DSLContext dsl) {
        if (admin) {
            return DSL.trueCondition();
        }
        List<Long> groups = dsl.select(GROUP_MEMBER.GROUP_ID).from(GROUP_MEMBER).where(GROUP_MEMBER.USER_ID.eq(staffId))
                .fetch(GROUP_MEMBER.GROUP_ID);
        return groups.isEmpty() ? DSL.falseCondition() : TICKET.GROUP_ID.in(groups);
    }

    /** Whether this viewer may see a ticket of the group {@code groupId} (for a ticket table under another name). */
    public Condition seesGroup(Field<Long> groupId) {
        return admin ? DSL.trueCondition() : groupId.in(DSL.select(GROUP_MEMBER.GROUP_ID).from(GROUP_MEMBER)
                .where(GROUP_MEMBER.USER_ID.eq(staffId)));
    }

    /** The tickets ({@code TICKET}) this viewer may change. */
    public Condition mayChange() {
        return admin ? DSL.trueCondition() : TICKET.GROUP_ID.in(DSL.select(GROUP_MEMBER.GROUP_ID).from(GROUP_MEMBER)
                .where(GROUP_MEMBER.USER_ID.eq(staffId)).and(GROUP_MEMBER.ACCESS.eq(GroupAccess.FULL.value())));
    }
}
