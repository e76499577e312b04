package dev.ticketd.node.intake;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.Migrations;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.MailboxReader;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.PassListener;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.mail.outbound.SmtpSettings;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The mail intake's side of the early handover, with a real reader (GreenMail behind a relay the
 * test cuts, a real PostgreSQL): even when the reach reports say "hand over", a reader that makes
 * progress keeps its mailbox; a reader stuck for {@code handoverAfter} gives it up at once, once.
 * Only the cluster membership is a stand-in, recording what is given up (the cluster side is
 * {@code ReachReportsTest}, the whole in {@code EarlyHandoverIT}).
 */
class EarlyHandoverTest {

    private static final String PASSWORD = "secret";
    private static final String ADDRESS = "a@example.test";

    private Database db;
    private TestMailServer mail;
    private CuttableRelay relay;
    private GiveUps giveUps;
    private MailIntake intake;
    private final List<String> givenUp = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() {
        if (intake != null) {
            intake.close();
        }
        if (giveUps != null) {
            giveUps.close();
        }
        if (relay != null) {
            relay.close();
        }
        if (mail != null) {
            mail.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aReaderMakingProgressKeepsItsMailboxAndAStuckOneHandsItOverOnce() throws Exception {
        // the reports always say: this node cannot reach something, and another node reaches both
        EarlyHandover always = id -> Optional.of("this node cannot reach the mail server, while node-2 reaches both");
        startIntakeBehindARelay(always, new IntakeSettings("node-1", Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofSeconds(2)));

        await().atMost(TestTimeouts.seconds(20)).until(() -> intake.status().stream()
                .anyMatch(s -> s.state() == MailboxReader.State.RUNNING && s.lastPassAt() != null));
        await().during(TestTimeouts.seconds(6)).atMost(TestTimeouts.seconds(10)).until(givenUp::isEmpty);

        relay.cut();
        long cutAt = System.nanoTime();
        await().atMost(TestTimeouts.seconds(15)).pollInterval(Duration.ofMillis(100)).until(() -> !givenUp.isEmpty());
        Duration took = Duration.ofNanos(System.nanoTime() - cutAt);

        assertThat(took).as("no progress for handoverAfter (2 s), then at once").isBetween(Duration.ofSeconds(1), TestTimeouts.seconds(6));
        assertThat(givenUp).singleElement().asString().startsWith("a: early handover after ")
                .endsWith("ms without progress: this node cannot reach the mail server, while node-2 reaches both");
        await().during(TestTimeouts.seconds(3)).atMost(TestTimeouts.seconds(5)).until(() -> givenUp.size() == 1);
    }

    @Test
    void aWorkerThatCannotTakeTheLeaseHandsOverEvenWhileItsThreadIsBlockedInTheDatabase() throws Exception {
        mail = TestMailServer.start();
        mail.addUser(ADDRESS, PASSWORD);
        DatabaseSettings settings = TestPostgres.freshDatabaseSettings();
        int pgPort = Integer.parseInt(settings.jdbcUrl().replaceFirst("^jdbc:postgresql://[^:/]+:(\\d+)/.*$", "$1"));
        relay = CuttableRelay.on(InetAddress.getLoopbackAddress(), 0, pgPort);
        try (Database viaRelay = Database.open(settings.withJdbcUrl(settings.jdbcUrl().replaceFirst(":" + pgPort + "/", ":" + relay.port() + "/"))
                .withMaxPoolSize(2).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(30)), "early-handover-test")) {
            Migrations.migrate(viaRelay.dataSource());
            mail.registerMailbox(viaRelay.dsl(), "a", ADDRESS);
            giveUps = new GiveUps(new RecordingMembership(), Duration.ofMinutes(5), Duration.ofSeconds(1));
            intake = new MailIntake(new MailboxDirectory() {
                @Override
                public Optional<MailboxSettings> mailbox(String id) {
                    return Optional.of(mail.mailbox("a", ADDRESS, PASSWORD, "INBOX"));
                }

                @Override
                public Optional<SmtpSettings> smtp(String id) {
                    return Optional.empty();
                }
            }, viaRelay, new MailboxLeases(viaRelay.transactions(), Duration.ofSeconds(2)),
                    new IngestStore(viaRelay, new MailParser(), new TicketsFromMail()), PassListener.NONE, giveUps,
                    id -> Optional.of("this node cannot reach the database, while node-2 reaches both"),
                    new IntakeSettings("node-1", Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofSeconds(2)), Clock.systemUTC());

            relay.cut(); // the pool's connections stall: taking the lease waits for the 30 s socket timeout
            long gainedAt = System.nanoTime();
            intake.leadershipGained("a");
            await().atMost(TestTimeouts.seconds(15)).pollInterval(Duration.ofMillis(100)).until(() -> !givenUp.isEmpty());
            Duration took = Duration.ofNanos(System.nanoTime() - gainedAt);

            assertThat(took).as("handoverAfter (2 s), not the socket timeout (30 s)").isLessThan(TestTimeouts.seconds(8));
            assertThat(givenUp).singleElement().asString().contains("cannot reach the database");
            relay.heal(); // lets the stalled statements end, so that the intake and the pool close promptly
            intake.close();
            intake = null;
        }
    }

    @Test
    void noTimeCountsTowardsGivingUpWhileEveryNodeThatCouldLeadIsStuckToo() throws Exception {
        AtomicBoolean everyoneStuck = new AtomicBoolean(true);
        EarlyHandover shared = new EarlyHandover() {
            @Override
            public Optional<String> reason(String mailboxId) {
                return Optional.empty();
            }

            @Override
            public Optional<String> sharedOutage(String mailboxId) {
                return everyoneStuck.get() ? Optional.of("this node cannot reach the mail server, and neither can node-2") : Optional.empty();
            }
        };
        Duration giveUpAfter = Duration.ofSeconds(4);
        startIntakeBehindARelay(shared, new IntakeSettings("node-1", giveUpAfter, Duration.ofMinutes(15), Duration.ofSeconds(1)));
        await().atMost(TestTimeouts.seconds(20)).until(() -> intake.status().stream()
                .anyMatch(s -> s.state() == MailboxReader.State.RUNNING && s.lastPassAt() != null));

        relay.cut();
        await().during(giveUpAfter.multipliedBy(2)).atMost(giveUpAfter.multipliedBy(3)).until(givenUp::isEmpty);

        everyoneStuck.set(false); // another node could now do better, or this one's fault is its own
        long endedAt = System.nanoTime();
        await().atMost(TestTimeouts.seconds(15)).pollInterval(Duration.ofMillis(100)).until(() -> !givenUp.isEmpty());
        Duration took = Duration.ofNanos(System.nanoTime() - endedAt);

        // the last sighting came up to a second before the outage ended: giveUpAfter (4 s) from it
        assertThat(took).as("giveUpAfter counted from the last shared outage seen").isBetween(Duration.ofSeconds(1), TestTimeouts.seconds(9));
        assertThat(givenUp).singleElement().asString().startsWith("a: no progress with the mailbox");
    }

    /** GreenMail's IMAP behind a relay the test can cut, a fresh database, and an intake leading mailbox "a" through the relay. */
    private void startIntakeBehindARelay(EarlyHandover earlyHandover, IntakeSettings settings) throws Exception {
        db = TestPostgres.freshDatabase();
        mail = TestMailServer.start();
        mail.addUser(ADDRESS, PASSWORD);
        mail.registerMailbox(db.dsl(), "a", ADDRESS);
        relay = CuttableRelay.on(InetAddress.getLoopbackAddress(), 0, mail.imapPort());
        MailboxSettings direct = mail.mailbox("a", ADDRESS, PASSWORD, "INBOX");
        MailboxSettings viaRelay = new MailboxSettings("a", ADDRESS, "127.0.0.1", relay.port(), direct.imapSecurity(), ADDRESS,
                PASSWORD, "INBOX", "Processed", Duration.ofMillis(500), Duration.ofSeconds(2), direct.maxMessageBytes());
        giveUps = new GiveUps(new RecordingMembership(), Duration.ofMinutes(5), Duration.ofSeconds(1));
        intake = new MailIntake(new MailboxDirectory() {
            @Override
            public Optional<MailboxSettings> mailbox(String id) {
                return Optional.of(viaRelay);
            }

            @Override
            public Optional<SmtpSettings> smtp(String id) {
                return Optional.empty();
            }
        }, db, new MailboxLeases(db.transactions(), Duration.ofSeconds(2)), new IngestStore(db, new MailParser(), new TicketsFromMail()),
                PassListener.NONE, giveUps, earlyHandover, settings, Clock.systemUTC());
        intake.leadershipGained("a");
    }

    /** This node's membership: another node could always lead; what is given up is recorded. */
    private final class RecordingMembership implements GiveUps.Membership {
        @Override
        public void disableMailbox(String mailboxId, String reason) {
            givenUp.add(mailboxId + ": " + reason);
        }

        @Override
        public void enableMailbox(String mailboxId) {
        }

        @Override
        public boolean anotherNodeCouldLead(String mailboxId) {
            return true;
        }

        @Override
        public boolean noOtherNodeCouldLead(String mailboxId) {
            return false;
        }
    }
}
