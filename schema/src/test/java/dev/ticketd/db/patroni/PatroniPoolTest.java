package dev.ticketd.db.patroni;

import com.sun.net.httpserver.HttpServer;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

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
}
