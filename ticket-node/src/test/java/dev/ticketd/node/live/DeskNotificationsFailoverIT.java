package dev.ticketd.node.live;

import dev.ticketd.db.Database;
import dev.ticketd.db.Migrations;
import dev.ticketd.node.web.TestData;
import dev.ticketd.testing.TestReplicatedPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The listener on the production shape of the database URL (two hosts, a primary and a streaming
 * hot standby): when the primary's host is lost and the standby is promoted, the listener connects
 * to the new primary by itself (never to a standby, where LISTEN is refused) and hears what is
 * committed there.
 */
class DeskNotificationsFailoverIT {

    private TestReplicatedPostgres pg;
    private Database db;
    private DeskNotifications listener;
    private final List<DeskEvent> heard = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() {
        if (listener != null) {
            listener.close();
        }
        if (db != null) {
            db.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void theListenerFollowsThePrimaryToThePromotedStandbyAndHearsWhatIsCommittedThere() {
        assumeTrue(TestReplicatedPostgres.available(),
                "needs the system's PostgreSQL binaries (pg_basebackup); install postgresql to run it");
        pg = TestReplicatedPostgres.start();
        db = Database.open(pg.settings(), "listen-failover");
        Migrations.migrate(db.dataSource());
        TestData data = new TestData(db);
        long ticket = data.ticket("T-6101", "Heard after a failover", "open", data.mailbox("failover", "f@example.test"),
                "c@example.test");
        listener = new DeskNotifications(db, heard::add, 100);
        listener.start();
        awaitListening(true);
        awaitHeard(addMessage(ticket, "before the failover"));

        pg.awaitStandbyCaughtUp();
        pg.killPrimary();
        awaitListening(false);
        pg.promoteStandby();

        awaitListening(true);
        awaitHeard(addMessage(ticket, "on the promoted standby"));
    }

    private long addMessage(long ticket, String text) {
        return db.transactions().write(tx -> {
            tx.insertInto(TICKET_MESSAGE).set(TICKET_MESSAGE.TICKET_ID, ticket).set(TICKET_MESSAGE.KIND, "note")
                    .set(TICKET_MESSAGE.BODY_TEXT, text).execute();
            return EventLog.latest(tx);
        });
    }

    private void awaitListening(boolean listening) {
        await("listening " + listening).atMost(TestTimeouts.seconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> listener.listening() == listening);
    }

    private void awaitHeard(long position) {
        await("position " + position + " heard").atMost(TestTimeouts.seconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> heard.stream().anyMatch(e -> e.position() == position));
    }
}
