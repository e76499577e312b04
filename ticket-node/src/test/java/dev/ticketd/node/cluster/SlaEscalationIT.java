package dev.ticketd.node.cluster;

import dev.ticketd.node.lifecycle.TicketTimers;
import dev.ticketd.testing.TestTimeouts;
import org.jooq.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.DUTY_LEASE;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.SLA_ESCALATION;
import static dev.ticketd.db.generated.Tables.SLA_POLICY;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * SLA escalations through the loss of the node that runs them, with two node processes: tickets come
 * due for their first response; just before the first is due, the node that holds the escalation
 * duty is killed ({@code kill -9}); in a second round the new holder is frozen (SIGSTOP) and thawed
 * after the other node took over. Every missed target is escalated exactly once — one escalation
 * row, one audit entry and one priority raise per ticket — within the duty's interval plus the
 * failover time, and the thawed node writes nothing under its old epoch.
 */
class SlaEscalationIT {

    /** The first-response target: long enough for the mails to become tickets before the duty's node is killed. */
    private static final Duration TARGET = Duration.ofSeconds(20);
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final int PER_ROUND = 10;

    private ThreeNodeCluster cluster;

    @BeforeEach
    void setUp() throws Exception {
        cluster = ThreeNodeCluster.start("SlaEscalationIT", 2, List.of("tickets.timer-interval=" + INTERVAL.toSeconds() + "s"));
        long group = cluster.db().dsl().select(MAILBOX.GROUP_ID).from(MAILBOX).where(MAILBOX.ID.eq(ThreeNodeCluster.MAILBOX))
                .fetchSingle(MAILBOX.GROUP_ID);
        cluster.db().dsl().insertInto(SLA_POLICY).set(SLA_POLICY.GROUP_ID, group).set(SLA_POLICY.PRIORITY, "normal")
                .set(SLA_POLICY.FIRST_RESPONSE_SECONDS, TARGET.toSeconds()).set(SLA_POLICY.RAISE_PRIORITY, true).execute();
    }

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void everyMissedTargetIsEscalatedExactlyOnceThroughAKilledAndAFrozenDutyNode() throws Exception {
        // round 1: kill -9 the node that runs the duty just before the first ticket is due (read then:
        // Helix may move the duty once when the second node joins)
        cluster.send("sla", 0, PER_ROUND);
        cluster.awaitTickets(PER_ROUND);
        Instant killAt = awaitJustBeforeFirstDue(0);
        Duty before = awaitDutyHolder(null);
        assertThat(escalations()).as("nothing is escalated before it is due").isZero();
        cluster.kill9(before.holder());
        Duty after = awaitDutyHolder(before.holder());
        assertThat(after.epoch()).as("a new grant after the kill").isGreaterThan(before.epoch());
        awaitEscalations(PER_ROUND);
        Duration worst1 = worstDelay(killAt, after.epoch());
        System.out.printf("SlaEscalationIT: kill -9 of %s at %s; %s took the duty (epoch %d -> %d) %d ms later;"
                        + " %d escalations, the latest %d ms after its due time (interval %d ms)%n",
                before.holder(), killAt, after.holder(), before.epoch(), after.epoch(),
                Duration.between(killAt, after.acquiredAt().toInstant()).toMillis(), PER_ROUND, worst1.toMillis(), INTERVAL.toMillis());

        cluster.restart(before.holder());
        cluster.awaitLive(2);

        // round 2: freeze the node that now runs the duty, let the other take over, then thaw it
        cluster.send("sla", PER_ROUND, 2 * PER_ROUND);
        cluster.awaitTickets(2 * PER_ROUND);
        Instant freezeAt = awaitJustBeforeFirstDue(PER_ROUND);
        Duty frozen = awaitDutyHolder(null);
        cluster.freeze(frozen.holder());
        Duration worst2;
        Duty taken;
        try {
            taken = awaitDutyHolder(frozen.holder());
            assertThat(taken.epoch()).as("a new grant after the freeze").isGreaterThan(frozen.epoch());
            awaitEscalations(2 * PER_ROUND);
            worst2 = worstDelay(freezeAt, taken.epoch());
        } finally {
            cluster.thaw(frozen.holder());
        }
        // the thawed node may wake inside a run: whatever it tries under its old epoch must be refused
        await().during(INTERVAL.multipliedBy(5)).atMost(TestTimeouts.seconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> escalations() == 2 * PER_ROUND && escalationAudits() == 2 * PER_ROUND);
        System.out.printf("SlaEscalationIT: SIGSTOP of %s at %s; %s took the duty (epoch %d -> %d) %d ms later;"
                        + " the latest of %d escalations %d ms after its due time%n",
                frozen.holder(), freezeAt, taken.holder(), frozen.epoch(), taken.epoch(),
                Duration.between(freezeAt, taken.acquiredAt().toInstant()).toMillis(), PER_ROUND, worst2.toMillis());

        assertExactlyOnceEach(2 * PER_ROUND);
        assertThat(cluster.db().dsl().selectCount().from(SLA_ESCALATION).where(SLA_ESCALATION.EPOCH.le(frozen.epoch()))
                .and(SLA_ESCALATION.DUE_AT.ge(dueOfFirst(PER_ROUND))).fetchSingle(0, Integer.class))
                .as("no escalation of round 2 under the frozen node's epoch %d or older", frozen.epoch()).isZero();
        Duration bound = INTERVAL.plus(ThreeNodeCluster.SESSION_TIMEOUT).plus(TestTimeouts.seconds(6));
        assertThat(worst1).as("round 1: within the interval plus the failover time").isLessThan(bound);
        assertThat(worst2).as("round 2: within the interval plus the failover time").isLessThan(bound);
    }

