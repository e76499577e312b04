package dev.ticketd.db.patroni;

import com.sun.net.httpserver.HttpServer;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The pool behind {@code db.patroni-urls} against a real PostgreSQL that a Patroni-shaped
 * {@code GET /cluster} names leader (the chaos suite runs the real Patroni).
 */
class PatroniPoolTest {

    @Test
    void connectionsGoToTheLeaderAndKeepEveryTimeout() throws Exception {
        DatabaseSettings plain = TestPostgres.freshDatabaseSettings();
        URI jdbc = URI.create(plain.jdbcUrl().substring("jdbc:".length()));
        HttpServer patroni = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        patroni.createContext("/cluster", exchange -> {
            byte[] body = ("{\"members\": [{\"name\": \"pg1\", \"role\": \"leader\", \"state\": \"running\", \"host\": \""
                    + jdbc.getHost() + "\", \"port\": " + jdbc.getPort() + "}]}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        patroni.start();
        try {
            // the URL's own host list is wrong on purpose: only Patroni's answer can lead to the server
            String elsewhere = plain.jdbcUrl().replace(jdbc.getHost() + ":" + jdbc.getPort(), "127.0.0.1:1");
            DatabaseSettings settings = plain.withJdbcUrl(elsewhere).withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(7))
                    .withPatroniUrls(List.of(URI.create("http://127.0.0.1:" + patroni.getAddress().getPort())));
            try (Database db = Database.open(settings, "patroni-pool-test");
                 Connection c = db.dataSource().getConnection()) {
                assertThat(db.patroniLeader()).contains(jdbc.getHost() + ":" + jdbc.getPort());
                assertThat(c.getNetworkTimeout()).as("socket timeout in ms").isEqualTo(7_000);
                assertThat(db.dsl().fetchValue("select current_setting('idle_in_transaction_session_timeout')"))
                        .isEqualTo("4s");
            }
        } finally {
            patroni.stop(0);
        }
    }

    /**
     * Issue 17's "intake resumes within 2 s of the promotion": while Patroni names a leader that is
     * gone, HikariCP's retries of a failed connection back off to 5 s apart, so when a new leader is
     * named the pool used to stay empty for up to 5 s more. The data source now tries again as soon
     * as Patroni names another leader.
     */
    @Test
    void aNewLeaderIsConnectedToWithinOnePollAfterTheOldOneWasGoneForLong() throws Exception {
        DatabaseSettings plain = TestPostgres.freshDatabaseSettings();
        URI jdbc = URI.create(plain.jdbcUrl().substring("jdbc:".length()));
        String server = jdbc.getHost() + ":" + jdbc.getPort();
        AtomicReference<String> named = new AtomicReference<>(server);
        HttpServer patroni = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        patroni.createContext("/cluster", exchange -> {
            String[] hostPort = named.get().split(":");
            byte[] body = ("{\"members\": [{\"name\": \"pg1\", \"role\": \"leader\", \"state\": \"running\", \"host\": \""
                    + hostPort[0] + "\", \"port\": " + hostPort[1] + "}]}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        patroni.start();
        try {
            DatabaseSettings settings = plain.withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5))
                    .withPatroniUrls(List.of(URI.create("http://127.0.0.1:" + patroni.getAddress().getPort())));
            try (Database db = Database.open(settings, "patroni-failover-test")) {
                assertThat(db.dsl().fetchValue("select 1")).isEqualTo(1);

                // the leader's host is gone (nothing listens on port 1): the pool's connections are
                // replaced by attempts that fail, for long enough that HikariCP's backoff reaches 5 s
                named.set("127.0.0.1:1");
                await().atMost(TestTimeouts.seconds(10)).until(() -> db.patroniLeader().orElse("").equals("127.0.0.1:1"));
                long away = System.nanoTime() + Duration.ofSeconds(12).toNanos();
                int failed = 0;
                while (System.nanoTime() < away) {
                    try {
                        db.dsl().fetchValue("select 1");
                    } catch (RuntimeException expected) {
                        failed++; // each waits the pool's 2 s connection timeout
                    }
                }
                assertThat(failed).as("queries failed while the leader was gone").isGreaterThan(0);

                // Patroni names the promoted member (here: the same server under its real address)
                long promoted = System.nanoTime();
                named.set(server);
                await().atMost(TestTimeouts.seconds(10)).ignoreExceptions()
                        .until(() -> Integer.valueOf(1).equals(db.dsl().fetchValue("select 1")));
                Duration resumed = Duration.ofNanos(System.nanoTime() - promoted);
                System.out.printf("queries resumed %d ms after Patroni named the new leader%n", resumed.toMillis());
                // one Patroni poll (500 ms) and a connection, with room for a loaded machine; HikariCP
                // alone took up to 5 s more
                assertThat(resumed).isLessThan(TestTimeouts.seconds(2.5));
            }
        } finally {
            patroni.stop(0);
        }
    }
}
