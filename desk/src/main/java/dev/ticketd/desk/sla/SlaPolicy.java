package dev.ticketd.desk.sla;

import dev.ticketd.desk.Priority;

import java.time.Duration;

/**
 * The targets of one group's tickets of one priority ({@code sla_policy}, row {@code id}), with the
 * calendar they count in. A null target is no target: no clock of that kind runs.
 *
 * @param warnBefore    a ticket shows "due soon" this long (real time) before it is due
 * @param raisePriority an escalation raises the ticket's priority one step (never beyond urgent)
 * @param notifyGroup   an escalation is mailed to the ticket's group (in a digest, see {@code SlaNotices})
 */
public record SlaPolicy(long id, long groupId, Priority priority, BusinessCalendar calendar, Duration firstResponse, Duration nextResponse,
                        Duration resolution, Duration warnBefore, boolean raisePriority,
                        boolean notifyGroup) {

    /** The target of {@code kind}, or null when the policy sets none. */
    public Duration target(SlaKind kind) {
        return switch (kind) {
            case FIRST_RESPONSE -> firstResponse;
            case NEXT_RESPONSE -> nextResponse;
            case RESOLUTION -> resolution;
        };
    }
}
