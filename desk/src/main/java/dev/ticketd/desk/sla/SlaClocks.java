package dev.ticketd.desk.sla;

import dev.ticketd.desk.Actor;
import dev.ticketd.desk.Audit;
import dev.ticketd.desk.AuditEvent;
import dev.ticketd.desk.PendingKind;
import dev.ticketd.desk.Priority;
import dev.ticketd.desk.TicketStatus;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.Record2;
import org.jooq.Record3;
import org.jooq.impl.DSL;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.ticketd.db.generated.Tables.SLA_CALENDAR;
import static dev.ticketd.db.generated.Tables.SLA_CALENDAR_HOLIDAY;
import static dev.ticketd.db.generated.Tables.SLA_CALENDAR_HOURS;
import static dev.ticketd.db.generated.Tables.SLA_ESCALATION;
import static dev.ticketd.db.generated.Tables.SLA_POLICY;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_SLA_CLOCK;

/**
 * A ticket's SLA clocks ({@code ticket_sla_clock}) and the due time its row carries
 * ({@code ticket.sla_due_at}, {@code sla_due_kind}, {@code sla_warn_at}), kept in the transaction
 * of the change that moves them: {@link dev.ticketd.desk.Tickets} calls these methods when a ticket
 * opens, a customer writes, staff reply, the status, priority or group changes. The caller holds the
 * ticket's row lock, so a ticket's clocks are changed by one transaction at a time.
 *
 * <p>A clock counts business time in the calendar of the policy of the ticket's group and priority.
 * Running, it has {@code running_since} and {@code due_at = calendar.plus(running_since, target - used)};
 * paused (the ticket waits for the customer) it keeps only the business time it used. Each clock
 * counts by the policy it started under ({@code policy_id}); a changed priority or group moves the
 * clocks to the new policy's targets ({@link #retarget}); raising the priority by an escalation does
 * not (it would escalate again at once, or leave the clocks without a policy); an edited policy moves
 * the due times of every clock counting by it in the edit's transaction ({@link #policyEdited}).
 *
 * <p>A ticket without a policy and without clocks costs two primary-key reads per change and writes
 * nothing (mail intake pays that per mail).
 *
 * <p>Stateless apart from the audit writer; thread-safe. Every method uses only the {@link DSLContext} passed in.
 */
public final class SlaClocks {

    /** The actor of escalations in the audit log. */
    public static final Actor ESCALATIONS = Actor.system("sla-escalations");
    /** Holidays this far back and ahead of now are read with a calendar (a target never spans more). */
    private static final int HOLIDAY_YEARS = 3;

    private final Audit audit;

    public SlaClocks(Audit audit) {
        this.audit = audit;
    }

    /** A ticket just opened: its first-response and resolution clocks start. */
    public void opened(DSLContext tx, long ticketId, Instant now) {
        opened(tx, ticketId, policy(tx, ticketId), now);
    }

    /** {@link #opened(DSLContext, long, Instant)} for a ticket whose group and priority the caller has at hand. */
    public void opened(DSLContext tx, long ticketId, long groupId, Priority priority, Instant now) {
        opened(tx, ticketId, policy(tx, groupId, priority), now);
    }

    private void opened(DSLContext tx, long ticketId, Optional<SlaPolicy> policy, Instant now) {
        if (policy.isEmpty()) {
            return; // a new ticket has no clocks to clear
        }
        start(tx, ticketId, policy, EnumSet.of(SlaKind.FIRST_RESPONSE, SlaKind.RESOLUTION), now);
        refresh(tx, ticketId);
    }

