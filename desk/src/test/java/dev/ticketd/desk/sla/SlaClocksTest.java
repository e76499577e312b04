package dev.ticketd.desk.sla;

import dev.ticketd.db.Database;
import dev.ticketd.desk.Actor;
import dev.ticketd.desk.DeskRows;
import dev.ticketd.desk.IncomingMail;
import dev.ticketd.desk.PendingKind;
import dev.ticketd.desk.Priority;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.desk.TicketMerges;
import dev.ticketd.desk.Tickets;
import dev.ticketd.desk.Viewer;
import org.jooq.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.SLA_ESCALATION;
import static dev.ticketd.db.generated.Tables.SLA_POLICY;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_SLA_CLOCK;
import static org.assertj.core.api.Assertions.assertThat;

/** The clocks move in the transactions of the ticket's own changes, against a real PostgreSQL. */
class SlaClocksTest {

    private static final Actor BOB = Actor.staff("bob@example.test");
    private final Tickets tickets = new Tickets();
    private Database db;
    private long uid;

    @BeforeEach
    void setUp() {
        db = DeskRows.databaseWithSupportMailbox();
        long group = db.dsl().select(MAILBOX.GROUP_ID).from(MAILBOX).fetchSingle(MAILBOX.GROUP_ID);
        // around the clock: 1 h to the first response, 2 h to the next, 8 h to resolve; due soon 15 min ahead
        db.dsl().insertInto(SLA_POLICY).set(SLA_POLICY.GROUP_ID, group).set(SLA_POLICY.PRIORITY, "normal")
                .set(SLA_POLICY.FIRST_RESPONSE_SECONDS, 3600L).set(SLA_POLICY.NEXT_RESPONSE_SECONDS, 7200L)
                .set(SLA_POLICY.RESOLUTION_SECONDS, 8 * 3600L).set(SLA_POLICY.WARN_BEFORE_SECONDS, 900L)
                .set(SLA_POLICY.RAISE_PRIORITY, true).execute();
        db.dsl().insertInto(SLA_POLICY).set(SLA_POLICY.GROUP_ID, group).set(SLA_POLICY.PRIORITY, "urgent")
                .set(SLA_POLICY.FIRST_RESPONSE_SECONDS, 600L).execute();
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void aNewTicketIsDueForItsFirstResponseAndItsRowCarriesTheEarliestDueTime() {
        long id = open();
        Record t = ticket(id);
        assertThat(Duration.between(t.get(TICKET.CREATED_AT), t.get(TICKET.SLA_DUE_AT))).isEqualTo(Duration.ofHours(1));
        assertThat(t.get(TICKET.SLA_DUE_KIND)).isEqualTo("first_response");
        assertThat(Duration.between(t.get(TICKET.SLA_WARN_AT), t.get(TICKET.SLA_DUE_AT))).isEqualTo(Duration.ofMinutes(15));
        assertThat(clockKinds(id)).containsExactlyInAnyOrder("first_response", "resolution");
    }

    @Test
    void aMergeStopsTheMergedTicketsClocksAndAnAnswerItsCustomerWasOwedIsOwedOnTheOpenTarget() {
        long answered = open();
        db.transactions().write(tx -> tickets.addReply(tx, answered, staff(), "On it.", "k-merge", List.of()));
        long waiting = open();
        TicketMerges merges = new TicketMerges(tickets);
        Viewer lead = new Viewer(1, "lead@example.test", true);
        assertThat(clockKinds(answered)).containsExactly("resolution");

        db.transactions().write(tx -> merges.merge(tx, waiting, answered, lead));

        assertThat(clockKinds(waiting)).as("closed by the merge").isEmpty();
        assertThat(ticket(waiting).get(TICKET.SLA_DUE_AT)).isNull();
        assertThat(clockKinds(answered)).containsExactlyInAnyOrder("resolution", "next_response");
        assertThat(ticket(answered).get(TICKET.SLA_DUE_KIND)).isEqualTo("next_response");

        db.transactions().write(tx -> merges.undo(tx, waiting, lead));

        assertThat(clockKinds(waiting)).as("open again: resolution counts afresh").containsExactly("resolution");
    }

    @Test
    void aStaffReplyStopsTheResponseClockAndACustomersNextMailStartsTheNextResponseClock() {
        long id = open();
        db.transactions().write(tx -> tickets.addReply(tx, id, staff(), "Unplug it.", "k1", List.of()));
        assertThat(clockKinds(id)).containsExactly("resolution");
        assertThat(ticket(id).get(TICKET.SLA_DUE_KIND)).isEqualTo("resolution");

        db.transactions().write(tx -> tickets.addMail(tx, "support", id, TicketStatus.OPEN, inbound(), mail("Still smoking"), "token"));
        assertThat(clockKinds(id)).containsExactlyInAnyOrder("next_response", "resolution");
        Record next = clock(id, SlaKind.NEXT_RESPONSE);
        assertThat(Duration.between(next.get(TICKET_SLA_CLOCK.RUNNING_SINCE), next.get(TICKET_SLA_CLOCK.DUE_AT))).isEqualTo(Duration.ofHours(2));
    }

    @Test
    void waitingForTheCustomerPausesEveryClockAndTheirAnswerRunsThemAgainWithWhatWasLeft() {
        long id = open();
        db.transactions().write(tx -> tickets.setPending(tx, id, BOB, Instant.now().plus(Duration.ofDays(3)), PendingKind.CUSTOMER));
        assertThat(ticket(id).get(TICKET.SLA_DUE_AT)).as("a paused ticket is due at no time").isNull();
        assertThat(clock(id, SlaKind.FIRST_RESPONSE).get(TICKET_SLA_CLOCK.RUNNING_SINCE)).isNull();

        db.transactions().write(tx -> tickets.addMail(tx, "support", id, TicketStatus.PENDING, inbound(), mail("Here it is"), "token"));
        Record first = clock(id, SlaKind.FIRST_RESPONSE);
        long used = first.get(TICKET_SLA_CLOCK.USED_SECONDS);
        assertThat(Duration.between(first.get(TICKET_SLA_CLOCK.RUNNING_SINCE), first.get(TICKET_SLA_CLOCK.DUE_AT)))
                .isEqualTo(Duration.ofHours(1).minusSeconds(used));
        assertThat(ticket(id).get(TICKET.STATUS)).isEqualTo("open");
    }

    @Test
    void waitingForUsKeepsTheClocksRunningAndResolvingStopsThem() {
        long id = open();
        db.transactions().write(tx -> tickets.setPending(tx, id, BOB, Instant.now().plus(Duration.ofDays(1)), PendingKind.INTERNAL));
        assertThat(ticket(id).get(TICKET.SLA_DUE_AT)).isNotNull();
        db.transactions().write(tx -> tickets.setStatus(tx, id, BOB, TicketStatus.RESOLVED));
        assertThat(clockKinds(id)).isEmpty();
        assertThat(ticket(id).get(TICKET.SLA_DUE_AT)).isNull();
        db.transactions().write(tx -> tickets.setStatus(tx, id, BOB, TicketStatus.OPEN));
        assertThat(clockKinds(id)).as("reopened: the resolution clock starts afresh").containsExactly("resolution");
    }

    @Test
    void raisingThePriorityRetargetsRunningClocksToThatPriorityPolicy() {
        long id = open();
        db.transactions().write(tx -> tickets.setPriority(tx, id, BOB, Priority.URGENT));
        Record t = ticket(id);
        assertThat(Duration.between(t.get(TICKET.CREATED_AT), t.get(TICKET.SLA_DUE_AT))).isEqualTo(Duration.ofMinutes(10));
        assertThat(clockKinds(id)).as("the urgent policy sets no resolution target").containsExactly("first_response");
    }

    @Test
    void aDueClockIsEscalatedOncePerDueTimeRaisingThePriorityOneStep() {
        long id = open();
        Instant later = Instant.now().plus(2, ChronoUnit.HOURS);
        Optional<SlaClocks.Escalation> first = db.transactions().write(tx ->
                tickets.sla().escalateWhenDue(tx, id, SlaKind.FIRST_RESPONSE, later, 7, "node-1"));
        Optional<SlaClocks.Escalation> again = db.transactions().write(tx ->
                tickets.sla().escalateWhenDue(tx, id, SlaKind.FIRST_RESPONSE, later, 8, "node-2"));
        Optional<SlaClocks.Escalation> notDue = db.transactions().write(tx ->
                tickets.sla().escalateWhenDue(tx, id, SlaKind.RESOLUTION, later, 7, "node-1"));

        assertThat(first).hasValueSatisfying(e -> assertThat(e.raisedTo()).isEqualTo(Priority.HIGH));
        assertThat(again).isEmpty();
        assertThat(notDue).as("resolution is due in 8 h").isEmpty();
        assertThat(ticket(id).get(TICKET.PRIORITY)).isEqualTo("high");
        assertThat(db.dsl().select(SLA_ESCALATION.EPOCH, SLA_ESCALATION.NODE, SLA_ESCALATION.RAISED_TO).from(SLA_ESCALATION)
                .fetch(r -> r.value1() + " " + r.value2() + " " + r.value3())).containsExactly("7 node-1 high");
        assertThat(db.dsl().select(AUDIT_LOG.ACTION).from(AUDIT_LOG).where(AUDIT_LOG.TICKET_ID.eq(id))
                .and(AUDIT_LOG.ACTOR.eq("system:sla-escalations")).fetch(AUDIT_LOG.ACTION))
                .containsExactly("ticket.priority_changed", "ticket.sla_escalated");
    }

    @Test
    void aTargetMissedAndEscalatedBeforeAPauseIsNotEscalatedAgainWhenTheCustomerAnswers() {
        long id = open();
        db.dsl().update(TICKET_SLA_CLOCK).set(TICKET_SLA_CLOCK.RUNNING_SINCE, TICKET_SLA_CLOCK.RUNNING_SINCE.minus(2))
                .set(TICKET_SLA_CLOCK.DUE_AT, TICKET_SLA_CLOCK.DUE_AT.minus(2)).execute(); // opened two days ago
        Instant now = Instant.now();
        db.transactions().write(tx -> tickets.sla().escalateWhenDue(tx, id, SlaKind.FIRST_RESPONSE, now, 1, "node-1"));
        db.transactions().write(tx -> tickets.setPending(tx, id, BOB, now.plus(Duration.ofDays(1)), PendingKind.CUSTOMER));
        db.transactions().write(tx -> tickets.addMail(tx, "support", id, TicketStatus.PENDING, inbound(), mail("Answer"), "token"));

        Optional<SlaClocks.Escalation> again = db.transactions().write(tx ->
                tickets.sla().escalateWhenDue(tx, id, SlaKind.FIRST_RESPONSE, Instant.now().plusSeconds(1), 2, "node-1"));
        assertThat(again).isEmpty();
        assertThat(ticket(id).get(TICKET.SLA_DUE_KIND)).as("still overdue, and shown so").isEqualTo("first_response");
        assertThat(db.dsl().fetchCount(SLA_ESCALATION)).isEqualTo(1);
    }

    @Test
    void twoRunnersRacingToEscalateTheSameDueTimeEscalateItOnce() throws Exception {
        long id = open();
        Instant later = Instant.now().plus(2, ChronoUnit.HOURS);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<Optional<SlaClocks.Escalation>>> both = new java.util.ArrayList<>();
            for (String node : List.of("node-1", "node-2")) {
                both.add(pool.submit(() -> {
                    go.await();
                    return db.transactions().write(tx -> tickets.sla().escalateWhenDue(tx, id, SlaKind.FIRST_RESPONSE, later, 1, node));
                }));
            }
            go.countDown();
            long escalated = 0;
            for (var f : both) {
                escalated += f.get(dev.ticketd.testing.TestTimeouts.seconds(30).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                        .isPresent() ? 1 : 0;
            }
            assertThat(escalated).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(db.dsl().fetchCount(SLA_ESCALATION)).isEqualTo(1);
        assertThat(db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq("ticket.sla_escalated"))).isEqualTo(1);
        assertThat(ticket(id).get(TICKET.PRIORITY)).as("raised once").isEqualTo("high");
    }

    @Test
    void aSecondRunnerThatLostTheClocksMarkStillCannotEscalateTheSameDueTimeAgain() {
        long id = open();
        Instant later = Instant.now().plus(2, ChronoUnit.HOURS);
        db.transactions().write(tx -> tickets.sla().escalateWhenDue(tx, id, SlaKind.FIRST_RESPONSE, later, 1, "node-1"));
        db.dsl().update(TICKET_SLA_CLOCK).setNull(TICKET_SLA_CLOCK.ESCALATED_DUE_AT).execute(); // as if the mark were lost
        Optional<SlaClocks.Escalation> again = db.transactions().write(tx ->
                tickets.sla().escalateWhenDue(tx, id, SlaKind.FIRST_RESPONSE, later, 2, "node-2"));
        assertThat(again).isEmpty();
        assertThat(db.dsl().fetchCount(SLA_ESCALATION)).isEqualTo(1);
        assertThat(db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq("ticket.sla_escalated"))).isEqualTo(1);
    }

