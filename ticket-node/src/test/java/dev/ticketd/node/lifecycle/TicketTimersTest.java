package dev.ticketd.node.lifecycle;

import dev.ticketd.cluster.DutyLeases;
import dev.ticketd.db.Database;
import dev.ticketd.desk.Actor;
import dev.ticketd.desk.PendingKind;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.desk.Tickets;
import dev.ticketd.node.clusterpage.ClusterStatusService;
import dev.ticketd.node.health.DatabaseHealth;
import dev.ticketd.node.metrics.NodeMetrics;
import dev.ticketd.node.web.TestData;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The ticket timers against a real PostgreSQL: a due pending ticket opens once, a resolved ticket
 * closes after the configured time, a runner whose epoch another took changes nothing, and the due
 * queries are the ones the partial indexes serve. Time comes from a clock the test moves.
 */
class TicketTimersTest {

    private static final Duration CLOSE_AFTER = Duration.ofDays(7);
    private static final Actor STAFF = Actor.staff("agent@example.test");

    private Database db;
    private TestData data;
    private final Tickets tickets = new Tickets();
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    private final Clock clock = new Clock() {
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
    };
    private DutyLeases leases;
    private TicketTimers timers;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        data = new TestData(db);
        data.mailbox("support", "support@example.test");
        leases = new DutyLeases(db.transactions(), Duration.ofSeconds(2));
        timers = timers(500, Duration.ofHours(1));
    }

    @AfterEach
    void tearDown() {
        timers.close();
        db.close();
    }

    @Test
    void aPendingTicketWhosTimePassedOpensOnceAndTheSystemIsAuditedAsTheActor() {
        long ticket = pending("T-1", Duration.ofHours(2), PendingKind.CUSTOMER);
        long epoch = leases.acquire(TicketTimers.DUTY, "node-a");

        assertThat(timers.runOnce(epoch)).isEqualTo(new TicketTimers.Run(0, 0));
        assertThat(statusOf(ticket)).isEqualTo("pending");

        now.set(now.get().plus(Duration.ofHours(3)));
        assertThat(timers.runOnce(epoch)).isEqualTo(new TicketTimers.Run(1, 0));
        assertThat(timers.runOnce(epoch)).as("a second run finds nothing due").isEqualTo(new TicketTimers.Run(0, 0));

        assertThat(statusOf(ticket)).isEqualTo("open");
        assertThat(db.dsl().selectFrom(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle().getPendingUntil()).isNull();
        var entries = db.dsl().selectFrom(AUDIT_LOG).where(AUDIT_LOG.TICKET_ID.eq(ticket)
                .and(AUDIT_LOG.ACTOR.eq("system:ticket-timers"))).fetch();
        assertThat(entries).singleElement().satisfies(e -> {
            assertThat(e.getAction()).isEqualTo("ticket.status_changed");
            assertThat(e.getDetail().data()).contains("\"from\": \"pending\"").contains("\"to\": \"open\"")
                    .contains("\"pendingKind\": \"customer\"").contains("\"reason\": \"pending time passed\"");
        });
    }

    @Test
    void aResolvedTicketClosesOnlyAfterTheConfiguredTime() {
        long ticket = data.ticket("T-2", "Done", "open", "support", "ann@example.test");
        db.transactions().write(tx -> tickets.setStatus(tx, ticket, STAFF, TicketStatus.RESOLVED));
        long epoch = leases.acquire(TicketTimers.DUTY, "node-a");

        now.set(Instant.now().plus(CLOSE_AFTER).minus(Duration.ofHours(1)));
        assertThat(timers.runOnce(epoch).closed()).isZero();
        assertThat(statusOf(ticket)).isEqualTo("resolved");

        now.set(Instant.now().plus(CLOSE_AFTER).plus(Duration.ofMinutes(1)));
        assertThat(timers.runOnce(epoch)).isEqualTo(new TicketTimers.Run(0, 1));
        assertThat(timers.runOnce(epoch).closed()).isZero();

        assertThat(statusOf(ticket)).isEqualTo("closed");
        assertThat(db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG).where(AUDIT_LOG.TICKET_ID.eq(ticket)
                .and(AUDIT_LOG.ACTOR.eq("system:ticket-timers"))).fetchSingle(AUDIT_LOG.DETAIL).data())
                .contains("\"to\": \"closed\"").contains("\"reason\": \"resolved for 7 days\"");
    }

    @Test
    void aRunnerWhoseEpochAnotherTookChangesNothing() {
        long pendingTicket = pending("T-3", Duration.ofMinutes(5), PendingKind.INTERNAL);
        long resolvedTicket = data.ticket("T-4", "Done", "open", "support", "bob@example.test");
        db.transactions().write(tx -> tickets.setStatus(tx, resolvedTicket, STAFF, TicketStatus.RESOLVED));
        long stale = leases.acquire(TicketTimers.DUTY, "node-a");
        long current = leases.acquire(TicketTimers.DUTY, "node-b");
        now.set(Instant.now().plus(CLOSE_AFTER).plus(Duration.ofDays(1)));

        assertThatThrownBy(() -> timers.runOnce(stale)).isInstanceOf(DutyLeases.StaleDutyEpochException.class);

        assertThat(statusOf(pendingTicket)).isEqualTo("pending");
        assertThat(statusOf(resolvedTicket)).isEqualTo("resolved");
        assertThat(db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTOR.eq("system:ticket-timers"))).isZero();

        assertThat(timers.runOnce(current)).isEqualTo(new TicketTimers.Run(1, 1));
    }

    @Test
    void moreDueTicketsThanABatchAreAllChangedInOneRun() {
        timers = timers(2, Duration.ofHours(1));
        List<Long> due = List.of(pending("T-10", Duration.ofMinutes(1), PendingKind.CUSTOMER),
                pending("T-11", Duration.ofMinutes(2), PendingKind.CUSTOMER),
                pending("T-12", Duration.ofMinutes(3), PendingKind.CUSTOMER),
                pending("T-13", Duration.ofMinutes(4), PendingKind.CUSTOMER),
                pending("T-14", Duration.ofMinutes(5), PendingKind.CUSTOMER));
        now.set(now.get().plus(Duration.ofHours(1)));

        assertThat(timers.runOnce(leases.acquire(TicketTimers.DUTY, "node-a")).reopened()).isEqualTo(5);
        due.forEach(id -> assertThat(statusOf(id)).isEqualTo("open"));
    }

    @Test
    void theLeaderRunsTheTimersUnderItsEpochUntilItLosesLeadership() {
        timers = timers(500, Duration.ofMillis(100));
        long ticket = pending("T-20", Duration.ofMinutes(1), PendingKind.CUSTOMER);
        now.set(now.get().plus(Duration.ofMinutes(2)));

        timers.leadershipGained(TicketTimers.DUTY);

        await().atMost(TestTimeouts.seconds(10)).until(() -> "open".equals(statusOf(ticket)));
        assertThat(leases.current(TicketTimers.DUTY)).isEqualTo(1);
        assertThat(timers.reopenedTotal()).isEqualTo(1);
        await().atMost(TestTimeouts.seconds(10)).until(() -> timers.lastRunAt() != null);
        timers.leadershipLost(TicketTimers.DUTY);
        assertThat(timers.running()).isFalse();
    }

    @Test
    void theClusterPageAndTheMetricsShowWhoRunsTheTimers() {
        long epoch = leases.acquire(TicketTimers.DUTY, "node-a");
        pending("T-30", Duration.ofMinutes(1), PendingKind.CUSTOMER);
        now.set(now.get().plus(Duration.ofMinutes(2)));
        timers.runOnce(epoch);
        ClusterStatusService service = new ClusterStatusService(db, new DatabaseHealth(db, Duration.ofSeconds(2)), () -> {
            throw new IllegalStateException("no ZooKeeper in this test");
        }, "node-a");
        NodeMetrics metrics = new NodeMetrics("node-a");
        metrics.watchTimers(timers);

        assertThat(service.status().value().duties()).singleElement().satisfies(d -> {
            assertThat(d.name()).isEqualTo("ticket-timers");
            assertThat(d.epoch()).isEqualTo(epoch);
            assertThat(d.holder()).isEqualTo("node-a");
        });
        assertThat(metrics.scrape()).contains("ticketd_ticket_timers_running{node=\"node-a\"} 0.0")
                .contains("ticketd_ticket_timers_changes_total{change=\"reopened\",node=\"node-a\"} 1.0");
    }

    @Test
    void theDueQueriesAreServedByThePartialIndexes() {
        String pendingPlan = plan("select id from ticket where status = 'pending' and pending_until <= now()"
                + " order by pending_until, id limit 500");
        String resolvedPlan = plan("select id from ticket where status = 'resolved' and resolved_at <= now()"
                + " order by resolved_at, id limit 500");

        assertThat(pendingPlan).contains("ticket_pending_due_idx");
        assertThat(resolvedPlan).contains("ticket_resolved_due_idx");
    }

    /** The plan with sequential scans discouraged: on a handful of rows the planner would rightly scan. */
    private String plan(String sql) {
        return db.transactions().write(tx -> {
            tx.execute("set local enable_seqscan = off");
            return tx.fetch("explain " + sql).format();
        });
    }

    private TicketTimers timers(int batch, Duration interval) {
        if (timers != null) {
            timers.close();
        }
        return new TicketTimers(db, leases, tickets, new TicketTimerSettings("node-a", CLOSE_AFTER, interval, batch,
                Duration.ofSeconds(1), Duration.ofSeconds(2)), clock);
    }

    private long pending(String number, Duration waitFor, PendingKind kind) {
        long id = data.ticket(number, "Waiting", "open", "support", number.toLowerCase() + "@example.test");
        db.transactions().write(tx -> tickets.setPending(tx, id, STAFF, now.get().plus(waitFor), kind));
        return id;
    }

    private String statusOf(long ticket) {
        return db.dsl().select(TICKET.STATUS).from(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle(TICKET.STATUS);
    }
}
