package dev.ticketd.node.intake;

import dev.ticketd.cluster.ClusterMember;
import dev.ticketd.cluster.ClusterSettings;
import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.outbound.SmtpSettings;
import dev.ticketd.mail.MailboxReader;
import dev.ticketd.mail.PassListener;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Losing one mailbox never holds up the others: the call that stops a mailbox's reader returns at
 * once, even while that reader is stuck inside a database statement, so the caller (the leadership
 * gate, which every mailbox's handover and the ZooKeeper watchdog go through) is never blocked, and
 * another mailbox is taken in meanwhile. Real PostgreSQL and GreenMail; the stuck statement is a real
 * lock wait.
 */
class HandoverTest {

    private static final String PASSWORD = "secret";

    private Database db;
    private TestMailServer mail;
    private MailIntake intake;
    private Connection blocker;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        mail = TestMailServer.start();
        for (String id : List.of("a", "b")) {
            mail.addUser(address(id), PASSWORD);
            mail.registerMailbox(db.dsl(), id, address(id));
        }
        MailboxDirectory mailboxes = new MailboxDirectory() {
            @Override
            public Optional<MailboxSettings> mailbox(String id) {
                return Optional.of(mail.mailbox(id, address(id), PASSWORD, "INBOX"));
            }

            @Override
            public Optional<SmtpSettings> smtp(String id) {
                return Optional.empty();
            }
        };
        // a cluster member never started: this node is alone and never gives a mailbox up (give-up after 5 min)
        ClusterMember alone = new ClusterMember(new ClusterSettings("127.0.0.1:1", "test", "node-1", Duration.ofSeconds(4)));
        intake = new MailIntake(mailboxes, db, new MailboxLeases(db.transactions(), Duration.ofSeconds(2)),
                new IngestStore(db, new MailParser(), new TicketsFromMail()), PassListener.NONE,
                new GiveUps(alone, Duration.ofMinutes(5)),
                new IntakeSettings("node-1", Duration.ofMinutes(5), Duration.ofMinutes(15)), Clock.systemUTC());
    }

    @AfterEach
    void tearDown() throws Exception {
        if (blocker != null) {
            blocker.rollback();
            blocker.close();
        }
        intake.close();
        mail.close();
        db.close();
    }

    @Test
    void stoppingAReaderStuckInTheDatabaseReturnsAtOnceAndTheOtherMailboxGoesOn() throws Exception {
        intake.leadershipGained("a");
        awaitReading("a");
        // another session holds mailbox a's lease row: the reader's next mail waits on its fence check
        blocker = db.dataSource().getConnection();
        blocker.setAutoCommit(false);
        try (Statement s = blocker.createStatement()) {
            s.execute("select * from mailbox_lease where mailbox_id = 'a' for update");
        }
        mail.appendRaw(address("a"), PASSWORD, "INBOX", List.of(mail.textMail("ann@example.test", address("a"), "stuck", "x")));
        await().atMost(TestTimeouts.seconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(db.dsl().fetchCount(DSL.table("pg_locks"), DSL.field("granted", Boolean.class).isFalse())).isPositive());

        long started = System.nanoTime();
        intake.leadershipLost("a");
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(took).as("stopping mailbox a took %s", took).isLessThan(Duration.ofSeconds(1));
        intake.leadershipGained("b");
        mail.appendRaw(address("b"), PASSWORD, "INBOX", List.of(mail.textMail("bob@example.test", address("b"), "not held up", "y")));
        await().atMost(TestTimeouts.seconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(db.dsl().fetchExists(TICKET, TICKET.SUBJECT.eq("not held up"))).isTrue());
        assertThat(db.dsl().fetchExists(TICKET, TICKET.SUBJECT.eq("stuck"))).as("a's mail waits, it is not lost").isFalse();
    }

    private void awaitReading(String id) {
        await().atMost(TestTimeouts.seconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(intake.status()).anySatisfy(s -> {
                    assertThat(s.mailboxId()).isEqualTo(id);
                    assertThat(s.state()).isEqualTo(MailboxReader.State.RUNNING);
                    assertThat(s.lastPassAt()).isNotNull();
                }));
    }

    private static String address(String id) {
        return id + "@example.test";
    }
}