    @Test
    void anEditedPolicyMovesTheRunningClocksOfEveryTicketBatchByBatchAndStopsTheTargetsItRemoved() {
        long a = open();
        long b = open();
        long c = open();
        long paused = open();
        long other = open();
        db.transactions().write(tx -> tickets.setPending(tx, paused, BOB, Instant.now().plus(Duration.ofDays(1)), PendingKind.CUSTOMER));
        db.transactions().write(tx -> tickets.setPriority(tx, other, BOB, Priority.URGENT)); // counts by the urgent policy
        Record otherBefore = ticket(other);
        long normal = policyId("normal");
        db.dsl().update(SLA_POLICY).set(SLA_POLICY.FIRST_RESPONSE_SECONDS, 1800L).set(SLA_POLICY.RESOLUTION_SECONDS, (Long) null)
                .set(SLA_POLICY.WARN_BEFORE_SECONDS, 600L).where(SLA_POLICY.ID.eq(normal)).execute();

        int changed = db.transactions().write(tx -> SlaClocks.policyEdited(tx, normal, Instant.now(), 2));

        assertThat(changed).as("3 first responses moved, 4 resolution clocks stopped").isEqualTo(7);
        for (long id : new long[]{a, b, c}) {
            Record t = ticket(id);
            assertThat(Duration.between(t.get(TICKET.CREATED_AT), t.get(TICKET.SLA_DUE_AT))).isEqualTo(Duration.ofMinutes(30));
            assertThat(Duration.between(t.get(TICKET.SLA_WARN_AT), t.get(TICKET.SLA_DUE_AT))).isEqualTo(Duration.ofMinutes(10));
            assertThat(clockKinds(id)).containsExactly("first_response");
        }
        assertThat(clockKinds(paused)).as("paused: keeps what it used, counts by the edit when it resumes").containsExactly("first_response");
        assertThat(clock(paused, SlaKind.FIRST_RESPONSE).get(TICKET_SLA_CLOCK.DUE_AT)).isNull();
        assertThat(ticket(other).get(TICKET.SLA_DUE_AT)).as("another policy's ticket").isEqualTo(otherBefore.get(TICKET.SLA_DUE_AT));
        int again = db.transactions().write(tx -> SlaClocks.policyEdited(tx, normal, Instant.now(), 2));
        assertThat(again).as("nothing left to move").isZero();
    }