    record Duty(String holder, long epoch, OffsetDateTime acquiredAt) {
    }

    /** Waits until a live node other than {@code previous} holds the duty's lease. */
    private Duty awaitDutyHolder(String previous) {
        return await().atMost(TestTimeouts.seconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> cluster.db().dsl()
                .select(DUTY_LEASE.HOLDER, DUTY_LEASE.EPOCH, DUTY_LEASE.ACQUIRED_AT).from(DUTY_LEASE)
                .where(DUTY_LEASE.DUTY.eq(TicketTimers.DUTY))
                .fetchOptional(r -> new Duty(r.value1(), r.value2(), r.value3())).orElse(null),
                d -> d != null && d.holder() != null && !d.holder().equals(previous) && cluster.isAlive(d.holder()));
    }

    /** The due time of the earliest of the tickets from {@code skip} on (in creation order). */
    private OffsetDateTime dueOfFirst(int skip) {
        return cluster.db().dsl().select(TICKET.SLA_DUE_AT).from(TICKET).orderBy(TICKET.ID).offset(skip).limit(1)
                .fetchSingle(TICKET.SLA_DUE_AT);
    }

    /** Waits (polling) until one second before the first of the round's tickets is due; returns that moment. */
    private Instant awaitJustBeforeFirstDue(int skip) {
        Instant target = dueOfFirst(skip).toInstant().minusSeconds(1);
        assertThat(target).as("the tickets became tickets before the first is due").isAfter(Instant.now());
        await().atMost(TARGET.plus(TestTimeouts.seconds(5))).pollInterval(Duration.ofMillis(50))
                .until(() -> !Instant.now().isBefore(target));
        return Instant.now();
    }

    private void awaitEscalations(int count) {
        await().atMost(TestTimeouts.seconds(90)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(escalations()).as("escalations").isGreaterThanOrEqualTo(count));
    }

    /**
     * The longest wait of an escalation under {@code epoch} past its due time or past the fault,
     * whichever is later: what the fault cost a ticket.
     */
    private Duration worstDelay(Instant faultAt, long epoch) {
        Duration worst = Duration.ZERO;
        for (Record r : cluster.db().dsl().select(SLA_ESCALATION.DUE_AT, SLA_ESCALATION.ESCALATED_AT).from(SLA_ESCALATION)
                .where(SLA_ESCALATION.EPOCH.eq(epoch)).fetch()) {
            Instant due = r.get(SLA_ESCALATION.DUE_AT).toInstant();
            Instant from = due.isAfter(faultAt) ? due : faultAt;
            Duration d = Duration.between(from, r.get(SLA_ESCALATION.ESCALATED_AT).toInstant());
            worst = d.compareTo(worst) > 0 ? d : worst;
        }
        return worst;
    }

    private void assertExactlyOnceEach(int tickets) {
        var dsl = cluster.db().dsl();
        assertThat(dsl.fetchCount(TICKET)).isEqualTo(tickets);
        assertThat(dsl.select(SLA_ESCALATION.TICKET_ID).from(SLA_ESCALATION).fetch(SLA_ESCALATION.TICKET_ID))
                .as("one escalation per ticket").hasSize(tickets).doesNotHaveDuplicates();
        assertThat(dsl.select(AUDIT_LOG.TICKET_ID).from(AUDIT_LOG).where(AUDIT_LOG.ACTION.eq("ticket.sla_escalated"))
                .fetch(AUDIT_LOG.TICKET_ID)).as("one audited escalation per ticket").hasSize(tickets).doesNotHaveDuplicates();
        assertThat(dsl.select(AUDIT_LOG.TICKET_ID).from(AUDIT_LOG).where(AUDIT_LOG.ACTION.eq("ticket.priority_changed"))
                .and(AUDIT_LOG.ACTOR.eq("system:sla-escalations")).fetch(AUDIT_LOG.TICKET_ID))
                .as("one priority raise per ticket").hasSize(tickets).doesNotHaveDuplicates();
        assertThat(dsl.selectDistinct(TICKET.PRIORITY).from(TICKET).fetch(TICKET.PRIORITY)).containsExactly("high");
    }

    private int escalations() {
        return cluster.db().dsl().fetchCount(SLA_ESCALATION);
    }

    private int escalationAudits() {
        return cluster.db().dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq("ticket.sla_escalated"));
    }
}