    /**
     * A customer's message joined the ticket, which had {@code from} before it: a paused ticket's clocks
     * run again, a resolved or closed one's resolution clock starts afresh, and unless the first
     * response is still owed, the next-response clock starts (if it is not running already).
     */
    public void customerWrote(DSLContext tx, long ticketId, TicketStatus from, Instant now) {
        Optional<SlaPolicy> policy = policy(tx, ticketId);
        if (policy.isEmpty() && !hasClocks(tx, ticketId)) {
            return;
        }
        if (from == TicketStatus.RESOLVED || from == TicketStatus.CLOSED) {
            start(tx, ticketId, policy, EnumSet.of(SlaKind.RESOLUTION), now);
        } else if (from == TicketStatus.PENDING) {
            resume(tx, ticketId, now);
        }
        boolean firstOwed = tx.fetchExists(TICKET_SLA_CLOCK, TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId)
                .and(TICKET_SLA_CLOCK.KIND.eq(SlaKind.FIRST_RESPONSE.value())));
        if (!firstOwed) {
            start(tx, ticketId, policy, EnumSet.of(SlaKind.NEXT_RESPONSE), now);
        }
        refresh(tx, ticketId);
    }

    /** Staff replied to the customer: the response clocks stop (met or missed, they are answered). */
    public void staffReplied(DSLContext tx, long ticketId) {
        int stopped = tx.deleteFrom(TICKET_SLA_CLOCK).where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId))
                .and(TICKET_SLA_CLOCK.KIND.in(SlaKind.FIRST_RESPONSE.value(), SlaKind.NEXT_RESPONSE.value())).execute();
        if (stopped > 0) {
            refresh(tx, ticketId);
        }
    }

    /**
     * The status changed from {@code from} to {@code to} ({@code pendingKind}: whom a pending ticket waits
     * for). Waiting for the customer pauses every clock; waiting for us, or open, runs them; resolved or
     * closed stops them; open after resolved or closed starts the resolution clock afresh.
     */
    public void statusChanged(DSLContext tx, long ticketId, TicketStatus from, TicketStatus to, PendingKind pendingKind, Instant now) {
        Optional<SlaPolicy> policy = policy(tx, ticketId);
        if (policy.isEmpty() && !hasClocks(tx, ticketId)) {
            return;
        }
        switch (to) {
            case PENDING -> {
                if (pendingKind == PendingKind.CUSTOMER) {
                    pause(tx, ticketId, now);
                } else {
                    resume(tx, ticketId, now);
                }
            }
            case OPEN -> {
                if (from == TicketStatus.RESOLVED || from == TicketStatus.CLOSED) {
                    start(tx, ticketId, policy, EnumSet.of(SlaKind.RESOLUTION), now);
                }
                resume(tx, ticketId, now);
            }
            case RESOLVED, CLOSED -> tx.deleteFrom(TICKET_SLA_CLOCK).where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId)).execute();
        }
        refresh(tx, ticketId);
    }

    /** The priority or group changed: running clocks take the new policy's targets (no policy: they stop). */
    public void retarget(DSLContext tx, long ticketId) {
        Optional<SlaPolicy> policy = policy(tx, ticketId);
        for (Record c : tx.selectFrom(TICKET_SLA_CLOCK).where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId)).fetch()) {
            SlaKind kind = SlaKind.stored(c.get(TICKET_SLA_CLOCK.KIND));
            Duration target = policy.map(p -> p.target(kind)).orElse(null);
            if (target == null) {
                delete(tx, ticketId, kind);
                continue;
            }
            OffsetDateTime since = c.get(TICKET_SLA_CLOCK.RUNNING_SINCE);
            tx.update(TICKET_SLA_CLOCK)
                    .set(TICKET_SLA_CLOCK.POLICY_ID, policy.get().id())
                    .set(TICKET_SLA_CLOCK.DUE_AT, since == null ? null
                            : utc(due(policy.get(), kind, since.toInstant(), c.get(TICKET_SLA_CLOCK.USED_SECONDS))))
                    .where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId)).and(TICKET_SLA_CLOCK.KIND.eq(kind.value()))
                    .execute();
        }
        refresh(tx, ticketId);
    }

    /** Clocks read per step of {@link #policyEdited}: its memory is bounded whatever the number of tickets. */
    static final int EDIT_BATCH = 500;

    /**
     * Policy {@code policyId} was edited (targets, calendar or "due soon"): every clock counting by it
     * takes the edited policy now, in the caller's transaction (the edit's). A running clock's due time
     * is computed afresh from when it started running and the business time it used before; a clock
     * whose target the edit removed stops; a paused clock keeps what it used and counts by the edited
     * targets when it resumes. A target the edit added starts no clock on tickets already open (their
     * clocks start at their next start: a customer's mail, a reopening). A clock whose missed due time
     * was escalated and that is still overdue under the edit is not escalated again (the same miss);
     * one that the edit moves into the future can be missed, and escalated, anew.
     *
     * <p>Bounded: the clocks are read {@value #EDIT_BATCH} tickets at a time in ticket order, each
     * batch's tickets locked in id order (as a ticket's change locks its row) before their clocks are
     * written, so memory stays small; the transaction writes at most the clocks of the policy (up to
     * three per open ticket of its group and priority) and the due times of those tickets whose earliest
     * due time or "due soon" time changed. Tickets without a running or paused clock under the policy
     * are not touched.
     *
     * @return how many clocks changed (moved or stopped)
     */
    public static int policyEdited(DSLContext tx, long policyId, Instant now) {
        return policyEdited(tx, policyId, now, EDIT_BATCH);
    }

    /** As {@link #policyEdited(DSLContext, long, Instant)}, {@code batchSize} tickets at a time (tests take small ones). */
    static int policyEdited(DSLContext tx, long policyId, Instant now, int batchSize) {
        Record p = tx.selectFrom(SLA_POLICY).where(SLA_POLICY.ID.eq(policyId)).fetchOne();
        if (p == null) {
            return 0;
        }
        SlaPolicy policy = load(tx, p);
        int changed = 0;
        long after = Long.MIN_VALUE;
        while (true) {
            java.util.List<Long> batch = tx.selectDistinct(TICKET_SLA_CLOCK.TICKET_ID).from(TICKET_SLA_CLOCK)
                    .where(TICKET_SLA_CLOCK.POLICY_ID.eq(policyId)).and(TICKET_SLA_CLOCK.TICKET_ID.gt(after))
                    .orderBy(TICKET_SLA_CLOCK.TICKET_ID).limit(batchSize).fetch(TICKET_SLA_CLOCK.TICKET_ID);
            if (batch.isEmpty()) {
                return changed;
            }
            tx.select(TICKET.ID).from(TICKET).where(TICKET.ID.in(batch)).orderBy(TICKET.ID).forUpdate().fetch();
            for (long ticketId : batch) {
                changed += retargetTo(tx, ticketId, policy, now);
                refresh(tx, ticketId, true);
            }
            after = batch.get(batch.size() - 1);
        }
    }

    /** The clocks of {@code ticketId} that count by {@code policy}, moved to its current targets; returns how many changed. */
    private static int retargetTo(DSLContext tx, long ticketId, SlaPolicy policy, Instant now) {
        int changed = 0;
        for (Record c : tx.selectFrom(TICKET_SLA_CLOCK).where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId))
                .and(TICKET_SLA_CLOCK.POLICY_ID.eq(policy.id())).fetch()) {
            SlaKind kind = SlaKind.stored(c.get(TICKET_SLA_CLOCK.KIND));
            if (policy.target(kind) == null) {
                delete(tx, ticketId, kind);
                changed++;
                continue;
            }
            OffsetDateTime since = c.get(TICKET_SLA_CLOCK.RUNNING_SINCE);
            if (since == null) {
                continue; // paused: its due time is computed when it resumes, by the policy as it is then
            }
            OffsetDateTime was = c.get(TICKET_SLA_CLOCK.DUE_AT);
            OffsetDateTime due = utc(due(policy, kind, since.toInstant(), c.get(TICKET_SLA_CLOCK.USED_SECONDS)));
            if (due.toInstant().equals(was.toInstant())) {
                continue;
            }
            OffsetDateTime escalated = c.get(TICKET_SLA_CLOCK.ESCALATED_DUE_AT);
            boolean sameMiss = escalated != null && escalated.toInstant().equals(was.toInstant()) && !due.toInstant().isAfter(now);
            tx.update(TICKET_SLA_CLOCK)
                    .set(TICKET_SLA_CLOCK.DUE_AT, due)
                    .set(TICKET_SLA_CLOCK.ESCALATED_DUE_AT, sameMiss ? due : escalated)
                    .where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId)).and(TICKET_SLA_CLOCK.KIND.eq(kind.value()))
                    .execute();
            changed++;
        }
        return changed;
    }

    /** Starts each of {@code kinds} the policy sets a target for and that is not there already. */
    private static void start(DSLContext tx, long ticketId, Optional<SlaPolicy> policy, Set<SlaKind> kinds, Instant now) {
        if (policy.isPresent()) {
            for (SlaKind kind : kinds) {
                if (policy.get().target(kind) != null) {
                    OffsetDateTime at = utc(now);
                    tx.insertInto(TICKET_SLA_CLOCK)
                            .set(TICKET_SLA_CLOCK.TICKET_ID, ticketId)
                            .set(TICKET_SLA_CLOCK.KIND, kind.value())
                            .set(TICKET_SLA_CLOCK.POLICY_ID, policy.get().id())
                            .set(TICKET_SLA_CLOCK.STARTED_AT, at)
                            .set(TICKET_SLA_CLOCK.USED_SECONDS, 0L)
                            .set(TICKET_SLA_CLOCK.RUNNING_SINCE, at)
                            .set(TICKET_SLA_CLOCK.DUE_AT, utc(due(policy.get(), kind, now, 0L)))
                            .onConflictDoNothing()
                            .execute();
                }
            }
        }
    }

    /** Every running clock keeps the business time it used and stops running. */
    private static void pause(DSLContext tx, long ticketId, Instant now) {
        Map<Long, Optional<SlaPolicy>> loaded = new HashMap<>();
        for (Record c : tx.selectFrom(TICKET_SLA_CLOCK).where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId))
                .and(TICKET_SLA_CLOCK.RUNNING_SINCE.isNotNull()).fetch()) {
            BusinessCalendar calendar = policyOf(tx, c, loaded).map(SlaPolicy::calendar).orElse(BusinessCalendar.always());
            long used = c.get(TICKET_SLA_CLOCK.USED_SECONDS) + calendar.between(c.get(TICKET_SLA_CLOCK.RUNNING_SINCE).toInstant(), now).toSeconds();
            tx.update(TICKET_SLA_CLOCK)
                    .set(TICKET_SLA_CLOCK.USED_SECONDS, used)
                    .set(TICKET_SLA_CLOCK.RUNNING_SINCE, (OffsetDateTime) null)
                    .set(TICKET_SLA_CLOCK.DUE_AT, (OffsetDateTime) null)
                    .where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId)).and(TICKET_SLA_CLOCK.KIND.eq(c.get(TICKET_SLA_CLOCK.KIND)))
                    .execute();
        }
    }

    /** Every paused clock runs again from {@code now} with what it has left (none left: due now). */
    private static void resume(DSLContext tx, long ticketId, Instant now) {
        Map<Long, Optional<SlaPolicy>> loaded = new HashMap<>();
        for (Record c : tx.selectFrom(TICKET_SLA_CLOCK).where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId))
                .and(TICKET_SLA_CLOCK.RUNNING_SINCE.isNull()).fetch()) {
            SlaKind kind = SlaKind.stored(c.get(TICKET_SLA_CLOCK.KIND));
            Optional<SlaPolicy> policy = policyOf(tx, c, loaded);
            if (policy.isEmpty() || policy.get().target(kind) == null) {
                delete(tx, ticketId, kind);
                continue;
            }
            OffsetDateTime due = utc(due(policy.get(), kind, now, c.get(TICKET_SLA_CLOCK.USED_SECONDS)));
            // a target missed and escalated before the pause is the same miss after it: not escalated again
            boolean missedBefore = c.get(TICKET_SLA_CLOCK.ESCALATED_DUE_AT) != null
                    && c.get(TICKET_SLA_CLOCK.USED_SECONDS) >= policy.get().target(kind).toSeconds();
            tx.update(TICKET_SLA_CLOCK)
                    .set(TICKET_SLA_CLOCK.RUNNING_SINCE, utc(now))
                    .set(TICKET_SLA_CLOCK.DUE_AT, due)
                    .set(TICKET_SLA_CLOCK.ESCALATED_DUE_AT, missedBefore ? due : c.get(TICKET_SLA_CLOCK.ESCALATED_DUE_AT))
                    .where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId)).and(TICKET_SLA_CLOCK.KIND.eq(kind.value()))
                    .execute();
        }
    }

    private static boolean hasClocks(DSLContext tx, long ticketId) {
        return tx.fetchExists(TICKET_SLA_CLOCK, TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId));
    }

    private static Instant due(SlaPolicy policy, SlaKind kind, Instant runningSince, long usedSeconds) {
        Duration left = policy.target(kind).minusSeconds(usedSeconds);
        return policy.calendar().plus(runningSince, left.isNegative() ? Duration.ZERO : left);
    }

    /** The policy a clock counts by, loaded once per change ({@code loaded}); empty once it was removed. */
    private static Optional<SlaPolicy> policyOf(DSLContext tx, Record clock, Map<Long, Optional<SlaPolicy>> loaded) {
        Long id = clock.get(TICKET_SLA_CLOCK.POLICY_ID);
        return id == null ? Optional.empty() : loaded.computeIfAbsent(id, k ->
                Optional.ofNullable(tx.selectFrom(SLA_POLICY).where(SLA_POLICY.ID.eq(k)).fetchOne()).map(p -> load(tx, p)));
    }

    private static void delete(DSLContext tx, long ticketId, SlaKind kind) {
        tx.deleteFrom(TICKET_SLA_CLOCK).where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId)).and(TICKET_SLA_CLOCK.KIND.eq(kind.value())).execute();
    }

    /** Writes the earliest due time of the running clocks onto the ticket's row, with its kind and "due soon" time. */
    private static void refresh(DSLContext tx, long ticketId) {
        refresh(tx, ticketId, false);
    }

    /** @param onlyIfChanged leave the ticket's row alone when it shows these already (no write, no change event) */
    private static void refresh(DSLContext tx, long ticketId, boolean onlyIfChanged) {
        Record first = tx.selectFrom(TICKET_SLA_CLOCK)
                .where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId)).and(TICKET_SLA_CLOCK.DUE_AT.isNotNull())
                .orderBy(TICKET_SLA_CLOCK.DUE_AT, TICKET_SLA_CLOCK.KIND).limit(1).fetchOne();
        OffsetDateTime due = first == null ? null : first.get(TICKET_SLA_CLOCK.DUE_AT);
        OffsetDateTime warn = null;
        if (due != null) {
            Duration before = policyOf(tx, first, new HashMap<>()).map(SlaPolicy::warnBefore).orElse(Duration.ZERO);
            warn = due.minus(before);
        }
        String kind = first == null ? null : first.get(TICKET_SLA_CLOCK.KIND);
        tx.update(TICKET)
                .set(TICKET.SLA_DUE_AT, due)
                .set(TICKET.SLA_DUE_KIND, kind)
                .set(TICKET.SLA_WARN_AT, warn)
                .where(TICKET.ID.eq(ticketId))
                .and(onlyIfChanged ? TICKET.SLA_DUE_AT.isDistinctFrom(due).or(TICKET.SLA_DUE_KIND.isDistinctFrom(kind))
                        .or(TICKET.SLA_WARN_AT.isDistinctFrom(warn)) : DSL.trueCondition())
                .execute();
    }

    /**
     * An escalation just written: its ticket, target, due time, the priority it raised the ticket to (null: none), and
     * whether it waits to be mailed to the ticket's group.
     */
    public record Escalation(long ticketId, SlaKind kind, Instant dueAt, Priority raisedTo, boolean notifyGroup) {
    }

    /**
     * Escalates the ticket's {@code kind} clock when it is due by {@code now} and its due time was not
     * escalated yet: records the escalation (unique per ticket, kind and due time, so a second runner's
     * insert does nothing), audits it, raises the priority one step when the policy says so, and
     * marks it for the group's digest mail ({@code sla_escalation.notify_group_id}) when the policy asks for that. The
     * escalation duty's write: the caller checked its epoch in this transaction. The ticket is locked
     * and its clock read again under the lock, so a clock answered or paused meanwhile is left alone.
     *
     * @param epoch the duty's epoch, recorded with the escalation
     * @param node  the node that runs the duty, recorded with it
     * @return the escalation, or empty when there was nothing (any more) to escalate
     */
    public Optional<Escalation> escalateWhenDue(DSLContext tx, long ticketId, SlaKind kind, Instant now, long epoch, String node) {
        Record3<String, String, Long> ticket = tx.select(TICKET.STATUS, TICKET.PRIORITY, TICKET.GROUP_ID).from(TICKET)
                .where(TICKET.ID.eq(ticketId)).forUpdate().fetchOne();
        Record clock = tx.selectFrom(TICKET_SLA_CLOCK).where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId))
                .and(TICKET_SLA_CLOCK.KIND.eq(kind.value())).fetchOne();
        if (ticket == null || clock == null || clock.get(TICKET_SLA_CLOCK.DUE_AT) == null) {
            return Optional.empty();
        }
        OffsetDateTime due = clock.get(TICKET_SLA_CLOCK.DUE_AT);
        if (due.toInstant().isAfter(now) || due.equals(clock.get(TICKET_SLA_CLOCK.ESCALATED_DUE_AT))) {
            return Optional.empty();
        }
        tx.update(TICKET_SLA_CLOCK).set(TICKET_SLA_CLOCK.ESCALATED_DUE_AT, due)
                .where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticketId)).and(TICKET_SLA_CLOCK.KIND.eq(kind.value())).execute();
        Long id = tx.insertInto(SLA_ESCALATION)
                .set(SLA_ESCALATION.TICKET_ID, ticketId)
                .set(SLA_ESCALATION.KIND, kind.value())
                .set(SLA_ESCALATION.DUE_AT, due)
                .set(SLA_ESCALATION.EPOCH, epoch)
                .set(SLA_ESCALATION.NODE, node)
                .onConflictDoNothing()
                .returning(SLA_ESCALATION.ID)
                .fetchOne(SLA_ESCALATION.ID);
        if (id == null) {
            return Optional.empty(); // escalated before (the clock's mark was lost with an old node's write): never twice
        }
        Optional<SlaPolicy> policy = policyOf(tx, clock, new HashMap<>());
        boolean notify = policy.map(SlaPolicy::notifyGroup).orElse(false);
        if (notify) {
            // the digest (SlaNotices) mails it later, in the transaction that marks it notified: once
            tx.update(SLA_ESCALATION).set(SLA_ESCALATION.NOTIFY_GROUP_ID, ticket.value3()).where(SLA_ESCALATION.ID.eq(id)).execute();
        }
        Priority from = Priority.stored(ticket.value2());
        Priority raised = null;
        if (policy.map(SlaPolicy::raisePriority).orElse(false) && from != Priority.URGENT
                && TicketStatus.stored(ticket.value1()) != TicketStatus.CLOSED) {
            raised = Priority.values()[from.ordinal() + 1];
            tx.update(TICKET).set(TICKET.PRIORITY, raised.value()).set(TICKET.UPDATED_AT, DSL.currentOffsetDateTime())
                    .where(TICKET.ID.eq(ticketId)).execute();
            tx.update(SLA_ESCALATION).set(SLA_ESCALATION.RAISED_TO, raised.value()).where(SLA_ESCALATION.ID.eq(id)).execute();
            audit.record(tx, ESCALATIONS, ticketId, new AuditEvent.PriorityChanged(from, raised));
        }
        audit.record(tx, ESCALATIONS, ticketId, new AuditEvent.SlaEscalated(kind.value(), due.toInstant().toString(),
                raised == null ? null : raised.value(), epoch, notify ? Boolean.TRUE : null));
        return Optional.of(new Escalation(ticketId, kind, due.toInstant(), raised, notify));
    }

    /** The policy of the ticket's group and priority, with its calendar; empty when there is none. */
    public Optional<SlaPolicy> policy(DSLContext tx, long ticketId) {
        Record2<Long, String> t = tx.select(TICKET.GROUP_ID, TICKET.PRIORITY).from(TICKET).where(TICKET.ID.eq(ticketId)).fetchOne();
        return t == null ? Optional.empty() : policy(tx, t.value1(), Priority.stored(t.value2()));
    }

    /** The policy of {@code groupId}'s tickets of {@code priority}, with its calendar; empty when there is none. */
    public static Optional<SlaPolicy> policy(DSLContext tx, long groupId, Priority priority) {
        return Optional.ofNullable(tx.selectFrom(SLA_POLICY).where(SLA_POLICY.GROUP_ID.eq(groupId))
                .and(SLA_POLICY.PRIORITY.eq(priority.value())).fetchOne()).map(p -> load(tx, p));
    }

    private static SlaPolicy load(DSLContext tx, Record p) {
        Long calendarId = p.get(SLA_POLICY.CALENDAR_ID);
        return new SlaPolicy(p.get(SLA_POLICY.ID), p.get(SLA_POLICY.GROUP_ID), Priority.stored(p.get(SLA_POLICY.PRIORITY)),
                calendarId == null ? BusinessCalendar.always() : calendar(tx, calendarId),
                seconds(p.get(SLA_POLICY.FIRST_RESPONSE_SECONDS)), seconds(p.get(SLA_POLICY.NEXT_RESPONSE_SECONDS)),
                seconds(p.get(SLA_POLICY.RESOLUTION_SECONDS)), Duration.ofSeconds(p.get(SLA_POLICY.WARN_BEFORE_SECONDS)),
                p.get(SLA_POLICY.RAISE_PRIORITY), p.get(SLA_POLICY.NOTIFY_GROUP));
    }

    /** A stored calendar with its hours and the holidays within {@value #HOLIDAY_YEARS} years of today. */
    public static BusinessCalendar calendar(DSLContext tx, long calendarId) {
        ZoneId zone = ZoneId.of(tx.select(SLA_CALENDAR.TIME_ZONE).from(SLA_CALENDAR).where(SLA_CALENDAR.ID.eq(calendarId))
                .fetchSingle(SLA_CALENDAR.TIME_ZONE));
        Map<DayOfWeek, BusinessCalendar.Hours> week = new EnumMap<>(DayOfWeek.class);
        tx.selectFrom(SLA_CALENDAR_HOURS).where(SLA_CALENDAR_HOURS.CALENDAR_ID.eq(calendarId)).forEach(h -> week.put(
                DayOfWeek.of(h.getIsoDay()), new BusinessCalendar.Hours(h.getOpensMinute(), h.getClosesMinute())));
        LocalDate today = LocalDate.now(zone);
        Set<LocalDate> holidays = new HashSet<>(tx.select(SLA_CALENDAR_HOLIDAY.DAY).from(SLA_CALENDAR_HOLIDAY)
                .where(SLA_CALENDAR_HOLIDAY.CALENDAR_ID.eq(calendarId))
                .and(SLA_CALENDAR_HOLIDAY.DAY.between(today.minusYears(HOLIDAY_YEARS), today.plusYears(HOLIDAY_YEARS)))
                .fetch(SLA_CALENDAR_HOLIDAY.DAY));
        return BusinessCalendar.of(zone, week, holidays);
    }

    private static Duration seconds(Long s) {
        return s == null ? null : Duration.ofSeconds(s);
    }

    private static OffsetDateTime utc(Instant t) {
        return t.atOffset(ZoneOffset.UTC);
    }
}