    @Test
    void aMissEscalatedBeforeAnEditIsNotEscalatedAgainWhileADueTimeTheEditMovesAheadCanBeMissedAnew() {
        long id = open();
        db.dsl().update(TICKET_SLA_CLOCK).set(TICKET_SLA_CLOCK.RUNNING_SINCE, TICKET_SLA_CLOCK.RUNNING_SINCE.minus(2))
                .set(TICKET_SLA_CLOCK.DUE_AT, TICKET_SLA_CLOCK.DUE_AT.minus(2)).execute(); // opened two days ago
        Instant now = Instant.now();
        db.transactions().write(tx -> tickets.sla().escalateWhenDue(tx, id, SlaKind.FIRST_RESPONSE, now, 1, "node-1"));
        long normal = policyId("normal");

        db.dsl().update(SLA_POLICY).set(SLA_POLICY.FIRST_RESPONSE_SECONDS, 7200L).where(SLA_POLICY.ID.eq(normal)).execute();
        db.transactions().write(tx -> SlaClocks.policyEdited(tx, normal, now, 2));
        Record moved = clock(id, SlaKind.FIRST_RESPONSE);
        assertThat(Duration.between(moved.get(TICKET_SLA_CLOCK.RUNNING_SINCE), moved.get(TICKET_SLA_CLOCK.DUE_AT))).isEqualTo(Duration.ofHours(2));
        Optional<SlaClocks.Escalation> sameMiss = db.transactions().write(tx ->
                tickets.sla().escalateWhenDue(tx, id, SlaKind.FIRST_RESPONSE, now, 2, "node-1"));
        assertThat(sameMiss).as("still overdue: the same miss").isEmpty();

        db.dsl().update(SLA_POLICY).set(SLA_POLICY.FIRST_RESPONSE_SECONDS, 3 * 24 * 3600L).where(SLA_POLICY.ID.eq(normal)).execute();
        db.transactions().write(tx -> SlaClocks.policyEdited(tx, normal, now, 2));
        assertThat(clock(id, SlaKind.FIRST_RESPONSE).get(TICKET_SLA_CLOCK.DUE_AT).toInstant()).isAfter(now);
        Instant afterThat = now.plus(Duration.ofDays(2));
        Optional<SlaClocks.Escalation> anew = db.transactions().write(tx ->
                tickets.sla().escalateWhenDue(tx, id, SlaKind.FIRST_RESPONSE, afterThat, 3, "node-1"));
        assertThat(anew).as("the new due time is missed anew").isPresent();
        assertThat(db.dsl().fetchCount(SLA_ESCALATION, SLA_ESCALATION.TICKET_ID.eq(id))).isEqualTo(2);
    }

