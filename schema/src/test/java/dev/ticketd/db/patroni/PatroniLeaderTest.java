package dev.ticketd.db.patroni;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The leader as Patroni's {@code GET /cluster} names it, served here by a small HTTP server with
 * answers shaped like Patroni 3.0's (the chaos suite runs the real Patroni).
 */
class PatroniLeaderTest {

    private final AtomicReference<String> body = new AtomicReference<>();
    private HttpServer server;
    private PatroniLeader leader;

    @AfterEach
    void tearDown() {
        if (leader != null) {
            leader.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    private URI serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/cluster", exchange -> {
            byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private static String cluster(String leaderName, String leaderState) {
        return """
                {"members": [
                 {"name": "pg1", "role": "replica", "state": "running", "host": "10.0.0.1", "port": 5432, "timeline": 3, "lag": 0},
                 {"name": "pg2", "role": "%s", "state": "%s", "host": "10.0.0.2", "port": 5433, "timeline": 3},
                 {"name": "pg3", "role": "sync_standby", "state": "running", "host": "10.0.0.3", "port": 5434, "timeline": 3, "lag": 0}]}
                """.formatted(leaderName, leaderState);
    }

    @Test
    void followsTheMemberPatroniNamesLeaderAndTellsWhenItChanges() throws IOException {
        body.set(cluster("leader", "running"));
        URI dead = URI.create("http://127.0.0.1:1"); // a member that does not answer is skipped
        leader = new PatroniLeader(List.of(dead, serve()), Duration.ofHours(1));
        assertThat(leader.leader()).contains(new PatroniLeader.Endpoint("10.0.0.2", 5433));

        AtomicInteger changes = new AtomicInteger();
        leader.onChange(changes::incrementAndGet);
        leader.refresh();
        assertThat(changes).hasValue(0);

        body.set(cluster("replica", "running").replace("\"role\": \"sync_standby\"", "\"role\": \"leader\""));
        leader.refresh();
        assertThat(leader.leader()).contains(new PatroniLeader.Endpoint("10.0.0.3", 5434));
        assertThat(changes).hasValue(1);
    }

    @Test
    void aMemberThatStoppedAnsweringIsNotAskedFirstAgain() throws Exception {
        body.set(cluster("leader", "running"));
        URI answering = serve();
        AtomicInteger asked = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        HttpServer silent = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        silent.createContext("/cluster", exchange -> {
            asked.incrementAndGet();
            try {
                release.await(30, TimeUnit.SECONDS); // never answers within the poll's request timeout
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        silent.setExecutor(Executors.newCachedThreadPool());
        silent.start();
        try {
            leader = new PatroniLeader(List.of(URI.create("http://127.0.0.1:" + silent.getAddress().getPort()), answering),
                    Duration.ofMillis(100)); // the poll's request timeout is 200 ms
            leader.close(); // no background polls: only the refreshes below
            assertThat(leader.leader()).contains(new PatroniLeader.Endpoint("10.0.0.2", 5433));
            assertThat(asked).as("the first poll asks the listed order").hasValue(1);

            leader.refresh();
            leader.refresh();

            assertThat(asked).as("later polls ask the member that answered first").hasValue(1);
            assertThat(leader.leader()).contains(new PatroniLeader.Endpoint("10.0.0.2", 5433));
        } finally {
            release.countDown();
            silent.stop(0);
        }
    }

    @Test
    void keepsTheLastLeaderWhileNoRunningLeaderIsKnown() throws IOException {
        body.set(cluster("leader", "running"));
        leader = new PatroniLeader(List.of(serve()), Duration.ofHours(1));
        body.set(cluster("leader", "stopped"));
        leader.refresh();
        assertThat(leader.leader()).contains(new PatroniLeader.Endpoint("10.0.0.2", 5433));
        server.stop(0);
        leader.refresh();
        assertThat(leader.leader()).contains(new PatroniLeader.Endpoint("10.0.0.2", 5433));
    }

    @Test
    void readsTheConfiguredAddressesAndRefusesOthersByName() {
        assertThat(PatroniLeader.parseUrls(" http://10.0.0.1:8008, http://10.0.0.2:8008/ ,"))
                .containsExactly(URI.create("http://10.0.0.1:8008"), URI.create("http://10.0.0.2:8008"));
        assertThatThrownBy(() -> PatroniLeader.parseUrls("10.0.0.1:8008"))
                .hasMessageContaining("not a Patroni REST address").hasMessageContaining("10.0.0.1:8008");
    }

    @Test
    void connectionsGoToTheLeaderWithTheRestOfTheUrlKept() {
        assertThat(LeaderDataSource.withHost("jdbc:postgresql://a:1,b:2,c:3/ticketd?targetServerType=primary&socketTimeout=5",
                new PatroniLeader.Endpoint("10.0.0.2", 5433)))
                .isEqualTo("jdbc:postgresql://10.0.0.2:5433/ticketd?targetServerType=primary&socketTimeout=5");
        assertThat(LeaderDataSource.withHost("jdbc:postgresql://a:1/db", new PatroniLeader.Endpoint("fd00::2", 5432)))
                .isEqualTo("jdbc:postgresql://[fd00::2]:5432/db");
    }
}
