package dev.ticketd.db;

import dev.ticketd.testing.TestReplicatedPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Transactions and reads against a real primary + streaming hot standby while the test stops,
 * restarts and promotes servers (what Patroni does in production).
 */
class DatabaseFailoverIT {

    private TestReplicatedPostgres pg;
    private Database db;

    @BeforeEach
    void setUp() {
        assumeTrue(TestReplicatedPostgres.available(),
                "needs the system's PostgreSQL binaries (pg_basebackup); install postgresql to run it");
        pg = TestReplicatedPostgres.start();
        db = Database.open(pg.settings(), "failover-test");
        db.dsl().execute("create table probe (k text primary key, attempts int not null)");
        pg.awaitStandbyCaughtUp();
    }

    @AfterEach
    void tearDown() {
        if (db != null) {
            db.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void aWriteInterruptedByAPrimaryCrashIsRetriedAndCommitsExactlyOnceWhenThePrimaryReturns() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        CompletableFuture<Void> restart = new CompletableFuture<>();

        String result = db.transactions().write(tx -> {
            int attempt = attempts.incrementAndGet();
            tx.execute("insert into probe (k, attempts) values ('only', ?) on conflict (k) do nothing", attempt);
            if (attempt == 1) {
                pg.killPrimary(); // the host is gone before the commit
                CompletableFuture.runAsync(() -> {
                    pg.restartPrimary();
                    restart.complete(null);
                });
            }
            return "committed on attempt " + attempt;
        });

        restart.get(TestTimeouts.seconds(60).toMillis(), TimeUnit.MILLISECONDS);
        assertThat(attempts.get()).isGreaterThanOrEqualTo(2);
        assertThat(result).isEqualTo("committed on attempt " + attempts.get());
        assertThat(db.dsl().fetchCount(db.dsl().selectFrom("probe").where("k = 'only'"))).isEqualTo(1);
        assertThat(db.dsl().fetchValue("select attempts from probe where k = 'only'")).isEqualTo(attempts.get());
    }

    @Test
    void aPrimaryThatStaysDownPastTheBudgetEndsInDatabaseUnavailableWithAClearMessage() {
        pg.killPrimary();
        AtomicInteger attempts = new AtomicInteger();
        Transactions shortBudget = db.transactions().withRetryBudget(Duration.ofSeconds(2));
        long start = System.nanoTime();

        assertThatThrownBy(() -> shortBudget.run(tx -> {
            attempts.incrementAndGet();
            tx.execute("insert into probe (k, attempts) values ('late', 1)");
        }))
                .isInstanceOf(DatabaseUnavailableException.class)
                .hasMessageStartingWith("the database is failing over; try again in a few seconds")
                .hasMessageNotContaining("password");

        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(elapsedMillis).isGreaterThanOrEqualTo(2_000).isLessThan(TestTimeouts.seconds(10).toMillis());
        // only an attempt that got one of the connections pooled before the kill ran the work (each
        // is discarded once it failed); once those are gone no attempt gets a connection, so the
        // work does not run again and again while the budget lasts
        assertThat(attempts.get()).isLessThanOrEqualTo(pg.settings().maxPoolSize());
        assertThat(shortBudget.counters().exhausted()).isEqualTo(1);
        assertThat(shortBudget.counters().retries()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aConstraintViolationIsNeverRetried() {
        db.transactions().run(tx -> tx.execute("insert into probe (k, attempts) values ('dup', 1)"));
        AtomicInteger attempts = new AtomicInteger();

        assertThatThrownBy(() -> db.transactions().run(tx -> {
            attempts.incrementAndGet();
            tx.execute("insert into probe (k, attempts) values ('dup', 2)");
        }))
                .isInstanceOf(DataAccessException.class)
                .isNotInstanceOf(DatabaseUnavailableException.class);

        assertThat(attempts.get()).isEqualTo(1);
        assertThat(db.transactions().counters().retries()).isZero();
    }

    @Test
    void promotingTheStandbyWhileThePrimaryIsDownResumesWritesOnTheNewPrimaryWithoutANewPool() throws Exception {
        pg.killPrimary();
        CompletableFuture<Integer> write = CompletableFuture.supplyAsync(() -> db.transactions().<Integer>write(tx -> {
            tx.execute("insert into probe (k, attempts) values ('after-promotion', 1) on conflict (k) do nothing");
            return tx.fetchOne("select inet_server_port()").get(0, Integer.class);
        }));

        pg.promoteStandby();

        int servedBy = write.get(TestTimeouts.seconds(30).toMillis(), TimeUnit.MILLISECONDS);
        assertThat(servedBy).isEqualTo(pg.standby().port());
        assertThat(db.transactions().counters().retries()).isGreaterThanOrEqualTo(1);
        assertThat(db.dsl().fetchCount(db.dsl().selectFrom("probe").where("k = 'after-promotion'"))).isEqualTo(1);
    }

    @Test
    void readsComeFromTheStandbyOnlyWhileThePrimaryIsDown() {
        db.transactions().run(tx -> tx.execute("insert into probe (k, attempts) values ('seen', 1)"));
        pg.awaitStandbyCaughtUp();
        Read<Integer> whileUp = db.read(dsl -> dsl.fetchCount(dsl.selectFrom("probe")));
        assertThat(whileUp.fromStandby()).isFalse();
        assertThat(whileUp.value()).isEqualTo(1);

        pg.killPrimary();
        Read<Integer> whileDown = db.read(dsl -> dsl.fetchCount(dsl.selectFrom("probe")));
        assertThat(whileDown.fromStandby()).isTrue();
        assertThat(whileDown.value()).isEqualTo(1);
        DatabaseStatus status = new DatabaseStatusProbe(db).probe();
        assertThat(status.primaryReachable()).isFalse();
        assertThat(status.readsFromStandby().server()).endsWith(":" + pg.standby().port());

        pg.restartPrimary();
        long deadline = System.nanoTime() + TestTimeouts.seconds(15).toNanos();
        while (db.read(dsl -> 1).fromStandby() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(db.read(dsl -> dsl.fetchCount(dsl.selectFrom("probe"))).fromStandby()).isFalse();
    }

    @Test
    void theStatusShowsThePrimaryAndItsStreamingStandbyWithLag() {
        pg.awaitStreaming();
        DatabaseStatus status = new DatabaseStatusProbe(db).probe();

        assertThat(status.replicated()).isTrue();
        assertThat(status.primary()).isEqualTo("127.0.0.1:" + pg.primary().port());
        assertThat(status.standbys()).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("standby1");
            assertThat(s.state()).isEqualTo("streaming");
            assertThat(s.syncState()).isEqualTo("async");
            assertThat(s.replayLagBytes()).isNotNull().isGreaterThanOrEqualTo(0);
        });
        assertThat(status.replicationDetail()).isEqualTo("full");
        assertThat(status.readsFromStandby()).isNull();
    }

    @Test
    void aDatabaseUserWithoutPgMonitorSeesOnlyTheStandbysNameAndTheStatusSaysSo() {
        pg.awaitStreaming();
        pg.primary().execute("create role plain_node login");
        DatabaseSettings plain = new DatabaseSettings(pg.multiHostUrl(), "plain_node", "", 2, Duration.ofSeconds(1),
                Duration.ofSeconds(10), Duration.ZERO);
        try (Database limited = Database.open(plain, "failover-test-plain")) {
            DatabaseStatus status = new DatabaseStatusProbe(limited).probe();

            assertThat(status.primary()).isEqualTo("127.0.0.1:" + pg.primary().port());
            assertThat(status.standbys()).singleElement().satisfies(s -> {
                assertThat(s.name()).isEqualTo("standby1");
                assertThat(s.state()).isNull();
            });
            assertThat(status.replicationDetail()).contains("pg_monitor");

            pg.primary().execute("grant pg_monitor to plain_node");
            assertThat(new DatabaseStatusProbe(limited).probe().replicationDetail()).isEqualTo("full");
        }
    }
}
