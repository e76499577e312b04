package dev.ticketd.node.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ticketd.node.web.WebFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
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

    private static String attachmentJson(String filename, String contentType, String contentBase64) {
        return "{\"filename\": \"" + filename + "\", \"contentType\": \"" + contentType + "\", \"contentBase64\": "
                + (contentBase64 == null ? "null" : "\"" + contentBase64 + "\"") + "}";
    }

    @Test
    void aReplyCarriesFilesInBase64AndTheTicketListsThemLikeInboundOnes() {
        long ticket = web.data.ticket("T-3010", "Files", "open", mailbox, "files@example.test");
        byte[] big = new byte[2 * 1024 * 1024]; // more than Javalin's 1 MB limit for every other route
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        String json = "{\"body\": \"Logs attached.\", \"attachments\": ["
                + attachmentJson("server.log", "text/plain", Base64.getEncoder().encodeToString(big)) + ", "
                + attachmentJson("C:\\\\temp\\\\Grüße.pdf", "weird", Base64.getEncoder().withoutPadding().encodeToString(new byte[]{1, 2, 3, 4})) + "]}";

        HttpResponse<String> response = web.api("POST", "/api/v1/tickets/" + ticket + "/replies", token, json,
                Map.of("Idempotency-Key", "files-3010"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        JsonNode files = parse(response).get("attachments");
        assertThat(files).hasSize(2);
        assertThat(files.get(0).get("filename").asText()).isEqualTo("server.log");
        assertThat(files.get(0).get("contentType").asText()).isEqualTo("text/plain");
        assertThat(files.get(0).get("size").asLong()).isEqualTo(big.length);
        assertThat(files.get(1).get("filename").asText()).as("no path").isEqualTo("Grüße.pdf");
        assertThat(files.get(1).get("contentType").asText()).isEqualTo("application/octet-stream");
        assertThat(web.db.dsl().select(ATTACHMENT.CONTENT).from(ATTACHMENT).where(ATTACHMENT.ID.eq(files.get(0).get("id").asLong()))
                .fetchSingle(ATTACHMENT.CONTENT)).isEqualTo(big);
        JsonNode thread = parse(web.apiGet("/api/v1/tickets/" + ticket, token)).get("messages");
        assertThat(thread.get(0).get("attachments")).isEqualTo(files);
    }

    @Test
    void badBase64OrAMissingFileIsA400NamingTheFieldAndStoresNothing() {
        long ticket = web.data.ticket("T-3011", "Bad files", "open", mailbox, "badfiles@example.test");

        HttpResponse<String> bad = web.api("POST", "/api/v1/tickets/" + ticket + "/replies", token,
                "{\"body\": \"x\", \"attachments\": [" + attachmentJson("a.txt", "text/plain", "YQ==") + ", "
                        + attachmentJson("b.txt", "text/plain", "not base64!") + "]}", Map.of("Idempotency-Key", "files-3011a"));
        HttpResponse<String> missing = web.api("POST", "/api/v1/tickets/" + ticket + "/replies", token,
                "{\"body\": \"x\", \"attachments\": [" + attachmentJson("a.txt", "text/plain", null) + "]}",
                Map.of("Idempotency-Key", "files-3011b"));
        HttpResponse<String> notAList = web.api("POST", "/api/v1/tickets/" + ticket + "/replies", token,
                "{\"body\": \"x\", \"attachments\": \"a.txt\"}", Map.of("Idempotency-Key", "files-3011c"));

        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(parse(bad).get("error").asText()).isEqualTo("attachments[1].contentBase64 is not valid base64");
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(parse(missing).get("error").asText()).startsWith("attachments[0].contentBase64 is required");
        assertThat(notAList.statusCode()).isEqualTo(400);
        assertThat(parse(notAList).get("error").asText()).startsWith("attachments has the wrong type");
        assertThat(web.data.messagesOf(ticket)).isZero();
    }

    @Test
    void filesBeyondTheLimitsAreA400SayingWhich() {
        long ticket = web.data.ticket("T-3012", "Too many", "open", mailbox, "toomany@example.test");
        List<String> eleven = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            eleven.add(attachmentJson("f" + i + ".txt", "text/plain", "YQ=="));
        }

        HttpResponse<String> response = web.api("POST", "/api/v1/tickets/" + ticket + "/replies", token,
                "{\"body\": \"x\", \"attachments\": [" + String.join(", ", eleven) + "]}", Map.of("Idempotency-Key", "files-3012"));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(parse(response).get("error").asText()).isEqualTo("a reply can carry at most 10 files; this one has 11");
        assertThat(web.data.messagesOf(ticket)).isZero();
    }

    @Test
    void aReplyRequestDeclaredLargerThanTheRouteTakesIsA413BeforeItIsSentWhenTheClientAsksToContinue() throws Exception {
        long ticket = web.data.ticket("T-3013", "Huge", "open", mailbox, "hugeapi@example.test");
        long declared = TicketApi.MAX_REPLY_REQUEST_BYTES + 1;

        String answer = rawReply(ticket, "Content-Length: " + declared + "\r\nExpect: 100-continue\r\n", new byte[0]);

        assertThat(answer).startsWith("HTTP/1.1 413").doesNotContain("100 Continue").contains("a reply may carry at most 10 files");
        assertThat(web.data.messagesOf(ticket)).isZero();
    }

    @Test
    void aReplyRequestSentWholeAboveTheLimitIsReadAndItsAnswerArrivesIntact() throws Exception {
        long ticket = web.data.ticket("T-3014", "Huge", "open", mailbox, "hugeapi2@example.test");
        byte[] body = new byte[(int) TicketApi.MAX_REPLY_REQUEST_BYTES + 1024];
        java.util.Arrays.fill(body, (byte) 'a');

        String answer = rawReply(ticket, "Content-Length: " + body.length + "\r\n", body);

        assertThat(answer).startsWith("HTTP/1.1 413").contains("a reply may carry at most 10 files");
        assertThat(web.data.messagesOf(ticket)).isZero();
    }

    /** Sends a reply request by hand (headers as given, then {@code body}) and returns everything answered until the server closes. */
    private String rawReply(long ticket, String headers, byte[] body) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", web.server.port())) {
            socket.setSoTimeout((int) dev.ticketd.testing.TestTimeouts.seconds(10).toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/v1/tickets/" + ticket + "/replies HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer " + token + "\r\nIdempotency-Key: files-" + ticket + "\r\nContent-Type: application/json\r\n"
                    + headers + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
