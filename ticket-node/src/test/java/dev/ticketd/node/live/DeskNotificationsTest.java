package dev.ticketd.node.live;

import dev.ticketd.db.Database;
import dev.ticketd.node.web.TestData;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.ticketd.db.generated.Tables.DESK_EVENT;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The node's listener against a real PostgreSQL: it hears a change committed by anyone, and when its
 * connection is cut (as a failover cuts it) it connects again and hands on what was committed while
 * it was away, from the change log.
 */
class DeskNotificationsTest {

    private Database db;
    private DeskNotifications listener;
    private final List<DeskEvent> heard = new CopyOnWriteArrayList<>();
    private long ticket;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        TestData data = new TestData(db);
        ticket = data.ticket("T-6001", "Heard everywhere", "open", data.mailbox("listen", "listen@example.test"), "c@example.test");
        listener = new DeskNotifications(db, heard::add, 100);
    }

    @AfterEach
    void tearDown() {
        if (listener != null) {
            listener.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aCommittedChangeIsHeardWithItsPositionAndARolledBackOneIsNot() {
        listener.start();
        awaitListening();

        long position = addMessage("hello");
        try {
            db.transactions().write(tx -> {
                tx.insertInto(TICKET_MESSAGE).set(TICKET_MESSAGE.TICKET_ID, ticket).set(TICKET_MESSAGE.KIND, "note")
                        .set(TICKET_MESSAGE.BODY_TEXT, "never committed").execute();
                throw new IllegalStateException("rolled back on purpose");
            });
        } catch (IllegalStateException expected) {
            // the change and its event are gone
        }
        long after = addMessage("after the rollback");

        awaitHeard(after);
        assertThat(heard).filteredOn(e -> e.kind() == DeskEvent.Kind.TICKET).extracting(DeskEvent::position)
                .containsExactly(position, after);
        assertThat(heard).allMatch(e -> e.ticketId() == ticket);
    }

    @Test
    void manyChangesOfOneTicketInOneTransactionAreOneEventAndAnotherTransactionsChangeIsAnother() {
        long before = EventLog.latest(db.dsl());
        db.transactions().write(tx -> {
            for (int i = 0; i < 5; i++) {
                tx.insertInto(TICKET_MESSAGE).set(TICKET_MESSAGE.TICKET_ID, ticket).set(TICKET_MESSAGE.KIND, "note")
                        .set(TICKET_MESSAGE.BODY_TEXT, "note " + i).execute();
                tx.update(TICKET).set(TICKET.UPDATED_AT, DSL.currentOffsetDateTime()).where(TICKET.ID.eq(ticket)).execute();
            }
            return null;
        });
        assertThat(db.dsl().fetchCount(DESK_EVENT, DESK_EVENT.ID.gt(before))).as("one event for ten changes of one ticket").isEqualTo(1);

        addMessage("in a transaction of its own");
        assertThat(db.dsl().fetchCount(DESK_EVENT, DESK_EVENT.ID.gt(before))).isEqualTo(2);
    }

    @Test
    void aCutConnectionIsReplacedAndWhatWasCommittedMeanwhileIsHandedOn() {
        listener.start();
        awaitListening();
        long first = addMessage("before the cut");
        awaitHeard(first);

        int cut = db.dsl().fetchOne("select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = {0}"
                + " and datname = current_database()", DeskNotifications.APPLICATION_NAME).get(0, Integer.class);
        assertThat(cut).as("the listening connection was found and cut").isEqualTo(1);
        long meanwhile = addMessage("while the listener reconnects");

        awaitHeard(meanwhile);
        awaitListening();
        assertThat(heard).as("after a reconnect every page is told to re-read presence")
                .anyMatch(e -> e.kind() == DeskEvent.Kind.PRESENCE && e.ticketId() == 0);
        long later = addMessage("after the reconnect");
        awaitHeard(later);
    }

    private long addMessage(String text) {
        db.dsl().insertInto(TICKET_MESSAGE).set(TICKET_MESSAGE.TICKET_ID, ticket).set(TICKET_MESSAGE.KIND, "note")
                .set(TICKET_MESSAGE.BODY_TEXT, text).execute();
        return EventLog.latest(db.dsl());
    }

    private void awaitListening() {
        await("listening").atMost(TestTimeouts.seconds(10)).pollInterval(Duration.ofMillis(20)).until(listener::listening);
    }

    private void awaitHeard(long position) {
        await("position " + position + " heard").atMost(TestTimeouts.seconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> heard.stream().anyMatch(e -> e.position() == position));
    }
}
