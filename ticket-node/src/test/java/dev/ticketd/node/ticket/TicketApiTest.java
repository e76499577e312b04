package dev.ticketd.node.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ticketd.node.web.WebFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class TicketApiTest {

    static final ObjectMapper json = new ObjectMapper();
    static WebFixture web;
    static String token;
    static String mailbox;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        token = web.apiToken();
        mailbox = web.data.mailbox("api", "api@desk.example.test");
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    static JsonNode parse(HttpResponse<String> response) {
        try {
            return json.readTree(response.body());
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    @Test
    void pagingWithTheCursorReturnsEveryTicketExactlyOnceNewestFirst() {
        // 1101 tickets, three at a time sharing one created_at, so the id must break ties
        OffsetDateTime base = OffsetDateTime.of(2020, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
        Set<Long> created = new HashSet<>();
        for (int i = 0; i < 1101; i++) {
            created.add(web.data.ticket("P-" + i, "Paging " + i, "resolved", null, "pager@example.test",
                    base.plusSeconds(i / 3)));
        }

        List<Long> seen = new ArrayList<>();
        List<OffsetDateTime> times = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            HttpResponse<String> response = web.apiGet("/api/v1/tickets?status=resolved&limit=500"
                    + (cursor == null ? "" : "&cursor=" + cursor), token);
            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode body = parse(response);
            for (JsonNode t : body.get("tickets")) {
                seen.add(t.get("id").asLong());
                times.add(OffsetDateTime.parse(t.get("createdAt").asText()));
            }
            cursor = body.get("nextCursor").isNull() ? null : body.get("nextCursor").asText();
            pages++;
        } while (cursor != null);

        assertThat(pages).isEqualTo(3);
        assertThat(seen).doesNotHaveDuplicates().hasSize(1101);
        assertThat(new HashSet<>(seen)).isEqualTo(created);
        for (int i = 1; i < times.size(); i++) {
            assertThat(times.get(i)).isBeforeOrEqualTo(times.get(i - 1));
        }
    }

    @Test
    void aLimitAbove500OrNotANumberOrAMalformedCursorIsA400() {
        for (String query : new String[]{"limit=501", "limit=0", "limit=abc", "cursor=not-a-cursor", "status=nope"}) {
            HttpResponse<String> response = web.apiGet("/api/v1/tickets?" + query, token);
            assertThat(response.statusCode()).as(query).isEqualTo(400);
            assertThat(parse(response).get("error").asText()).as(query).isNotBlank();
            assertThat(parse(response).get("errorId").asText()).as(query).isNotBlank();
        }
        assertThat(parse(web.apiGet("/api/v1/tickets?limit=501", token)).get("error").asText()).contains("500");
    }

    @Test
    void aTicketComesWithItsMessages() {
        long ticket = web.data.ticket("T-3001", "API detail", "open", mailbox, "d@example.test");
        long inbound = web.data.inbound(ticket, mailbox, "<d@x>", "d@example.test", "first words",
                "Subject: API detail\r\n\r\nfirst words".getBytes(StandardCharsets.US_ASCII));

        JsonNode body = parse(web.apiGet("/api/v1/tickets/" + ticket, token));

        assertThat(body.get("number").asText()).isEqualTo("T-3001");
        assertThat(body.get("messages")).hasSize(1);
        JsonNode message = body.get("messages").get(0);
        assertThat(message.get("kind").asText()).isEqualTo("inbound");
        assertThat(message.get("bodyText").asText()).isEqualTo("first words");
        assertThat(message.get("inboundMessageId").asLong()).isEqualTo(inbound);
        assertThat(message.get("author").asText()).contains("d@example.test");
        assertThat(OffsetDateTime.parse(message.get("createdAt").asText())).isNotNull();
        assertThat(web.apiGet("/api/v1/tickets/424242", token).statusCode()).isEqualTo(404);
    }

    @Test
    void aReplyPostedTwiceWithTheSameIdempotencyKeyExistsOnce() {
        long ticket = web.data.ticket("T-3002", "API reply", "open", mailbox, "r@example.test");
        Map<String, String> key = Map.of("Idempotency-Key", "api-key-3002");

        HttpResponse<String> first = web.api("POST", "/api/v1/tickets/" + ticket + "/replies", token, "{\"body\":\"On it\"}", key);
        HttpResponse<String> second = web.api("POST", "/api/v1/tickets/" + ticket + "/replies", token, "{\"body\":\"On it\"}", key);

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(parse(second).get("id").asLong()).isEqualTo(parse(first).get("id").asLong());
        assertThat(parse(first).get("bodyText").asText()).isEqualTo("On it");
        assertThat(web.data.outboundMessagesOf(ticket)).isEqualTo(1);
        assertThat(web.data.outboxRowsOf(ticket)).isEqualTo(1);
    }

    @Test
    void concurrentRepliesWithTheSameKeyCreateOneMessage() throws Exception {
        long ticket = web.data.ticket("T-3007", "Racing", "open", mailbox, "race@example.test");
        Map<String, String> key = Map.of("Idempotency-Key", "race-key-3007");
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(pool.submit(() -> web.api("POST", "/api/v1/tickets/" + ticket + "/replies", token, "{\"body\":\"once\"}", key)));
            }
            List<Integer> statuses = new ArrayList<>();
            for (var call : calls) {
                statuses.add(call.get(dev.ticketd.testing.TestTimeouts.seconds(20).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).statusCode());
            }
            assertThat(statuses).containsOnly(201, 200).containsOnlyOnce(201);
        } finally {
            pool.shutdownNow();
        }
        assertThat(web.data.outboundMessagesOf(ticket)).isEqualTo(1);
        assertThat(web.data.outboxRowsOf(ticket)).isEqualTo(1);
    }

    @Test
    void aReplyWithoutAnIdempotencyKeyOrBodyIsA400AndCreatesNothing() {
        long ticket = web.data.ticket("T-3003", "API bad", "open", mailbox, "b@example.test");

        HttpResponse<String> noKey = web.api("POST", "/api/v1/tickets/" + ticket + "/replies", token, "{\"body\":\"x\"}", Map.of());
        HttpResponse<String> noBody = web.api("POST", "/api/v1/tickets/" + ticket + "/replies", token, "{}", Map.of("Idempotency-Key", "k-3003"));
        HttpResponse<String> notJson = web.api("POST", "/api/v1/tickets/" + ticket + "/replies", token, "hello", Map.of("Idempotency-Key", "k-3003b"));

        assertThat(noKey.statusCode()).isEqualTo(400);
        assertThat(parse(noKey).get("error").asText()).contains("Idempotency-Key");
        assertThat(noBody.statusCode()).isEqualTo(400);
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(web.data.messagesOf(ticket)).isZero();
    }

    @Test
    void anIdempotencyKeyReusedForAnotherTicketIsA409() {
        long one = web.data.ticket("T-3004", "One", "open", mailbox, "one@example.test");
        long two = web.data.ticket("T-3005", "Two", "open", mailbox, "two@example.test");
        Map<String, String> key = Map.of("Idempotency-Key", "shared-key-3004");

        assertThat(web.api("POST", "/api/v1/tickets/" + one + "/replies", token, "{\"body\":\"a\"}", key).statusCode()).isEqualTo(201);
        HttpResponse<String> conflict = web.api("POST", "/api/v1/tickets/" + two + "/replies", token, "{\"body\":\"b\"}", key);

        assertThat(conflict.statusCode()).isEqualTo(409);
        assertThat(web.data.messagesOf(two)).isZero();
    }

    @Test
    void theRawMailDownloadsThroughTheApi() {
        long ticket = web.data.ticket("T-3006", "Raw API", "open", mailbox, "raw@example.test");
        byte[] raw = "Subject: raw\r\n\r\nbytes\r\n".getBytes(StandardCharsets.US_ASCII);
        long inbound = web.data.inbound(ticket, mailbox, "<raw-api@x>", "raw@example.test", "bytes", raw);

        HttpResponse<byte[]> response = web.getBytes("/api/v1/inbound/" + inbound + "/raw", Map.of("Authorization", "Bearer " + token));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(raw);
        assertThat(response.headers().firstValue("Content-Disposition")).hasValue("attachment; filename=\"message-" + inbound + ".eml\"");
        assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    }
}
