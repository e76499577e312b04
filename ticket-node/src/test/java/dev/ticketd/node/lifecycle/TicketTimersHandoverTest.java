package dev.ticketd.node.lifecycle;

import dev.ticketd.cluster.ClusterMember;
import dev.ticketd.cluster.ClusterSettings;
import dev.ticketd.cluster.DutyLeases;
import dev.ticketd.cluster.EmbeddedZooKeeper;
import dev.ticketd.cluster.LeadershipListener;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.Migrations;
import dev.ticketd.desk.Actor;
import dev.ticketd.desk.PendingKind;
import dev.ticketd.desk.Tickets;
import dev.ticketd.node.intake.GiveUps;
import dev.ticketd.node.web.TestData;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.DUTY_LEASE;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes (cluster members with their ticket timers) on one real ZooKeeper and one PostgreSQL:
 * exactly one runs the timers, a due ticket is changed once while both are up, and when the runner
 * leaves the other takes the duty over with a newer epoch and changes what fell due meanwhile.
 */
class TicketTimersHandoverTest {

    @TempDir
    Path dir;

    private EmbeddedZooKeeper zooKeeper;
    private Database db;
    private final List<AutoCloseable> nodes = new ArrayList<>();
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable node : nodes) {
            node.close();
        }
        if (zooKeeper != null) {
            zooKeeper.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void oneNodeRunsTheTimersAndTheOtherTakesOverWhenItLeavesWithoutSkippingOrDoubling() throws Exception {
        zooKeeper = EmbeddedZooKeeper.start(dir.resolve("zk"), freePort());
        db = TestPostgres.freshDatabase();
        TestData data = new TestData(db);
        data.mailbox("support", "support@example.test");
        Tickets tickets = new Tickets();
        Node a = node("node-a", tickets);
        Node b = node("node-b", tickets);

        await().atMost(TestTimeouts.seconds(30)).until(() -> a.timers.running() ^ b.timers.running());
        Node runner = a.timers.running() ? a : b;
        Node other = runner == a ? b : a;
        await().atMost(TestTimeouts.seconds(10)).until(() -> runner.id.equals(holder()));

        long first = pending(data, tickets, "T-1", Duration.ofMinutes(10));
        long second = pending(data, tickets, "T-2", Duration.ofHours(2));
        now.set(now.get().plus(Duration.ofMinutes(30)));
        await().atMost(TestTimeouts.seconds(10)).until(() -> "open".equals(statusOf(first)));
        assertThat(other.timers.running()).isFalse();

        runner.close(); // the runner's host goes away; the ticket below falls due while it hands over
        now.set(now.get().plus(Duration.ofHours(3)));

        await().atMost(TestTimeouts.seconds(30)).until(() -> other.timers.running() && other.id.equals(holder()));
        await().atMost(TestTimeouts.seconds(10)).until(() -> "open".equals(statusOf(second)));
        assertThat(timerEntries(first)).as("changed once").isEqualTo(1);
        assertThat(timerEntries(second)).as("changed once, by the new runner").isEqualTo(1);
        assertThat(db.dsl().select(DUTY_LEASE.EPOCH).from(DUTY_LEASE).where(DUTY_LEASE.DUTY.eq(TicketTimers.DUTY))
                .fetchSingle(DUTY_LEASE.EPOCH)).isEqualTo(2);
    }

    @Test
    void aRunnerThatCannotReachTheDatabaseGivesTheTimersUpToANodeThatCan() throws Exception {
        zooKeeper = EmbeddedZooKeeper.start(dir.resolve("zk"), freePort());
        DatabaseSettings settings = TestPostgres.freshDatabaseSettings();
        db = Database.open(settings, "timers-b");
        Migrations.migrate(db.dataSource());
        Database lostDb = Database.open(settings.withRetryBudget(Duration.ofMillis(200)), "timers-a");
        TestData data = new TestData(db);
        data.mailbox("support", "support@example.test");
        Tickets tickets = new Tickets();
        lostDb.close(); // node a cannot reach the database any more
        Node a = node("node-a", tickets, lostDb);
        await().atMost(TestTimeouts.seconds(30)).until(() -> a.member.leadingDuties().contains(TicketTimers.DUTY));
        long ticket = pending(data, tickets, "T-5", Duration.ofMinutes(1));
        now.set(now.get().plus(Duration.ofMinutes(5)));

        Node b = node("node-b", tickets);

        await().atMost(TestTimeouts.seconds(30)).until(() -> b.timers.running() && "open".equals(statusOf(ticket)));
        assertThat(holder()).isEqualTo("node-b");
        assertThat(a.member.leadingDuties()).isEmpty();
        assertThat(timerEntries(ticket)).isEqualTo(1);
    }

    /** A node's part in this test: its cluster membership and its ticket timers, closed like the node closes them. */
    private final class Node implements AutoCloseable {
        final String id;
        final ClusterMember member;
        final TicketTimers timers;
        final GiveUps giveUps;
        boolean closed;

        Node(String id, ClusterMember member, TicketTimers timers, GiveUps giveUps) {
            this.id = id;
            this.member = member;
            this.timers = timers;
            this.giveUps = giveUps;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                member.close();
                timers.close();
                giveUps.close();
            }
        }
    }

    private Node node(String id, Tickets tickets) throws Exception {
        return node(id, tickets, db);
    }

    /** @param nodeDb this node's connection pool (a node's own, so that one node can lose the database alone) */
    private Node node(String id, Tickets tickets, Database nodeDb) throws Exception {
        ClusterMember member = new ClusterMember(new ClusterSettings(zooKeeper.connectString(), "timers", id, Duration.ofSeconds(4)));
        GiveUps giveUps = GiveUps.forDuties(member, Duration.ofMinutes(5));
        TicketTimers timers = new TicketTimers(nodeDb, new DutyLeases(nodeDb.transactions(), Duration.ofSeconds(2)), tickets,
                new TicketTimerSettings(id, Duration.ofDays(7), Duration.ofMillis(100), 500, Duration.ofSeconds(1), Duration.ofSeconds(2)),
                clock, giveUps);
        Node node = new Node(id, member, timers, giveUps);
        nodes.add(node);
        member.start(Set.of("support"), NO_MAILBOX_WORK, Set.of(TicketTimers.DUTY), timers);
        return node;
    }

    private static final LeadershipListener NO_MAILBOX_WORK = new LeadershipListener() {
        @Override
        public void leadershipGained(String mailboxId) {
        }

        @Override
        public void leadershipLost(String mailboxId) {
        }
    };

    private long pending(TestData data, Tickets tickets, String number, Duration waitFor) {
        long id = data.ticket(number, "Waiting", "open", "support", number.toLowerCase() + "@example.test");
        db.transactions().write(tx -> tickets.setPending(tx, id, Actor.staff("agent@example.test"), now.get().plus(waitFor),
                PendingKind.CUSTOMER));
        return id;
    }

    private String holder() {
        return db.dsl().select(DUTY_LEASE.HOLDER).from(DUTY_LEASE).where(DUTY_LEASE.DUTY.eq(TicketTimers.DUTY))
                .fetchOptional(DUTY_LEASE.HOLDER).orElse(null);
    }

    private int timerEntries(long ticket) {
        return db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(ticket).and(AUDIT_LOG.ACTOR.eq("system:ticket-timers")));
    }

    private String statusOf(long ticket) {
        return db.dsl().select(TICKET.STATUS).from(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle(TICKET.STATUS);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
