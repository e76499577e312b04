package dev.ticketd.node.watch;

import dev.ticketd.cluster.ClusterView;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.Migrations;
import dev.ticketd.node.auth.MovableClock;
import dev.ticketd.node.health.DatabaseHealth;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.ALERT_EPISODE;
import static dev.ticketd.db.generated.Tables.ALERT_NOTICE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The watch fails open: while its database refuses every connection (a real PostgreSQL told to
 * accept none, its sessions ended) it still alerts through the webhook, once, and when the database
 * is back it records that alert so it is not sent again, and the all-clear goes out once.
 */
class SelfWatchWithoutDatabaseTest {

    private static final Duration STEP = Duration.ofSeconds(30);

    private DatabaseSettings settings;
    private String name;
    private Database db;
    private DatabaseHealth health;
    private WebhookSink sink;
    private final MovableClock clock = new MovableClock();

    @BeforeEach
    void setUp() throws Exception {
        settings = TestPostgres.freshDatabaseSettings().withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(5))
                .withRetryBudget(Duration.ofSeconds(1));
        name = settings.jdbcUrl().replaceAll(".*/([^/?]+)(\\?.*)?$", "$1");
        db = Database.open(settings.withMaxPoolSize(4), "watch-test");
        Migrations.migrate(db.dataSource());
        health = new DatabaseHealth(db, Duration.ofSeconds(1));
        sink = WebhookSink.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        allowConnections(true);
        health.close();
        sink.close();
        db.close();
    }

    /** Lets the test database accept connections, or refuses them and ends every session it has. */
    private void allowConnections(boolean allow) throws Exception {
        String admin = settings.jdbcUrl().replace("/" + name, "/postgres");
        try (Connection c = DriverManager.getConnection(admin, settings.user(), settings.password()); Statement st = c.createStatement()) {
            st.execute("alter database " + name + " allow_connections " + allow);
            if (!allow) {
                st.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = '" + name + "'");
            }
        }
    }

    @Test
    void withoutItsDatabaseTheWatchStillAlertsOnceAndRecordsItWhenTheDatabaseIsBack() throws Exception {
        WatchSettings watchSettings = new WatchSettings(Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(15),
                Duration.ofMinutes(30), Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ofSeconds(15), 1, 2, Duration.ZERO,
                WatchSettings.DEFAULT_CANARY_DEADLINE, null, null, new WatchSettings.AlertWebhook(sink.url(),
                        WatchSettings.WebhookFormat.JSON, ""));
        // a cluster of this node alone: nobody else can say the database answers them
        ClusterView view = new ClusterView("test", "node-a", List.of(new ClusterView.Node("node-a", null, true, true, Instant.now(),
                List.of())), List.of());
        HttpClient http = HttpClient.newHttpClient();
        SelfWatch watch = new SelfWatch("node-a", "test", watchSettings, new Sampler(db, health, id -> Optional.empty(),
                http, clock), null, new AlertEpisodes(db, Duration.ofSeconds(1)), SelfWatch.channels(watchSettings, http), () -> view,
                () -> true, http, clock);
        watch.leadershipGained(SelfWatch.DUTY);
        watch.round();
        assertThat(sink.bodies()).isEmpty();

        allowConnections(false);
        for (int i = 0; i < 5; i++) {
            clock.advance(STEP);
            watch.round();
        }
        assertThat(sink.events()).as("alerted without the database, once").containsExactly("open database-unreachable");
        assertThat(sink.bodies().get(0)).contains("sent without the database");

        allowConnections(true);
        // the pool backs off between failed connection attempts (up to seconds): wait until it connects again
        await().atMost(TestTimeouts.seconds(20)).ignoreExceptions().until(() -> db.dsl().selectOne().fetchOne() != null);
        clock.advance(STEP);
        watch.round();
        assertThat(sink.events()).as("the alert is recorded, not sent again").containsExactly("open database-unreachable");
        assertThat(db.dsl().select(ALERT_NOTICE.SENT_AT).from(ALERT_NOTICE).join(ALERT_EPISODE).on(ALERT_EPISODE.ID.eq(ALERT_NOTICE.EPISODE_ID))
                .where(ALERT_EPISODE.RULE.eq("database-unreachable").and(ALERT_NOTICE.EVENT.eq("open"))).fetchOne().value1()).isNotNull();
        clock.advance(STEP);
        watch.round();
        assertThat(sink.events()).containsExactly("open database-unreachable", "clear database-unreachable");
        assertThat(db.dsl().fetchCount(ALERT_EPISODE, ALERT_EPISODE.CLOSED_AT.isNotNull())).isEqualTo(1);
    }
}