    private long policyId(String priority) {
        return db.dsl().select(SLA_POLICY.ID).from(SLA_POLICY).where(SLA_POLICY.PRIORITY.eq(priority)).fetchSingle(SLA_POLICY.ID);
    }

    private long open() {
        long inbound = inbound();
        return db.transactions().write(tx -> tickets.openFromMail(tx, "support", inbound, mail("Printer on fire"), null)).ticketId();
    }

    private Record ticket(long id) {
        return db.dsl().selectFrom(TICKET).where(TICKET.ID.eq(id)).fetchSingle();
    }

    private Record clock(long id, SlaKind kind) {
        return db.dsl().selectFrom(TICKET_SLA_CLOCK).where(TICKET_SLA_CLOCK.TICKET_ID.eq(id))
                .and(TICKET_SLA_CLOCK.KIND.eq(kind.value())).fetchSingle();
    }

    private List<String> clockKinds(long id) {
        return db.dsl().select(TICKET_SLA_CLOCK.KIND).from(TICKET_SLA_CLOCK).where(TICKET_SLA_CLOCK.TICKET_ID.eq(id))
                .fetch(TICKET_SLA_CLOCK.KIND);
    }

    private long staff() {
        return db.dsl().insertInto(STAFF_USER).set(STAFF_USER.EMAIL, "bob@example.test").set(STAFF_USER.DISPLAY_NAME, "Bob")
                .set(STAFF_USER.PASSWORD_HASH, "x").returning(STAFF_USER.ID).fetchOne(STAFF_USER.ID);
    }

    private long inbound() {
        return DeskRows.inbound(db.dsl(), ++uid);
    }

    private static IncomingMail mail(String subject) {
        return new IncomingMail("ann@example.test", "Ann", subject, "It smokes.", Optional.empty(), List.of());
    }
}
