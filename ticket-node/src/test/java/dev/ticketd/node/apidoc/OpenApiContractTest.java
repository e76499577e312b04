package dev.ticketd.node.apidoc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ticketd.mail.ContentKey;
import dev.ticketd.desk.GroupAccess;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.quarantine.QuarantineApi;
import dev.ticketd.node.quarantine.QuarantineService;
import dev.ticketd.node.ticket.ReplyAttachments;
import dev.ticketd.node.ticket.ReplyService;
import dev.ticketd.node.ticket.SavedViews;
import dev.ticketd.node.ticket.TicketApi;
import dev.ticketd.node.ticket.TicketFilter;
import dev.ticketd.node.ticket.TicketQueries;
import dev.ticketd.node.web.Access;
import dev.ticketd.node.web.RouteTable;
import dev.ticketd.node.web.WebFixture;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAPI document served at {@code GET /api/v1/openapi.json} is the API's contract, and it is
 * true: it names exactly the {@code /api/v1} routes of the node's route table (method, path template
 * and whether a login is needed), and the node's real answers — successes and errors — are the
 * statuses and bodies it describes, checked with a JSON Schema validator (see {@link ApiContract}).
 * A document that says something else fails here, as {@link #aDocumentThatSaysSomethingElseFailsTheCheck} shows.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenApiContractTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicLong numbers = new AtomicLong();
    private static final Pattern PARAMETER = Pattern.compile("\\{[^}]+}");

    private static WebFixture web;
    private static ApiContract contract;
    private static String agent;
    private static String admin;
    private static String mailbox;
    /** Every {@code METHOD template status} whose answer was checked against the document. */
    private static final Set<String> checked = ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void start() {
        web = new WebFixture();
        contract = ApiContract.of(web.apiGet(ApiDocument.PATH, null).body());
        agent = web.apiToken(Role.AGENT);
        admin = web.apiToken(Role.ADMIN);
        mailbox = web.data.mailbox("contract", "help@contract.example.test");
    }

    @AfterAll
    static void stop() {
        if (web != null) {
            web.close();
        }
    }

    @Test
    void theDocumentIsServedWithoutALoginAsTheResourceInTheJar() throws IOException {
        HttpResponse<String> served = web.apiGet(ApiDocument.PATH, null);

        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        try (InputStream in = ApiDocument.class.getResourceAsStream(ApiDocument.RESOURCE)) {
            assertThat(served.body()).isEqualTo(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        assertThat(contract.document().path("openapi").asText()).startsWith("3.1.");
        assertAsDocumented("GET", ApiDocument.PATH, served);
    }

    @Test
    void everyApiRouteOfTheRouteTableIsInTheDocumentAndNothingElse() {
        Set<String> routes = new TreeSet<>();
        Set<String> publicRoutes = new TreeSet<>();
        for (RouteTable.Route route : web.server.routes()) {
            if (route.path().startsWith("/api/v1/")) {
                routes.add(route.method() + " " + route.path());
                if (route.access() == Access.PUBLIC) {
                    publicRoutes.add(route.method() + " " + route.path());
                }
            }
        }

        assertThat(contract.operations()).as("operations in the document (left) against the route table's /api/v1 routes")
                .containsExactlyInAnyOrderElementsOf(routes);
        assertThat(operationsWithoutLogin()).as("operations the document says need no login (security: [])")
                .containsExactlyInAnyOrderElementsOf(publicRoutes);
    }

    @Test
    void everyReferenceInTheDocumentResolvesAndEveryOperationHasItsOwnId() {
        List<String> refs = new ArrayList<>();
        collectRefs(contract.document(), refs);
        assertThat(refs).isNotEmpty().allSatisfy(ref -> {
            assertThat(ref).startsWith("#/");
            assertThat(contract.document().at(ref.substring(1)).isMissingNode()).as(ref + " resolves").isFalse();
        });

        List<String> ids = new ArrayList<>();
        contract.document().path("paths").forEach(path -> path.fields().forEachRemaining(op -> {
            if (ApiContract.METHODS.contains(op.getKey())) {
                ids.add(op.getValue().path("operationId").asText(""));
            }
        }));
        assertThat(ids).doesNotContain("").doesNotHaveDuplicates();
    }

    /** Limits that no answer shows are the code's: what the document promises is what the node enforces. */
    @Test
    void theLimitsInTheDocumentAreTheNodes() {
        JsonNode components = contract.document().path("components");

        assertThat(components.at("/parameters/Limit/schema/maximum").asInt()).isEqualTo(TicketQueries.MAX_LIMIT)
                .isEqualTo(QuarantineService.MAX_LIMIT);
        assertThat(components.at("/parameters/Limit/schema/default").asInt()).isEqualTo(TicketApi.DEFAULT_LIMIT)
                .isEqualTo(QuarantineApi.DEFAULT_LIMIT);
        assertThat(components.at("/parameters/IdempotencyKey/schema/maxLength").asInt()).isEqualTo(ReplyService.MAX_KEY_LENGTH);
        assertThat(components.at("/schemas/StaffMessageRequest/properties/body/maxLength").asInt()).isEqualTo(ReplyService.MAX_BODY_LENGTH);
        assertThat(components.at("/schemas/StaffMessageRequest/properties/attachments/maxItems").asInt())
                .isEqualTo(ReplyAttachments.MAX_FILES);
        assertThat(components.at("/schemas/History/properties/limit/const").asInt()).isEqualTo(TicketQueries.HISTORY_SHOWN);
        assertThat(components.at("/schemas/TicketDetail/properties/history/maxItems").asInt()).isEqualTo(TicketQueries.HISTORY_SHOWN);
        assertThat(contract.document().at("/paths/" + ApiContract.escape("/api/v1/views") + "/get/responses/200/content"
                + "/application~1json/schema/properties/limit/const").asInt()).isEqualTo(SavedViews.MAX_VIEWS);
        assertThat(components.at("/schemas/SavedView/properties/name/maxLength").asInt()).isEqualTo(SavedViews.MAX_NAME_LENGTH);
        assertThat(components.at("/schemas/SavedView/properties/count/maximum").asInt()).isEqualTo(TicketQueries.COUNT_CAP);
        assertThat(components.at("/schemas/SavedViewRequest/properties/query/maxLength").asInt())
                .isEqualTo(TicketFilter.MAX_QUERY_LENGTH);
    }

    @Test
    void ticketListsDetailsHistoryAndRawMailAreAsDocumented() throws IOException {
        long ticket = ticketWithInboundMail("Printer on fire");

        assertAsDocumented("GET", "/api/v1/tickets", web.apiGet("/api/v1/tickets?limit=1", agent));
        HttpResponse<String> open = web.apiGet("/api/v1/tickets?status=open&limit=500", agent);
        assertAsDocumented("GET", "/api/v1/tickets", open);
        assertThat(JSON.readTree(open.body()).get("tickets").findValues("id")).extracting(JsonNode::asLong).contains(ticket);
        assertAsDocumented("GET", "/api/v1/tickets/{id}", get("/api/v1/tickets/{id}", agent, ticket));
        assertAsDocumented("GET", "/api/v1/tickets/{id}/history", get("/api/v1/tickets/{id}/history", agent, ticket));
        HttpResponse<String> raw = get("/api/v1/inbound/{id}/raw", agent, inboundMailOf(ticket));
        assertThat(raw.statusCode()).isEqualTo(200);
        assertAsDocumented("GET", "/api/v1/inbound/{id}/raw", raw);
    }

    @Test
    void patchingATicketAnswersTheTicketWithItsHistoryAsDocumented() throws IOException {
        long ticket = ticketWithInboundMail("Site down");
        String change = "{\"status\": \"pending\", \"priority\": \"urgent\"}";
        assertThat(contract.problemsWithRequest("PATCH", "/api/v1/tickets/{id}", change)).isEmpty();

        HttpResponse<String> patched = call("PATCH", "/api/v1/tickets/{id}", agent, change, Map.of(), ticket);

        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(200);
        assertAsDocumented("PATCH", "/api/v1/tickets/{id}", patched);
        assertThat(JSON.readTree(patched.body()).get("history")).isNotEmpty();
        assertAsDocumented("GET", "/api/v1/tickets/{id}/history", get("/api/v1/tickets/{id}/history", agent, ticket));

        String bulk = "{\"ids\": [" + ticket + ", 99999999], \"priority\": \"high\"}";
        assertThat(contract.problemsWithRequest("POST", "/api/v1/tickets/bulk", bulk)).isEmpty();
        HttpResponse<String> many = web.api("POST", "/api/v1/tickets/bulk", agent, bulk, Map.of());
        assertThat(many.statusCode()).as(many.body()).isEqualTo(200);
        assertAsDocumented("POST", "/api/v1/tickets/bulk", many);
        expect(400, "POST", "/api/v1/tickets/bulk", web.api("POST", "/api/v1/tickets/bulk", agent, "{\"ids\": []}", Map.of()));

        HttpResponse<String> taken = call("PATCH", "/api/v1/tickets/{id}", agent, "{\"owner\": \"me\"}", Map.of(), ticket);
        assertThat(JSON.readTree(taken.body()).get("owner").asText()).as(taken.body()).contains("@");
        assertAsDocumented("PATCH", "/api/v1/tickets/{id}", taken);
        web.data.group("Elsewhere");
        HttpResponse<String> movedAway = call("PATCH", "/api/v1/tickets/{id}", agent, "{\"group\": \"Elsewhere\"}", Map.of(), ticket);
        assertThat(JSON.readTree(movedAway.body()).get("visible").asBoolean(true)).as(movedAway.body()).isFalse();
        assertAsDocumented("PATCH", "/api/v1/tickets/{id}", movedAway);
    }

    @Test
    void repliesAndNotesWithFilesAndTheirRepeatsAreAsDocumented() {
        long ticket = ticketWithInboundMail("Invoice missing");
        String body = "{\"body\": \"Here it is.\", \"attachments\": [{\"filename\": \"invoice.txt\", \"contentType\": \"text/plain\", "
                + "\"contentBase64\": \"" + Base64.getEncoder().encodeToString("total: 42".getBytes(StandardCharsets.UTF_8)) + "\"}]}";
        for (String template : List.of("/api/v1/tickets/{id}/replies", "/api/v1/tickets/{id}/notes")) {
            assertThat(contract.problemsWithRequest("POST", template, body)).isEmpty();
            Map<String, String> key = Map.of("Idempotency-Key", UUID.randomUUID().toString());

            HttpResponse<String> created = call("POST", template, agent, body, key, ticket);
            HttpResponse<String> repeated = call("POST", template, agent, body, key, ticket);

            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            assertThat(repeated.statusCode()).as(repeated.body()).isEqualTo(200);
            assertAsDocumented("POST", template, created);
            assertAsDocumented("POST", template, repeated);
        }
        assertAsDocumented("GET", "/api/v1/tickets/{id}", get("/api/v1/tickets/{id}", agent, ticket));
    }

    @Test
    void aStaleReplyItsHeldReplyAndSendingOrDiscardingItAreAsDocumented() throws IOException {
        long ticket = ticketWithInboundMail("Stale reply");
        long seen = JSON.readTree(get("/api/v1/tickets/{id}", agent, ticket).body()).get("version").asLong();
        web.data.inbound(ticket, mailbox, "<" + UUID.randomUUID() + "@example.test>", "requester@example.test", "One more thing",
                mail("Stale reply", true));
        String reply = "{\"body\": \"Here you are.\", \"seen\": " + seen + "}";
        assertThat(contract.problemsWithRequest("POST", "/api/v1/tickets/{id}/replies", reply)).isEmpty();
        Map<String, String> key = Map.of("Idempotency-Key", UUID.randomUUID().toString());

        HttpResponse<String> held = call("POST", "/api/v1/tickets/{id}/replies", agent, reply, key, ticket);
        HttpResponse<String> replayed = call("POST", "/api/v1/tickets/{id}/replies", agent, reply, key, ticket);
        HttpResponse<String> byIfMatch = call("POST", "/api/v1/tickets/{id}/replies", agent, "{\"body\": \"Also this.\"}",
                Map.of("Idempotency-Key", UUID.randomUUID().toString(), "If-Match", "\"" + seen + "\""), ticket);

        expect(409, "POST", "/api/v1/tickets/{id}/replies", held);
        expect(409, "POST", "/api/v1/tickets/{id}/replies", replayed);
        expect(409, "POST", "/api/v1/tickets/{id}/replies", byIfMatch);
        JsonNode stale = JSON.readTree(held.body());
        long heldId = stale.at("/heldReply/id").asLong();
        long version = stale.get("version").asLong();
        assertThat(stale.at("/newMessages/0/bodyText").asText()).isEqualTo("One more thing");
        assertThat(JSON.readTree(replayed.body()).at("/heldReply/id").asLong()).as("a replay answers the same held reply").isEqualTo(heldId);
        assertThat(version).isGreaterThan(seen);

        HttpResponse<String> list = get("/api/v1/held-replies", agent);
        expect(200, "GET", "/api/v1/held-replies", list);
        assertThat(list.body()).contains("\"id\":" + heldId);
        expect(400, "GET", "/api/v1/held-replies", web.apiGet("/api/v1/held-replies?limit=101", agent));
        expect(401, "GET", "/api/v1/held-replies", web.apiGet("/api/v1/held-replies", null));

        String send = "{\"body\": \"Here you are, and for the other thing too.\", \"seen\": " + version + "}";
        assertThat(contract.problemsWithRequest("POST", "/api/v1/held-replies/{id}/send", send)).isEmpty();
        expect(400, "POST", "/api/v1/held-replies/{id}/send", call("POST", "/api/v1/held-replies/{id}/send", agent,
                "{\"seen\": \"yesterday\"}", Map.of(), heldId));
        expect(400, "POST", "/api/v1/held-replies/{id}/send", call("POST", "/api/v1/held-replies/{id}/send", agent,
                "{\"colour\": \"red\"}", Map.of(), heldId));
        expect(400, "POST", "/api/v1/tickets/{id}/replies", call("POST", "/api/v1/tickets/{id}/replies", agent, "{\"body\": \"x\"}",
                Map.of("Idempotency-Key", UUID.randomUUID().toString(), "If-Match", "yesterday"), ticket));
        expect(201, "POST", "/api/v1/held-replies/{id}/send", call("POST", "/api/v1/held-replies/{id}/send", agent, send, Map.of(), heldId));
        expect(200, "POST", "/api/v1/held-replies/{id}/send", call("POST", "/api/v1/held-replies/{id}/send", agent, send, Map.of(), heldId));
        expect(200, "POST", "/api/v1/tickets/{id}/replies", call("POST", "/api/v1/tickets/{id}/replies", agent, reply, key, ticket));
        expect(409, "POST", "/api/v1/held-replies/{id}/discard", call("POST", "/api/v1/held-replies/{id}/discard", agent, null, Map.of(),
                heldId));
        expect(404, "POST", "/api/v1/held-replies/{id}/send", call("POST", "/api/v1/held-replies/{id}/send", agent, null, Map.of(),
                99_999_999L));
        expect(401, "POST", "/api/v1/held-replies/{id}/send", call("POST", "/api/v1/held-replies/{id}/send", null, null, Map.of(), heldId));

        long other = JSON.readTree(byIfMatch.body()).at("/heldReply/id").asLong();
        expect(200, "POST", "/api/v1/held-replies/{id}/discard", call("POST", "/api/v1/held-replies/{id}/discard", agent, null, Map.of(),
                other));
        HttpResponse<String> again = call("POST", "/api/v1/held-replies/{id}/discard", agent, null, Map.of(), other);
        expect(200, "POST", "/api/v1/held-replies/{id}/discard", again);
        assertThat(JSON.readTree(again.body()).get("status").asText()).isEqualTo("discarded");
        expect(409, "POST", "/api/v1/held-replies/{id}/send", call("POST", "/api/v1/held-replies/{id}/send", agent, null, Map.of(), other));
        expect(404, "POST", "/api/v1/held-replies/{id}/discard", call("POST", "/api/v1/held-replies/{id}/discard", agent, null, Map.of(),
                99_999_999L));
        expect(401, "POST", "/api/v1/held-replies/{id}/discard", call("POST", "/api/v1/held-replies/{id}/discard", null, null, Map.of(),
                other));
        assertThat(web.data.outboxRowsOf(ticket)).as("only the reply sent anyway was mailed").isEqualTo(1);
    }

    @Test
    void refusedTicketRequestsAnswerTheDocumentedErrors() {
        long ticket = ticketWithInboundMail("Refusals");
        long other = ticketWithInboundMail("Another");
        String reply = "{\"body\": \"hello\"}";
        Map<String, String> noKey = Map.of();

        expect(400, "GET", "/api/v1/tickets", web.apiGet("/api/v1/tickets?limit=501", agent));
        expect(400, "GET", "/api/v1/tickets", web.apiGet("/api/v1/tickets?status=sleeping", agent));
        expect(400, "GET", "/api/v1/tickets", web.apiGet("/api/v1/tickets?cursor=not-a-cursor", agent));
        expect(401, "GET", "/api/v1/tickets", web.apiGet("/api/v1/tickets", null));
        expect(401, "GET", "/api/v1/tickets", web.apiGet("/api/v1/tickets", "not-a-token"));
        expect(400, "GET", "/api/v1/tickets/{id}", web.apiGet("/api/v1/tickets/abc", agent));
        expect(404, "GET", "/api/v1/tickets/{id}", get("/api/v1/tickets/{id}", agent, 99_999_999L));
        expect(404, "GET", "/api/v1/tickets/{id}/history", get("/api/v1/tickets/{id}/history", agent, 99_999_999L));
        expect(404, "GET", "/api/v1/inbound/{id}/raw", get("/api/v1/inbound/{id}/raw", agent, 99_999_999L));
        expect(400, "PATCH", "/api/v1/tickets/{id}", call("PATCH", "/api/v1/tickets/{id}", agent, "{\"subject\": \"new\"}", noKey, ticket));
        expect(400, "PATCH", "/api/v1/tickets/{id}", call("PATCH", "/api/v1/tickets/{id}", agent, "{\"owner\": \"nobody@example.test\"}", noKey, ticket));
        String reader = web.apiTokenOf(web.staff(Role.AGENT, Map.of("Support", GroupAccess.READ)));
        expect(403, "PATCH", "/api/v1/tickets/{id}", call("PATCH", "/api/v1/tickets/{id}", reader, "{\"status\": \"open\"}", noKey, ticket));
        expect(403, "POST", "/api/v1/tickets/{id}/notes", call("POST", "/api/v1/tickets/{id}/notes", reader, reply,
                Map.of("Idempotency-Key", UUID.randomUUID().toString()), ticket));
        expect(400, "PATCH", "/api/v1/tickets/{id}", call("PATCH", "/api/v1/tickets/{id}", agent, "{\"status\": \"asleep\"}", noKey, ticket));
        expect(404, "PATCH", "/api/v1/tickets/{id}", call("PATCH", "/api/v1/tickets/{id}", agent, "{\"status\": \"open\"}", noKey, 99_999_999L));
        expect(401, "PATCH", "/api/v1/tickets/{id}", call("PATCH", "/api/v1/tickets/{id}", null, "{\"status\": \"open\"}", noKey, ticket));
        for (String template : List.of("/api/v1/tickets/{id}/replies", "/api/v1/tickets/{id}/notes")) {
            Map<String, String> key = Map.of("Idempotency-Key", UUID.randomUUID().toString());
            expect(400, "POST", template, call("POST", template, agent, reply, noKey, ticket));
            expect(400, "POST", template, call("POST", template, agent, "{\"body\": \"  \"}", key, ticket));
            expect(400, "POST", template, call("POST", template, agent, "{\"body\": \"x\", \"attachments\": "
                    + "[{\"filename\": \"a.txt\", \"contentBase64\": \"!!not base64!!\"}]}", key, ticket));
            expect(404, "POST", template, call("POST", template, agent, reply, key, 99_999_999L));
            expect(401, "POST", template, call("POST", template, null, reply, key, ticket));
            assertThat(call("POST", template, agent, reply, key, ticket).statusCode()).isEqualTo(201);
            expect(409, "POST", template, call("POST", template, agent, reply, key, other));
        }
    }

    @Test
    void mergingATicketAndUndoingItAreAsDocumented() throws IOException {
        long source = ticketWithInboundMail("Merged away");
        long target = ticketWithInboundMail("Merged into");
        String number = JSON.readTree(get("/api/v1/tickets/{id}", agent, target).body()).get("number").asText();
        String into = "{\"into\": \"" + number + "\"}";
        assertThat(contract.problemsWithRequest("POST", "/api/v1/tickets/{id}/merge", into)).isEmpty();
        String reader = web.apiTokenOf(web.staff(Role.AGENT, Map.of("Support", GroupAccess.READ)));

        expect(400, "POST", "/api/v1/tickets/{id}/merge", call("POST", "/api/v1/tickets/{id}/merge", agent, "{\"to\": 1}", Map.of(), source));
        expect(400, "POST", "/api/v1/tickets/{id}/merge", call("POST", "/api/v1/tickets/{id}/merge", agent, "{\"into\": \"no such!\"}", Map.of(), source));
        expect(404, "POST", "/api/v1/tickets/{id}/merge", call("POST", "/api/v1/tickets/{id}/merge", agent, "{\"into\": 99999999}", Map.of(), source));
        expect(403, "POST", "/api/v1/tickets/{id}/merge", call("POST", "/api/v1/tickets/{id}/merge", reader, into, Map.of(), source));
        expect(401, "POST", "/api/v1/tickets/{id}/merge", call("POST", "/api/v1/tickets/{id}/merge", null, into, Map.of(), source));
        expect(404, "POST", "/api/v1/tickets/{id}/unmerge", call("POST", "/api/v1/tickets/{id}/unmerge", agent, "", Map.of(), source));
        expect(200, "POST", "/api/v1/tickets/{id}/merge", call("POST", "/api/v1/tickets/{id}/merge", agent, into, Map.of(), source));
        expect(409, "POST", "/api/v1/tickets/{id}/merge", call("POST", "/api/v1/tickets/{id}/merge", agent, into, Map.of(), source));
        expect(409, "PATCH", "/api/v1/tickets/{id}", call("PATCH", "/api/v1/tickets/{id}", agent, "{\"priority\": \"high\"}", Map.of(), source));
        expect(409, "POST", "/api/v1/tickets/{id}/replies", call("POST", "/api/v1/tickets/{id}/replies", agent, "{\"body\": \"hi\"}",
                Map.of("Idempotency-Key", UUID.randomUUID().toString()), source));
        expect(409, "POST", "/api/v1/tickets/{id}/links", call("POST", "/api/v1/tickets/{id}/links", agent,
                "{\"parent\": " + target + "}", Map.of(), source));
        HttpResponse<String> merged = get("/api/v1/tickets/{id}", agent, source);
        assertAsDocumented("GET", "/api/v1/tickets/{id}", merged);
        assertThat(JSON.readTree(merged.body()).at("/relations/mergedIntoId").asLong()).isEqualTo(target);
        assertAsDocumented("GET", "/api/v1/tickets/{id}", get("/api/v1/tickets/{id}", agent, target));
        expect(403, "POST", "/api/v1/tickets/{id}/unmerge", call("POST", "/api/v1/tickets/{id}/unmerge", reader, "", Map.of(), source));
        expect(200, "POST", "/api/v1/tickets/{id}/unmerge", call("POST", "/api/v1/tickets/{id}/unmerge", agent, "", Map.of(), source));
    }

    @Test
    void splittingAMessageOffIsAsDocumented() throws IOException {
        long ticket = ticketWithInboundMail("Two questions");
        web.data.inbound(ticket, mailbox, "<" + UUID.randomUUID() + "@example.test>", "requester@example.test", "And another", mail("x", true));
        long message = web.db.dsl().select(DSL.max(TICKET_MESSAGE.ID)).from(TICKET_MESSAGE).where(TICKET_MESSAGE.TICKET_ID.eq(ticket))
                .fetchSingle(0, Long.class);
        String split = "{\"messageId\": " + message + "}";
        assertThat(contract.problemsWithRequest("POST", "/api/v1/tickets/{id}/split", split)).isEmpty();
        String reader = web.apiTokenOf(web.staff(Role.AGENT, Map.of("Support", GroupAccess.READ)));

        expect(400, "POST", "/api/v1/tickets/{id}/split", call("POST", "/api/v1/tickets/{id}/split", agent, "{\"id\": 1}", Map.of(), ticket));
        expect(404, "POST", "/api/v1/tickets/{id}/split", call("POST", "/api/v1/tickets/{id}/split", agent, "{\"messageId\": 99999999}", Map.of(), ticket));
        expect(403, "POST", "/api/v1/tickets/{id}/split", call("POST", "/api/v1/tickets/{id}/split", reader, split, Map.of(), ticket));
        expect(401, "POST", "/api/v1/tickets/{id}/split", call("POST", "/api/v1/tickets/{id}/split", null, split, Map.of(), ticket));
        HttpResponse<String> created = call("POST", "/api/v1/tickets/{id}/split", agent, split, Map.of(), ticket);
        expect(201, "POST", "/api/v1/tickets/{id}/split", created);
        long newTicket = JSON.readTree(created.body()).at("/ticket/id").asLong();
        assertThat(JSON.readTree(get("/api/v1/tickets/{id}", agent, newTicket).body()).at("/lifecycle/linkedTicketId").asLong()).isEqualTo(ticket);
        long left = web.db.dsl().select(DSL.max(TICKET_MESSAGE.ID)).from(TICKET_MESSAGE).where(TICKET_MESSAGE.TICKET_ID.eq(ticket))
                .fetchSingle(0, Long.class);
        expect(400, "POST", "/api/v1/tickets/{id}/split", call("POST", "/api/v1/tickets/{id}/split", agent,
                "{\"messageId\": " + left + "}", Map.of(), ticket));
    }

    @Test
    void linkingTicketsAndRemovingTheLinkAreAsDocumented() throws IOException {
        long parent = ticketWithInboundMail("Outage");
        long child = ticketWithInboundMail("Site down");
        String link = "{\"child\": " + child + "}";
        assertThat(contract.problemsWithRequest("POST", "/api/v1/tickets/{id}/links", link)).isEmpty();
        String reader = web.apiTokenOf(web.staff(Role.AGENT, Map.of("Support", GroupAccess.READ)));

        expect(400, "POST", "/api/v1/tickets/{id}/links", call("POST", "/api/v1/tickets/{id}/links", agent,
                "{\"child\": 1, \"parent\": 2}", Map.of(), parent));
        expect(400, "POST", "/api/v1/tickets/{id}/links", call("POST", "/api/v1/tickets/{id}/links", agent,
                "{\"child\": " + parent + "}", Map.of(), parent));
        expect(404, "POST", "/api/v1/tickets/{id}/links", call("POST", "/api/v1/tickets/{id}/links", agent,
                "{\"child\": 99999999}", Map.of(), parent));
        expect(403, "POST", "/api/v1/tickets/{id}/links", call("POST", "/api/v1/tickets/{id}/links", reader, link, Map.of(), parent));
        expect(401, "POST", "/api/v1/tickets/{id}/links", call("POST", "/api/v1/tickets/{id}/links", null, link, Map.of(), parent));
        expect(200, "POST", "/api/v1/tickets/{id}/links", call("POST", "/api/v1/tickets/{id}/links", agent, link, Map.of(), parent));
        HttpResponse<String> childAnswer = get("/api/v1/tickets/{id}", agent, child);
        assertAsDocumented("GET", "/api/v1/tickets/{id}", childAnswer);
        assertThat(JSON.readTree(childAnswer.body()).at("/relations/parents/0/id").asLong()).isEqualTo(parent);
        expect(400, "POST", "/api/v1/tickets/{id}/links", call("POST", "/api/v1/tickets/{id}/links", agent,
                "{\"child\": " + parent + "}", Map.of(), child));
        expect(403, "DELETE", "/api/v1/tickets/{id}/links/{otherId}", call("DELETE", "/api/v1/tickets/{id}/links/{otherId}", reader,
                null, Map.of(), child, parent));
        expect(400, "DELETE", "/api/v1/tickets/{id}/links/{otherId}", call("DELETE", "/api/v1/tickets/{id}/links/{otherId}", agent,
                null, Map.of(), child, "x"));
        expect(200, "DELETE", "/api/v1/tickets/{id}/links/{otherId}", call("DELETE", "/api/v1/tickets/{id}/links/{otherId}", agent,
                null, Map.of(), child, parent));
        expect(404, "DELETE", "/api/v1/tickets/{id}/links/{otherId}", call("DELETE", "/api/v1/tickets/{id}/links/{otherId}", agent,
                null, Map.of(), child, 99_999_999L));
        expect(401, "DELETE", "/api/v1/tickets/{id}/links/{otherId}", call("DELETE", "/api/v1/tickets/{id}/links/{otherId}", null,
                null, Map.of(), child, parent));
    }

    @Test
    void savedViewsTheirCountsAndTheirRefusalsAreAsDocumented() throws IOException {
        ticketWithInboundMail("Counted by a saved view");
        String token = web.apiTokenOf(web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL)));
        String view = "{\"name\": \"Contract view\", \"query\": \"status=open&q=counted\", \"sort\": \"oldest\"}";
        assertThat(contract.problemsWithRequest("POST", "/api/v1/views", view)).isEmpty();

        HttpResponse<String> created = web.api("POST", "/api/v1/views", token, view, Map.of());
        expect(201, "POST", "/api/v1/views", created);
        expect(200, "POST", "/api/v1/views", web.api("POST", "/api/v1/views", token, view, Map.of()));
        HttpResponse<String> listed = web.apiGet("/api/v1/views", token);
        expect(200, "GET", "/api/v1/views", listed);
        assertThat(JSON.readTree(listed.body()).at("/views/0/count").asInt()).as(listed.body()).isEqualTo(1);
        assertAsDocumented("GET", "/api/v1/tickets", web.apiGet("/api/v1/tickets?status=open&sort=oldest&limit=1", token));

        expect(400, "POST", "/api/v1/views", web.api("POST", "/api/v1/views", token,
                "{\"name\": \"contract VIEW\", \"query\": \"status=open\"}", Map.of()));
        expect(400, "POST", "/api/v1/views", web.api("POST", "/api/v1/views", token,
                "{\"name\": \"Bad\", \"query\": \"status=sleeping\"}", Map.of()));
        expect(400, "GET", "/api/v1/tickets", web.apiGet("/api/v1/tickets?sort=sideways", token));
        expect(401, "GET", "/api/v1/views", web.apiGet("/api/v1/views", null));
        long id = JSON.readTree(created.body()).get("id").asLong();
        expect(404, "DELETE", "/api/v1/views/{id}", call("DELETE", "/api/v1/views/{id}", agent, null, Map.of(), id));
        expect(204, "DELETE", "/api/v1/views/{id}", call("DELETE", "/api/v1/views/{id}", token, null, Map.of(), id));
        expect(404, "DELETE", "/api/v1/views/{id}", call("DELETE", "/api/v1/views/{id}", token, null, Map.of(), id));
    }

    @Test
    void theQuarantineAndItsDecisionsAreAsDocumented() {
        long unreadable = quarantined("Broken " + UUID.randomUUID(), false);
        long readable = quarantined("Readable now " + UUID.randomUUID(), true);
        long onATicket = inboundMailOf(ticketWithInboundMail("Read on arrival"));
        String act = "/api/v1/quarantine/{id}/{action}";

        assertAsDocumented("GET", "/api/v1/quarantine", web.apiGet("/api/v1/quarantine?limit=1", admin));
        assertAsDocumented("GET", "/api/v1/quarantine", web.apiGet("/api/v1/quarantine?limit=500", admin));
        HttpResponse<String> retried = call("POST", act, admin, null, Map.of(), unreadable, "retry");
        assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
        assertAsDocumented("POST", act, retried);
        HttpResponse<String> ticketed = call("POST", act, admin, null, Map.of(), readable, "retry");
        assertThat(ticketed.statusCode()).as(ticketed.body()).isEqualTo(200);
        assertAsDocumented("POST", act, ticketed);
        assertAsDocumented("POST", act, call("POST", act, admin, null, Map.of(), unreadable, "dismiss"));
        assertAsDocumented("POST", act, call("POST", act, admin, null, Map.of(), unreadable, "dismiss"));

        expect(409, "POST", act, call("POST", act, admin, null, Map.of(), unreadable, "import"));
        expect(409, "POST", act, call("POST", act, admin, null, Map.of(), onATicket, "dismiss"));
        expect(404, "POST", act, call("POST", act, admin, null, Map.of(), 99_999_999L, "dismiss"));
        expect(400, "POST", act, call("POST", act, admin, null, Map.of(), unreadable, "explode"));
        expect(403, "POST", act, call("POST", act, agent, null, Map.of(), unreadable, "dismiss"));
        expect(401, "POST", act, call("POST", act, null, null, Map.of(), unreadable, "dismiss"));
        expect(400, "GET", "/api/v1/quarantine", web.apiGet("/api/v1/quarantine?limit=0", admin));
        expect(403, "GET", "/api/v1/quarantine", web.apiGet("/api/v1/quarantine", agent));
        expect(401, "GET", "/api/v1/quarantine", web.apiGet("/api/v1/quarantine", null));
    }

    @Test
    void theClusterIsAsDocumentedForAdminsAndRefusedToAgents() {
        HttpResponse<String> cluster = web.apiGet("/api/v1/cluster", admin);

        assertThat(cluster.statusCode()).as(cluster.body()).isEqualTo(200);
        assertAsDocumented("GET", "/api/v1/cluster", cluster);
        expect(403, "GET", "/api/v1/cluster", web.apiGet("/api/v1/cluster", agent));
        expect(401, "GET", "/api/v1/cluster", web.apiGet("/api/v1/cluster", null));
    }

    @Test
    void meAndTheAdminCallsAreAsDocumentedForAdminsAndRefusedToAgents() throws IOException {
        assertAsDocumented("GET", "/api/v1/me", web.apiGet("/api/v1/me", agent));
        expect(401, "GET", "/api/v1/me", web.apiGet("/api/v1/me", null));
        web.data.group("Support");

        String email = web.newStaffEmail();
        String newUser = "{\"email\": \"" + email + "\", \"displayName\": \"Contract User\", \"password\": \"long enough\", "
                + "\"role\": \"agent\", \"groups\": {\"Support\": \"read\"}}";
        assertThat(contract.problemsWithRequest("POST", "/api/v1/admin/users", newUser)).isEmpty();
        HttpResponse<String> created = web.api("POST", "/api/v1/admin/users", admin, newUser, Map.of());
        expect(201, "POST", "/api/v1/admin/users", created);
        long user = JSON.readTree(created.body()).get("id").asLong();
        expect(400, "POST", "/api/v1/admin/users", web.api("POST", "/api/v1/admin/users", admin, newUser, Map.of()));
        expect(403, "POST", "/api/v1/admin/users", web.api("POST", "/api/v1/admin/users", agent, newUser, Map.of()));
        assertAsDocumented("GET", "/api/v1/admin/users", web.apiGet("/api/v1/admin/users", admin));
        expect(403, "GET", "/api/v1/admin/users", web.apiGet("/api/v1/admin/users", agent));

        String change = "{\"role\": \"admin\", \"active\": false, \"groups\": {}}";
        assertThat(contract.problemsWithRequest("PATCH", "/api/v1/admin/users/{id}", change)).isEmpty();
        expect(200, "PATCH", "/api/v1/admin/users/{id}", call("PATCH", "/api/v1/admin/users/{id}", admin, change, Map.of(), user));
        expect(400, "PATCH", "/api/v1/admin/users/{id}", call("PATCH", "/api/v1/admin/users/{id}", admin, "{\"role\": \"boss\"}", Map.of(), user));
        expect(404, "PATCH", "/api/v1/admin/users/{id}", call("PATCH", "/api/v1/admin/users/{id}", admin, "{\"active\": true}", Map.of(), 99_999_999L));

        String tokens = "/api/v1/admin/users/{id}/tokens";
        String newToken = "{\"name\": \"contract\", \"expiresInDays\": 7}";
        assertThat(contract.problemsWithRequest("POST", tokens, newToken)).isEmpty();
        HttpResponse<String> made = call("POST", tokens, admin, newToken, Map.of(), user);
        expect(201, "POST", tokens, made);
        expect(400, "POST", tokens, call("POST", tokens, admin, "{\"name\": \"x\", \"expiresInDays\": 0}", Map.of(), user));
        expect(200, "GET", tokens, get(tokens, admin, user));
        expect(404, "GET", tokens, get(tokens, admin, 99_999_999L));
        String revoke = "/api/v1/admin/users/{id}/tokens/{tokenId}/revoke";
        long tokenId = JSON.readTree(made.body()).get("id").asLong();
        expect(200, "POST", revoke, call("POST", revoke, admin, null, Map.of(), user, tokenId));
        expect(404, "POST", revoke, call("POST", revoke, admin, null, Map.of(), user, 99_999_999L));

        HttpResponse<String> group = web.api("POST", "/api/v1/admin/groups", admin, "{\"name\": \"Contract\"}", Map.of());
        expect(201, "POST", "/api/v1/admin/groups", group);
        expect(400, "POST", "/api/v1/admin/groups", web.api("POST", "/api/v1/admin/groups", admin, "{\"name\": \" \"}", Map.of()));
        assertAsDocumented("GET", "/api/v1/admin/groups", web.apiGet("/api/v1/admin/groups", admin));
        String members = "/api/v1/admin/groups/{id}/members";
        long groupId = JSON.readTree(group.body()).get("id").asLong();
        String setMembers = "{\"members\": {\"" + email + "\": \"full\"}}";
        assertThat(contract.problemsWithRequest("PUT", members, setMembers)).isEmpty();
        expect(200, "PUT", members, call("PUT", members, admin, setMembers, Map.of(), groupId));
        expect(400, "PUT", members, call("PUT", members, admin, "{\"members\": {\"nobody@example.test\": \"full\"}}", Map.of(), groupId));
        expect(404, "PUT", members, call("PUT", members, admin, setMembers, Map.of(), 99_999_999L));
        String roundRobin = "/api/v1/admin/groups/{id}/round-robin";
        String turnOn = "{\"cap\": 20, \"onlineMinutes\": 15}";
        assertThat(contract.problemsWithRequest("PUT", roundRobin, turnOn)).isEmpty();
        assertThat(contract.problemsWithRequest("PUT", roundRobin, "{\"cap\": null}")).isEmpty();
        assertThat(contract.problemsWithRequest("PUT", roundRobin, "{\"cap\": 0}")).as("the document refuses it too").isNotEmpty();
        expect(200, "PUT", roundRobin, call("PUT", roundRobin, admin, turnOn, Map.of(), groupId));
        assertAsDocumented("GET", "/api/v1/admin/groups", web.apiGet("/api/v1/admin/groups", admin)); // one group with round robin on
        expect(400, "PUT", roundRobin, call("PUT", roundRobin, admin, "{\"cap\": 0}", Map.of(), groupId));
        expect(404, "PUT", roundRobin, call("PUT", roundRobin, admin, turnOn, Map.of(), 99_999_999L));
        expect(200, "PUT", roundRobin, call("PUT", roundRobin, admin, "{\"cap\": null}", Map.of(), groupId));

        String box = "{\"id\": \"contract-new\", \"address\": \"new@contract.example.test\", \"imapHost\": \"imap.example.test\", "
                + "\"secretRef\": \"contract\", \"smtpHost\": \"smtp.example.test\", \"group\": \"Contract\"}";
        assertThat(contract.problemsWithRequest("POST", "/api/v1/admin/mailboxes", box)).isEmpty();
        expect(200, "POST", "/api/v1/admin/mailboxes", web.api("POST", "/api/v1/admin/mailboxes", admin, box, Map.of()));
        expect(400, "POST", "/api/v1/admin/mailboxes", web.api("POST", "/api/v1/admin/mailboxes", admin,
                "{\"id\": \"Bad Id\", \"address\": \"a@b.test\", \"imapHost\": \"h\", \"secretRef\": \"s\"}", Map.of()));
        assertAsDocumented("GET", "/api/v1/admin/mailboxes", web.apiGet("/api/v1/admin/mailboxes", admin));
        expect(403, "GET", "/api/v1/admin/mailboxes", web.apiGet("/api/v1/admin/mailboxes", agent));
    }

    @Test
    void macrosTheirChangesAndApplyingOneAreAsDocumented() throws IOException {
        web.data.group("Support");
        String draft = "{\"name\": \"Contract macro\", \"body\": \"Hello {{customer.name}}, about {{ticket.number}}\", "
                + "\"bodyKind\": \"reply\", \"status\": \"pending\", \"priority\": null, \"group\": null, "
                + "\"addTags\": [\"contract\"], \"removeTags\": []}";
        assertThat(contract.problemsWithRequest("POST", "/api/v1/macros", draft)).isEmpty();
        HttpResponse<String> created = web.api("POST", "/api/v1/macros", admin, draft, Map.of());
        expect(201, "POST", "/api/v1/macros", created);
        long macro = JSON.readTree(created.body()).get("id").asLong();
        expect(400, "POST", "/api/v1/macros", web.api("POST", "/api/v1/macros", admin, draft, Map.of()));
        expect(403, "POST", "/api/v1/macros", web.api("POST", "/api/v1/macros", agent, draft, Map.of()));
        expect(200, "GET", "/api/v1/macros", web.apiGet("/api/v1/macros", agent));
        expect(401, "GET", "/api/v1/macros", web.apiGet("/api/v1/macros", null));

        String change = "{\"name\": \"Contract macro\", \"body\": \"Hi {{customer.name}}\", \"priority\": \"high\", \"group\": \"Support\"}";
        assertThat(contract.problemsWithRequest("PUT", "/api/v1/macros/{id}", change)).isEmpty();
        expect(200, "PUT", "/api/v1/macros/{id}", call("PUT", "/api/v1/macros/{id}", admin, change, Map.of(), macro));
        expect(400, "PUT", "/api/v1/macros/{id}", call("PUT", "/api/v1/macros/{id}", admin, "{\"name\": \"x\", \"body\": \"{{nope}}\"}",
                Map.of(), macro));
        expect(404, "PUT", "/api/v1/macros/{id}", call("PUT", "/api/v1/macros/{id}", admin, change, Map.of(), 99_999_999L));

        long ticket = ticketWithInboundMail("Macro contract");
        String apply = "{\"macro\": " + macro + "}";
        assertThat(contract.problemsWithRequest("POST", "/api/v1/tickets/{id}/macro", apply)).isEmpty();
        expect(200, "POST", "/api/v1/tickets/{id}/macro", call("POST", "/api/v1/tickets/{id}/macro", admin, apply, Map.of(), ticket));
        expect(404, "POST", "/api/v1/tickets/{id}/macro", call("POST", "/api/v1/tickets/{id}/macro", admin, apply, Map.of(), 99_999_999L));
        expect(400, "POST", "/api/v1/tickets/{id}/macro", call("POST", "/api/v1/tickets/{id}/macro", admin, "{\"macro\": \"x\"}",
                Map.of(), ticket));

        expect(204, "DELETE", "/api/v1/macros/{id}", call("DELETE", "/api/v1/macros/{id}", admin, null, Map.of(), macro));
        expect(403, "DELETE", "/api/v1/macros/{id}", call("DELETE", "/api/v1/macros/{id}", agent, null, Map.of(), macro));
        expect(404, "POST", "/api/v1/tickets/{id}/macro", call("POST", "/api/v1/tickets/{id}/macro", admin, apply, Map.of(), ticket));
    }

    /**
     * The check can fail: the same real answers are refused by a document that is wrong about them —
     * a field of the wrong type, a field the API answers but the document leaves out, a status it
     * does not list — so a test above that passes says something.
     */
    @Test
    void aDocumentThatSaysSomethingElseFailsTheCheck() throws IOException {
        long ticket = ticketWithInboundMail("Mutants");
        HttpResponse<String> detail = get("/api/v1/tickets/{id}", agent, ticket);
        HttpResponse<String> notFound = get("/api/v1/tickets/{id}", agent, 99_999_999L);
        assertThat(contract.problemsWithAnswer("GET", "/api/v1/tickets/{id}", detail)).isEmpty();
        JsonNode document = contract.document();

        JsonNode wrongType = document.deepCopy();
        ((ObjectNode) wrongType.at("/components/schemas/TicketDetail/properties/id"))
                .removeAll().put("type", "string");
        assertThat(ApiContract.of(wrongType.toString()).problemsWithAnswer("GET", "/api/v1/tickets/{id}", detail))
                .as("ticket id documented as a string").isNotEmpty();

        JsonNode missingField = document.deepCopy();
        ((ObjectNode) missingField.at("/components/schemas/TicketDetail/properties")).remove("priority");
        ((ArrayNode) missingField.at("/components/schemas/TicketDetail/required")).removeIf(n -> n.asText().equals("priority"));
        assertThat(ApiContract.of(missingField.toString()).problemsWithAnswer("GET", "/api/v1/tickets/{id}", detail))
                .as("priority left out of the document").isNotEmpty().anySatisfy(p -> assertThat(p).contains("priority"));

        JsonNode wrongError = document.deepCopy();
        ((ObjectNode) wrongError.at("/components/schemas/Error/properties/errorId"))
                .put("pattern", "^[A-Z]+$");
        assertThat(ApiContract.of(wrongError.toString()).problemsWithAnswer("GET", "/api/v1/tickets/{id}", notFound))
                .as("error ids documented as capitals").isNotEmpty();

        JsonNode no404 = document.deepCopy();
        ((ObjectNode) no404.at("/paths/" + ApiContract.escape("/api/v1/tickets/{id}") + "/get/responses"))
                .remove("404");
        assertThat(ApiContract.of(no404.toString()).problemsWithAnswer("GET", "/api/v1/tickets/{id}", notFound))
                .as("404 not listed").singleElement().satisfies(p -> assertThat(p).contains("404"));

        assertThat(contract.problemsWithRequest("PATCH", "/api/v1/tickets/{id}", "{\"status\": \"asleep\"}"))
                .as("a status the document does not allow").isNotEmpty();
    }

    /**
     * Runs last: every operation of the document had a success checked by the tests above, so a route
     * added to the document and the table also needs a call here. Run alone, it fails (nothing was checked).
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void everyOperationOfTheDocumentHadASuccessCheckedAbove() {
        Set<String> succeeded = new TreeSet<>();
        for (String c : checked) {
            if (c.matches(".* 2\\d\\d$")) {
                succeeded.add(c.substring(0, c.lastIndexOf(' ')));
            }
        }
        assertThat(succeeded).as("operations answered with a 2xx and checked").containsAll(contract.operations());
    }

    private static void assertAsDocumented(String method, String template, HttpResponse<String> answer) {
        assertThat(contract.problemsWithAnswer(method, template, answer)).as(method + " " + template + " " + answer.statusCode()).isEmpty();
        checked.add(method + " " + template + " " + answer.statusCode());
    }

    private static void expect(int status, String method, String template, HttpResponse<String> answer) {
        assertThat(answer.statusCode()).as(method + " " + template + ": " + answer.body()).isEqualTo(status);
        assertAsDocumented(method, template, answer);
    }

    private static HttpResponse<String> get(String template, String token, Object... values) {
        return call("GET", template, token, null, Map.of(), values);
    }

    /** Calls {@code template} with its path parameters filled in order from {@code values}. */
    private static HttpResponse<String> call(String method, String template, String token, String json, Map<String, String> headers,
                                             Object... values) {
        Matcher m = PARAMETER.matcher(template);
        StringBuilder path = new StringBuilder();
        int i = 0;
        while (m.find()) {
            m.appendReplacement(path, Matcher.quoteReplacement(String.valueOf(values[i++])));
        }
        m.appendTail(path);
        assertThat(i).as("values for " + template).isEqualTo(values.length);
        return web.api(method, path.toString(), token, json, new HashMap<>(headers));
    }

    private static Set<String> operationsWithoutLogin() {
        Set<String> open = new TreeSet<>();
        contract.document().path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
            JsonNode security = op.getValue().path("security");
            if (ApiContract.METHODS.contains(op.getKey()) && security.isArray() && security.isEmpty()) {
                open.add(op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey());
            }
        }));
        return open;
    }

    private static void collectRefs(JsonNode node, List<String> refs) {
        if (node.isObject() && node.has("$ref")) {
            refs.add(node.get("$ref").asText());
        }
        node.forEach(child -> collectRefs(child, refs));
    }

    /** A ticket opened from a mail: one inbound message with its raw bytes. */
    private static long ticketWithInboundMail(String subject) {
        String number = "T-CONTRACT-" + numbers.incrementAndGet();
        long ticket = web.data.ticket(number, subject, "open", mailbox, "requester@example.test");
        byte[] raw = mail(subject, true);
        web.data.inbound(ticket, mailbox, "<" + UUID.randomUUID() + "@example.test>", "requester@example.test", "Hello, " + subject, raw);
        return ticket;
    }

    /** The id of the ticket's first inbound mail, as the API shows it. */
    private static long inboundMailOf(long ticket) {
        try {
            return JSON.readTree(get("/api/v1/tickets/{id}", agent, ticket).body()).at("/messages/0/inboundMessageId").asLong();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stores a mail as intake does when it cannot read it; returns its id. */
    private static long quarantined(String subject, boolean parsesNow) {
        byte[] raw = mail(subject, parsesNow);
        return web.db.dsl().insertInto(INBOUND_MESSAGE)
                .set(INBOUND_MESSAGE.MAILBOX_ID, mailbox)
                .set(INBOUND_MESSAGE.UIDVALIDITY, 1L)
                .set(INBOUND_MESSAGE.UID, 1_000_000L + numbers.incrementAndGet())
                .set(INBOUND_MESSAGE.CONTENT_KEY, ContentKey.of(raw))
                .set(INBOUND_MESSAGE.RAW_SHA256, ContentKey.rawSha256(raw))
                .set(INBOUND_MESSAGE.RAW, raw)
                .set(INBOUND_MESSAGE.SIZE_BYTES, raw.length)
                .set(INBOUND_MESSAGE.RECEIVED_AT, OffsetDateTime.now())
                .set(INBOUND_MESSAGE.PARSE_STATUS, "failed")
                .set(INBOUND_MESSAGE.PARSE_ERROR, "malformed MIME: missing start boundary")
                .set(INBOUND_MESSAGE.EPOCH, 1L)
                .returning(INBOUND_MESSAGE.ID).fetchOne(INBOUND_MESSAGE.ID);
    }

    /** A plain mail; or, not {@code readable}, bytes without a header at all (no sender or subject can be known). */
    private static byte[] mail(String subject, boolean readable) {
        if (!readable) {
            return ("no header separator at all " + subject).getBytes(StandardCharsets.US_ASCII);
        }
        return ("From: Requester <requester@example.test>\r\nTo: help@contract.example.test\r\nSubject: " + subject + "\r\n"
                + "Message-ID: <" + UUID.randomUUID() + "@example.test>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n\r\nHello, " + subject + "\r\n").getBytes(StandardCharsets.UTF_8);
    }
}
