package dev.ticketd.node.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ticketd.desk.GroupAccess;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.web.WebFixture;
import dev.ticketd.node.web.WebServer;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stale-reply guard through the JSON API with two nodes on one database: two agents who answer
 * the same version of a ticket at once, each through another node, get one mail and one held reply;
 * a note is never held.
 */
class StaleReplyApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(TestTimeouts.seconds(5)).build();

    static WebFixture web;
    static WebServer second;
    static String mailbox;
    static String ana;
    static String ben;
    static int numbers = 8600;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        second = web.newServer(Clock.systemUTC());
        mailbox = web.data.mailbox("api-guard", "help@api-guard.example.test", "Support");
        ana = web.apiTokenOf(web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL)));
        ben = web.apiTokenOf(web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL)));
    }

    @AfterAll
    static void stop() {
        if (second != null) {
            second.close();
        }
        if (web != null) {
            web.close();
        }
    }

    private static long ticket() {
        long ticket = web.data.ticket("T-" + numbers++, "Two nodes", "open", mailbox, "kim@customer.example");
        web.data.inbound(ticket, mailbox, "<" + UUID.randomUUID() + "@customer.example>", "kim@customer.example", "Help!",
                "Subject: x\r\n\r\nHelp!".getBytes(StandardCharsets.US_ASCII));
        return ticket;
    }

    private static long version(long ticket) throws Exception {
        return JSON.readTree(web.apiGet("/api/v1/tickets/" + ticket, ana).body()).get("version").asLong();
    }

    private static HttpRequest post(int port, String path, String token, String json) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(TestTimeouts.seconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .header("Idempotency-Key", UUID.randomUUID().toString())
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    @Test
    void twoAgentsAnsweringTheSameVersionThroughTwoNodesAtOnceGiveOneMailAndOneHeldReply() throws Exception {
        for (int round = 0; round < 5; round++) {
            long ticket = ticket();
            long seen = version(ticket);
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            int[] ports = {web.server.port(), second.port()};
            String[] tokens = {ana, ben};
            for (int i = 0; i < 2; i++) {
                HttpRequest request = post(ports[i], "/api/v1/tickets/" + ticket + "/replies", tokens[i],
                        "{\"body\": \"Answer " + i + "\", \"seen\": " + seen + "}");
                answers.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                        return http.send(request, HttpResponse.BodyHandlers.ofString());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            go.countDown();
            List<Integer> statuses = new ArrayList<>();
            JsonNode held = null;
            for (CompletableFuture<HttpResponse<String>> answer : answers) {
                HttpResponse<String> r = answer.get();
                statuses.add(r.statusCode());
                if (r.statusCode() == 409) {
                    held = JSON.readTree(r.body());
                }
            }

            assertThat(statuses).as("round %d", round).containsExactlyInAnyOrder(201, 409);
            assertThat(held.at("/newMessages/0/kind").asText()).as("the other agent's reply is what changed").isEqualTo("outbound");
            assertThat(web.data.outboxRowsOf(ticket)).isEqualTo(1);
        }
    }

    @Test
    void aNoteIsNeverHeld() throws Exception {
        long ticket = ticket();
        long seen = version(ticket);
        web.data.inbound(ticket, mailbox, "<" + UUID.randomUUID() + "@customer.example>", "kim@customer.example", "More!",
                "Subject: x\r\n\r\nMore!".getBytes(StandardCharsets.US_ASCII));

        HttpResponse<String> note = http.send(post(second.port(), "/api/v1/tickets/" + ticket + "/notes", ana,
                "{\"body\": \"Internal: call them.\", \"seen\": " + seen + "}"), HttpResponse.BodyHandlers.ofString());

        assertThat(note.statusCode()).as(note.body()).isEqualTo(201);
        assertThat(JSON.readTree(note.body()).get("kind").asText()).isEqualTo("note");
        assertThat(web.data.outboxRowsOf(ticket)).isZero();
    }
}
