package dev.ticketd.node.watch;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.node.health.DatabaseHealth;
import dev.ticketd.node.web.TestData;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;

/** What the watch's sampler reads of each mailbox from a real PostgreSQL: its lease's epoch, its quarantine of the last hour. */
class SamplerTest {

    private Database db;
    private DatabaseHealth health;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        new TestData(db).mailbox("support", "support@example.test");
        health = new DatabaseHealth(db, Duration.ofSeconds(2));
    }

    @AfterEach
    void tearDown() {
        health.close();
        db.close();
    }

    private void stored(long uid, String status, String receivedAgo) {
        db.dsl().insertInto(INBOUND_MESSAGE).set(INBOUND_MESSAGE.MAILBOX_ID, "support").set(INBOUND_MESSAGE.UIDVALIDITY, 1L)
                .set(INBOUND_MESSAGE.UID, uid).set(INBOUND_MESSAGE.CONTENT_KEY, "k" + uid).set(INBOUND_MESSAGE.RAW_SHA256, "s" + uid)
                .set(INBOUND_MESSAGE.RAW, new byte[] {1}).set(INBOUND_MESSAGE.SIZE_BYTES, 1).set(INBOUND_MESSAGE.PARSE_STATUS, status)
                .set(INBOUND_MESSAGE.EPOCH, 1L)
                .set(INBOUND_MESSAGE.RECEIVED_AT, org.jooq.impl.DSL.field("now() - interval '" + receivedAgo + "'", java.time.OffsetDateTime.class))
                .execute();
    }

    @Test
    void eachMailboxComesWithItsEpochAndTheMailsItQuarantinedInTheLastHour() {
        MailboxLeases leases = new MailboxLeases(db.transactions(), Duration.ofSeconds(2));
        leases.acquire("support", "node-a");
        leases.acquire("support", "node-b");
        stored(1, "failed", "5 minutes");
        stored(2, "failed", "59 minutes");
        stored(3, "failed", "2 hours");
        stored(4, "parsed", "1 minute");
        Sampler sampler = new Sampler(db, health, id -> Optional.empty(), HttpClient.newHttpClient(), Clock.systemUTC());
        Sample.MailboxSignal m = sampler.sample(false, null).mailboxes().get(0);
        assertThat(m.epoch()).isEqualTo(2);
        assertThat(m.quarantinedLastHour()).isEqualTo(2);
    }
}
