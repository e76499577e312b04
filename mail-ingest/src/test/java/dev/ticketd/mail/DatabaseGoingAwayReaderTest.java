package dev.ticketd.mail;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.db.Migrations;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static dev.ticketd.db.generated.Tables.MAIL_FAILURE;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A database that is going away is an outage, not a fault of the mail being read: the reader ends
 * its pass and tries again, and never counts a failed pass against the mail (enough of those would
 * quarantine a healthy mail during a failover). The reader once had its own, narrower idea of an
 * outage (connection states 08xxx and pool timeouts only); these are the states it missed, which
 * PostgreSQL sends while a server shuts down or starts, or after a switchover made it read-only.
 */
class DatabaseGoingAwayReaderTest {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "secret-support";

    private Database db;
    private TestMailServer mail;
    private MailboxReader reader;

    @BeforeEach
    void setUp() {
        // a short retry budget: the store gives up within the test, as it would after a long failover
        db = Database.open(TestPostgres.freshDatabaseSettings().withRetryBudget(Duration.ofMillis(300)), "going-away");
        Migrations.migrate(db.dataSource());
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        mail.registerMailbox(db.dsl(), "support", SUPPORT);
    }

    @AfterEach
    void tearDown() {
        if (reader != null) {
            reader.close();
        }
        mail.close();
        db.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"admin_shutdown", "crash_shutdown", "cannot_connect_now", "read_only_sql_transaction"})
    void aDatabaseGoingAwayEndsThePassWithoutCountingItAgainstTheMail(String condition) {
        failEveryStoreWith(condition);
        mail.appendRaw(SUPPORT, PASSWORD, "INBOX", List.of(mail.textMail("ann@example.test", SUPPORT, "printer", "on fire")));
        startReader();

        await().atMost(TestTimeouts.seconds(15)).pollInterval(Duration.ofMillis(20))
                .until(() -> reader.status().lastError() != null);
        assertThat(reader.status().lastError()).contains("the database is failing over");
        assertThat(reader.status().failedAttempts()).as("not a failure of the mail").isZero();
        assertThat(db.dsl().fetchCount(MAIL_FAILURE)).isZero();

        db.dsl().execute("drop trigger going_away on inbound_message");

        await().atMost(TestTimeouts.seconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(db.dsl().fetchExists(TICKET, TICKET.SUBJECT.eq("printer"))).isTrue());
        assertThat(reader.status().failedAttempts()).isZero();
    }

    /** Every insert of a mail fails with {@code condition}, as PostgreSQL reports it in that state. */
    private void failEveryStoreWith(String condition) {
        db.dsl().execute("""
                create function going_away() returns trigger language plpgsql as $$
                begin
                  raise exception 'the test says: %1$s' using errcode = '%1$s';
                end $$""".formatted(condition));
        db.dsl().execute("create trigger going_away before insert on inbound_message for each row execute function going_away()");
    }

    private void startReader() {
        long epoch = new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).acquire("support", "test-node");
        IngestStore store = new IngestStore(db, new MailParser(), new TicketsFromMail(), IngestObserver.NONE, MailBudget.DEFAULT);
        reader = new MailboxReader(mail.mailbox("support", SUPPORT, PASSWORD, "INBOX").withPollInterval(Duration.ofMillis(200)),
                store, epoch, Clock.systemUTC());
        reader.start();
    }
}
