package dev.ticketd.node.auth;

import dev.ticketd.db.Database;
import dev.ticketd.testing.TestReplicatedPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Staff-account and session writes take the same durable path as every other write: they ride out
 * a primary that goes away, and a commit that synchronous replication did not confirm is not
 * reported as done. A real primary + streaming standby; the faults are a killed primary and a
 * cancelled wait for synchronous replication.
 */
class AccountWritesFailoverIT {

    private TestReplicatedPostgres pg;
    private Database db;
    private StaffAccounts accounts;
    private WebSessions sessions;
    private final ExecutorService callers = Executors.newFixedThreadPool(4);

    @BeforeEach
    void setUp() {
        assumeTrue(TestReplicatedPostgres.available(),
                "needs the system's PostgreSQL binaries (pg_basebackup); install postgresql to run it");
        pg = TestReplicatedPostgres.start();
        db = Database.open(pg.settings(), "accounts-failover");
        accounts = new StaffAccounts(db);
        sessions = new WebSessions(db, Clock.systemUTC(), Duration.ofHours(8), Duration.ofMinutes(30));
    }

    @AfterEach
    void tearDown() {
        callers.shutdownNow();
        if (db != null) {
            db.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void accountAndSessionWritesMadeWhileThePrimaryIsDownWaitForItAndThenCommitOnce() throws Exception {
        long ann = accounts.createUser("ann@example.test", "Ann", "first password", Role.AGENT);
        WebSessions.NewSession login = sessions.create(ann);
        WebSessions.Session session = sessions.find(login.token()).orElseThrow();
        long retriesBefore = db.transactions().counters().retries();

        pg.killPrimary();
        List<CompletableFuture<?>> writes = List.of(
                CompletableFuture.supplyAsync(() -> accounts.createUser("bob@example.test", "Bob", "bob password", Role.ADMIN), callers),
                CompletableFuture.runAsync(() -> accounts.setPassword("ann@example.test", "second password"), callers),
                CompletableFuture.supplyAsync(() -> new ApiTokens(db, Clock.systemUTC()).create("ann@example.test", "ci", null), callers),
                CompletableFuture.runAsync(() -> sessions.delete(session), callers));
        await("every write is retried while the primary is down").atMost(TestTimeouts.seconds(20))
                .pollInterval(Duration.ofMillis(50))
                .failFast("a write failed instead of waiting for the database", () -> writes.stream().anyMatch(CompletableFuture::isCompletedExceptionally))
                .until(() -> db.transactions().counters().retries() - retriesBefore >= writes.size());
        pg.restartPrimary();

        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(TestTimeouts.seconds(30).toMillis(), TimeUnit.MILLISECONDS);
        // logins read from a standby until the node sees the primary again, and a standby may not
        // have applied a commit it confirmed yet; what is checked here is what the primary stored
        await("the node sees the primary again").atMost(TestTimeouts.seconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> db.primaryState().orElseThrow().reachable());
        assertThat(db.dsl().fetchCount(STAFF_USER, STAFF_USER.EMAIL.eq("bob@example.test"))).isEqualTo(1);
        assertThat(writes.get(0).get()).isEqualTo(db.dsl().select(STAFF_USER.ID).from(STAFF_USER)
                .where(STAFF_USER.EMAIL.eq("bob@example.test")).fetchSingle(STAFF_USER.ID));
        assertThat(accounts.authenticate("ann@example.test", "first password")).isEmpty();
        assertThat(accounts.authenticate("ann@example.test", "second password")).isPresent();
        String apiToken = ((ApiTokens.NewToken) writes.get(2).get()).token();
        // checking a token is a read, served by the standby until the primary watch sees the primary again
        // (within a second); the standby confirmed the commit but may apply it a moment later
        await("the new token works").atMost(TestTimeouts.seconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> new ApiTokens(db, Clock.systemUTC()).authenticate(apiToken).map(StaffUser::id).equals(Optional.of(ann)));
        assertThat(sessions.find(login.token())).as("logged out on every node (and by the password change)").isEmpty();
    }

    @Test
    void aStaffUserWhoseCommitSynchronousReplicationDidNotConfirmIsNotReportedCreatedUntilItIs() throws Exception {
        pg.primary().execute("alter system set synchronous_standby_names = 'nobody'");
        pg.primary().execute("select pg_reload_conf()");
        await().atMost(TestTimeouts.seconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> "nobody".equals(db.dsl().fetchValue("show synchronous_standby_names")));
        long retriesBefore = db.transactions().counters().retries();

        CompletableFuture<Long> create = CompletableFuture.supplyAsync(
                () -> accounts.createUser("carol@example.test", "Carol", "carol password", Role.AGENT), callers);
        int waiting = awaitCommitWaitingForSyncReplication(create);
        // what an operator's cancel, a statement timeout or a lost client connection does: PostgreSQL
        // then answers the commit with success and only a warning, though no standby has the row
        assertThat(queryPrimary("select pg_cancel_backend(" + waiting + ")::int")).as("cancelled").isEqualTo(1);

        await("the unconfirmed commit is tried again").atMost(TestTimeouts.seconds(20)).pollInterval(Duration.ofMillis(50))
                .failFast("the write was reported done though no standby confirmed its commit", create::isDone)
                .until(() -> db.transactions().counters().retries() > retriesBefore
                        && queryPrimary("select count(*) from pg_stat_activity where wait_event = 'SyncRep'") > 0);

        pg.primary().execute("alter system reset synchronous_standby_names");
        pg.primary().execute("select pg_reload_conf()");
        long id = create.get(TestTimeouts.seconds(20).toMillis(), TimeUnit.MILLISECONDS);
        assertThat(db.dsl().select(STAFF_USER.ID).from(STAFF_USER).where(STAFF_USER.EMAIL.eq("carol@example.test")).fetch(STAFF_USER.ID))
                .as("created once, and the replay answers with the row it stored").containsExactly(id);
        assertThat(accounts.authenticate("carol@example.test", "carol password")).isPresent();
    }

    private int awaitCommitWaitingForSyncReplication(CompletableFuture<?> write) {
        await("a commit waits for synchronous replication").atMost(TestTimeouts.seconds(20)).pollInterval(Duration.ofMillis(50))
                .failFast("the write ended before its commit was confirmed", write::isDone)
                .until(() -> queryPrimary("select count(*) from pg_stat_activity where wait_event = 'SyncRep'") > 0);
        return (int) queryPrimary("select pid from pg_stat_activity where wait_event = 'SyncRep' limit 1");
    }

    private long queryPrimary(String sql) {
        try (Connection c = DriverManager.getConnection(pg.primary().jdbcUrl(TestReplicatedPostgres.DATABASE), "postgres", "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }
}
