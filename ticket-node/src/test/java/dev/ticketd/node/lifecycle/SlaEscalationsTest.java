package dev.ticketd.node.lifecycle;

import dev.ticketd.cluster.DutyLeases;
import dev.ticketd.db.Database;
import dev.ticketd.desk.Tickets;
import dev.ticketd.node.web.TestData;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.SLA_ESCALATION;
import static dev.ticketd.db.generated.Tables.SLA_POLICY;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The escalations the ticket timers' duty runs, against a real PostgreSQL: a missed target is
 * escalated once under the runner's epoch, a stale runner escalates nothing, and the due query is
 * served by its partial index. Time comes from a clock the test moves.
 */
class SlaEscalationsTest {

    private Database db;
    private TestData data;
    private final Tickets tickets = new Tickets();
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    private DutyLeases leases;
    private TicketTimers timers;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        data = new TestData(db);
        data.mailbox("support", "support@example.test");
        long group = data.group("Support");
        db.dsl().insertInto(SLA_POLICY).set(SLA_POLICY.GROUP_ID, group).set(SLA_POLICY.PRIORITY, "normal")
                .set(SLA_POLICY.FIRST_RESPONSE_SECONDS, 600L).set(SLA_POLICY.RAISE_PRIORITY, true).execute();
        leases = new DutyLeases(db.transactions(), Duration.ofSeconds(2));
        timers = new TicketTimers(db, leases, tickets, new TicketTimerSettings("node-a", Duration.ofDays(7), Duration.ofHours(1), 2,
                Duration.ofSeconds(1), Duration.ofSeconds(2)), new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        });
    }

    @AfterEach
    void tearDown() {
        timers.close();
        db.close();
    }

    @Test
    void everyMissedTargetIsEscalatedOnceAcrossRunsAndBatches() {
        long[] ids = {opened("T-1"), opened("T-2"), opened("T-3"), opened("T-4"), opened("T-5")};
        long epoch = leases.acquire(TicketTimers.DUTY, "node-a");
        assertThat(timers.runOnce(epoch).escalated()).as("nothing is due yet").isZero();

        now.set(now.get().plus(Duration.ofMinutes(11)));
        assertThat(timers.runOnce(epoch).escalated()).isEqualTo(5);
        assertThat(timers.runOnce(epoch).escalated()).as("a second run finds nothing new").isZero();

        assertThat(db.dsl().fetchCount(SLA_ESCALATION, SLA_ESCALATION.EPOCH.eq(epoch))).isEqualTo(5);
        for (long id : ids) {
            assertThat(db.dsl().select(TICKET.PRIORITY).from(TICKET).where(TICKET.ID.eq(id)).fetchSingle(TICKET.PRIORITY)).isEqualTo("high");
        }
        assertThat(timers.escalatedTotal()).isEqualTo(5);
    }

    @Test
    void aRunnerWhoseEpochAnotherTookEscalatesNothing() {
        opened("T-1");
        long stale = leases.acquire(TicketTimers.DUTY, "node-a");
        long current = leases.acquire(TicketTimers.DUTY, "node-b");
        now.set(now.get().plus(Duration.ofMinutes(11)));

        assertThatThrownBy(() -> timers.runOnce(stale)).isInstanceOf(DutyLeases.StaleDutyEpochException.class);
        assertThat(db.dsl().fetchCount(SLA_ESCALATION)).isZero();
        assertThat(db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq("ticket.sla_escalated"))).isZero();

        assertThat(timers.runOnce(current).escalated()).isEqualTo(1);
    }

    @Test
    void theDueQueryAndTheListsByDueTimeAreServedByTheirIndexes() {
        String due = plan("select ticket_id, kind from ticket_sla_clock where due_at is not null"
                + " and escalated_due_at is distinct from due_at and due_at <= now() order by due_at limit 500");
        String list = plan("select id from ticket where sla_due_at is not null order by sla_due_at, id limit 50");
        String soon = plan("select count(*) from (select 1 from ticket where sla_warn_at <= now() limit 1001) v");

        assertThat(due).contains("ticket_sla_clock_escalation_idx");
        assertThat(list).contains("ticket_sla_due_idx");
        assertThat(soon).contains("ticket_sla_warn_idx");
    }

    private long opened(String number) {
        long id = data.ticket(number, "Printer on fire", "open", "support", number.toLowerCase() + "@example.test");
        db.transactions().write(tx -> {
            tickets.sla().opened(tx, id, now.get());
            return null;
        });
        return id;
    }

    /** The plan with sequential scans discouraged: on a handful of rows the planner would rightly scan. */
    private String plan(String sql) {
        return db.transactions().write(tx -> {
            tx.execute("set local enable_seqscan = off");
            return tx.fetch("explain " + sql).format();
        });
    }
}
