package dev.ticketd.node.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ticketd.node.web.WebFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;

/** Staff resolve, close, park and reopen tickets, from the ticket page and the API; each change is audited once. */
class TicketStatusTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static WebFixture web;
    private static String token;
    private static String mailbox;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        token = web.apiToken();
        mailbox = web.data.mailbox("status", "status@desk.example.test");
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    @Test
    void anAgentResolvesATicketFromItsPageAndTheChangeIsAudited() {
        long ticket = web.data.ticket("T-2001", "Printer on fire", "open", mailbox, "fire@example.test");
        WebFixture.Browser browser = web.loggedInBrowser();
        String page = browser.get("/tickets/" + ticket).body();
        assertThat(page).contains("action=\"/tickets/" + ticket + "/status\"").contains("<option value=\"resolved\"");

        HttpResponse<String> response = browser.post("/tickets/" + ticket + "/status",
                Map.of("csrf", WebFixture.hiddenField(page, "csrf"), "status", "resolved"));

        assertThat(response.statusCode()).isEqualTo(303);
        assertThat(response.headers().firstValue("Location")).contains("/tickets/" + ticket + "?status=resolved");
        assertThat(statusOf(ticket)).isEqualTo("resolved");
        assertThat(browser.get("/tickets/" + ticket + "?status=resolved").body()).contains("Status set to resolved.");
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(ticket)
                .and(AUDIT_LOG.ACTION.eq("ticket.status_changed")))).isEqualTo(1);
        String detail = web.db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG)
                .where(AUDIT_LOG.TICKET_ID.eq(ticket).and(AUDIT_LOG.ACTION.eq("ticket.status_changed")))
                .fetchOne(AUDIT_LOG.DETAIL).data();
        assertThat(detail).contains("\"from\": \"open\"").contains("\"to\": \"resolved\"");
        assertThat(browser.get("/tickets/" + ticket).body()).contains("History (1)").contains("<strong>status changed</strong>")
                .contains("from: open").contains("to: resolved");
    }

    @Test
    void statusAndPriorityChangeTogetherInOneRequestAndFromThePage() throws Exception {
        long ticket = web.data.ticket("T-2007", "Site down", "open", mailbox, "down@example.test");

        HttpResponse<String> both = patch(ticket, "{\"status\": \"pending\", \"priority\": \"urgent\"}");

        assertThat(both.statusCode()).as(both.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(both.body());
        assertThat(body.get("status").asText()).isEqualTo("pending");
        assertThat(body.get("priority").asText()).isEqualTo("urgent");
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(ticket)
                .and(AUDIT_LOG.ACTION.eq("ticket.priority_changed")))).isEqualTo(1);

        WebFixture.Browser browser = web.loggedInBrowser();
        String page = browser.get("/tickets/" + ticket).body();
        assertThat(page).contains("priority urgent").contains("action=\"/tickets/" + ticket + "/priority\"");
        HttpResponse<String> low = browser.post("/tickets/" + ticket + "/priority",
                Map.of("csrf", WebFixture.hiddenField(page, "csrf"), "priority", "low"));
        assertThat(low.statusCode()).isEqualTo(303);
        assertThat(browser.get("/tickets/" + ticket + "?priority=low").body()).contains("Priority set to low.").contains("priority low");
        assertThat(web.db.dsl().select(TICKET.PRIORITY).from(TICKET).where(TICKET.ID.eq(ticket)).fetchOne(TICKET.PRIORITY))
                .isEqualTo("low");
    }

    @Test
    void theHistoryApiListsEveryChangeNewestFirstWithWhoAndWhat() throws Exception {
        long ticket = web.data.ticket("T-2006", "History", "open", mailbox, "history@example.test");
        patch(ticket, "{\"status\": \"pending\"}");
        patch(ticket, "{\"status\": \"resolved\"}");

        HttpResponse<String> response = web.apiGet("/api/v1/tickets/" + ticket + "/history", token);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode entries = JSON.readTree(response.body()).get("entries");
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0).get("action").asText()).isEqualTo("ticket.status_changed");
        assertThat(entries.get(0).get("detail").get("from").asText()).isEqualTo("pending");
        assertThat(entries.get(0).get("detail").get("to").asText()).isEqualTo("resolved");
        assertThat(entries.get(1).get("detail").get("to").asText()).isEqualTo("pending");
        assertThat(entries.get(0).get("actor").asText()).contains("@example.test");
        assertThat(web.apiGet("/api/v1/tickets/" + Long.MAX_VALUE + "/history", token).statusCode()).isEqualTo(404);
    }

    @Test
    void theStatusFormWithoutTheSessionsTokenChangesNothing() {
        long ticket = web.data.ticket("T-2002", "Forged", "open", mailbox, "forged@example.test");
        WebFixture.Browser browser = web.loggedInBrowser();

        HttpResponse<String> response = browser.post("/tickets/" + ticket + "/status", Map.of("status", "closed"));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(statusOf(ticket)).isEqualTo("open");
    }

    @Test
    void theApiSetsTheStatusAndARepeatChangesNothing() throws Exception {
        long ticket = web.data.ticket("T-2003", "Waiting for logs", "open", mailbox, "logs@example.test");

        HttpResponse<String> first = patch(ticket, "{\"status\": \"pending\"}");
        HttpResponse<String> repeat = patch(ticket, "{\"status\": \"pending\"}");

        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(first.body());
        assertThat(body.get("number").asText()).isEqualTo("T-2003");
        assertThat(body.get("status").asText()).isEqualTo("pending");
        assertThat(repeat.statusCode()).isEqualTo(200);
        assertThat(statusOf(ticket)).isEqualTo("pending");
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(ticket)
                .and(AUDIT_LOG.ACTION.eq("ticket.status_changed")))).isEqualTo(1);

        assertThat(patch(ticket, "{\"status\": \"open\"}").statusCode()).isEqualTo(200);
        assertThat(statusOf(ticket)).isEqualTo("open");
    }

    @Test
    void aBadRequestIsRefusedNamingTheProblemAndChangesNothing() {
        long ticket = web.data.ticket("T-2004", "Bad input", "open", mailbox, "bad@example.test");

        HttpResponse<String> unknownStatus = patch(ticket, "{\"status\": \"done\"}");
        HttpResponse<String> otherField = patch(ticket, "{\"status\": \"closed\", \"subject\": \"New subject\"}");
        HttpResponse<String> unknownOwner = patch(ticket, "{\"status\": \"closed\", \"owner\": \"ana@example.test\"}");
        HttpResponse<String> badPriority = patch(ticket, "{\"status\": \"closed\", \"priority\": \"asap\"}");
        HttpResponse<String> notJson = patch(ticket, "status=closed");
        HttpResponse<String> noStatus = patch(ticket, "{}");
        HttpResponse<String> noTicket = patch(Long.MAX_VALUE, "{\"status\": \"closed\"}");

        assertThat(unknownStatus.statusCode()).isEqualTo(400);
        assertThat(unknownStatus.body()).contains("status must be one of open, pending, resolved, closed").contains("'done'");
        assertThat(otherField.statusCode()).isEqualTo(400);
        assertThat(otherField.body()).contains("not subject");
        assertThat(unknownOwner.statusCode()).as("an owner who is no staff applies nothing, not even the good status").isEqualTo(400);
        assertThat(unknownOwner.body()).contains("no staff user 'ana@example.test'");
        assertThat(badPriority.statusCode()).as("a bad priority applies nothing, not even the good status").isEqualTo(400);
        assertThat(badPriority.body()).contains("priority must be one of low, normal, high, urgent").contains("'asap'");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(notJson.body()).contains("JSON object");
        assertThat(noStatus.statusCode()).isEqualTo(400);
        assertThat(noStatus.body()).contains("name what to change");
        assertThat(noTicket.statusCode()).isEqualTo(404);
        assertThat(statusOf(ticket)).isEqualTo("open");
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq("ticket.status_changed")
                .and(AUDIT_LOG.TICKET_ID.eq(ticket)))).isZero();
    }

    @Test
    void theApiSetsATicketPendingUntilATimeWaitingForSomeoneAndTheAuditSaysSo() throws Exception {
        long ticket = web.data.ticket("T-2010", "Waiting for the vendor", "open", mailbox, "vendor@example.test");
        Instant until = Instant.now().plus(Duration.ofDays(2)).truncatedTo(ChronoUnit.SECONDS);

        HttpResponse<String> response = patch(ticket, "{\"status\": \"pending\", \"pendingUntil\": \"" + until
                + "\", \"pendingKind\": \"internal\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("status").asText()).isEqualTo("pending");
        assertThat(body.get("lifecycle").get("pendingKind").asText()).isEqualTo("internal");
        var row = web.db.dsl().selectFrom(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle();
        assertThat(row.getPendingUntil().toInstant()).isEqualTo(until);
        assertThat(row.getPendingKind()).isEqualTo("internal");
        assertThat(web.db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG)
                .where(AUDIT_LOG.TICKET_ID.eq(ticket).and(AUDIT_LOG.ACTION.eq("ticket.status_changed")))
                .fetchSingle(AUDIT_LOG.DETAIL).data())
                .contains("\"to\": \"pending\"").contains("\"pendingUntil\": \"" + until + "\"").contains("\"pendingKind\": \"internal\"");
        assertThat(patch(ticket, "{\"status\": \"pending\", \"pendingUntil\": \"" + until + "\", \"pendingKind\": \"internal\"}")
                .statusCode()).isEqualTo(200);
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(ticket)
                .and(AUDIT_LOG.ACTION.eq("ticket.status_changed")))).as("a repeat writes nothing").isEqualTo(1);

        assertThat(patch(ticket, "{\"status\": \"resolved\"}").statusCode()).isEqualTo(200);
        var resolved = web.db.dsl().selectFrom(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle();
        assertThat(resolved.getPendingUntil()).isNull();
        assertThat(resolved.getResolvedAt()).isNotNull();
    }

    @Test
    void pendingWithoutATimeWaitsTheDefaultForTheCustomer() {
        long ticket = web.data.ticket("T-2011", "Logs please", "open", mailbox, "logs2@example.test");

        assertThat(patch(ticket, "{\"status\": \"pending\"}").statusCode()).isEqualTo(200);

        var row = web.db.dsl().selectFrom(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle();
        assertThat(row.getPendingKind()).isEqualTo("customer");
        assertThat(Duration.between(Instant.now(), row.getPendingUntil().toInstant()))
                .isBetween(TicketChanges.DEFAULT_PENDING.minusMinutes(5), TicketChanges.DEFAULT_PENDING);
    }

    @Test
    void badPendingValuesAreRefusedNamingTheFieldAndChangeNothing() {
        long ticket = web.data.ticket("T-2012", "Bad pending", "open", mailbox, "badpending@example.test");
        String later = Instant.now().plus(Duration.ofDays(1)).toString();

        HttpResponse<String> notAnInstant = patch(ticket, "{\"status\": \"pending\", \"pendingUntil\": \"tomorrow\"}");
        HttpResponse<String> past = patch(ticket, "{\"status\": \"pending\", \"pendingUntil\": \"2020-01-01T00:00:00Z\"}");
        HttpResponse<String> badKind = patch(ticket, "{\"status\": \"pending\", \"pendingKind\": \"boss\"}");
        HttpResponse<String> notPending = patch(ticket, "{\"status\": \"resolved\", \"pendingUntil\": \"" + later + "\"}");
        HttpResponse<String> notText = patch(ticket, "{\"status\": \"pending\", \"pendingUntil\": 12}");

        assertThat(notAnInstant.statusCode()).isEqualTo(400);
        assertThat(notAnInstant.body()).contains("pendingUntil must be an ISO-8601 instant").contains("'tomorrow'");
        assertThat(past.statusCode()).isEqualTo(400);
        assertThat(past.body()).contains("pendingUntil must be in the future");
        assertThat(badKind.statusCode()).isEqualTo(400);
        assertThat(badKind.body()).contains("pendingKind must be one of customer, internal").contains("'boss'");
        assertThat(notPending.statusCode()).isEqualTo(400);
        assertThat(notPending.body()).contains("pendingUntil goes only with status pending");
        assertThat(notText.statusCode()).isEqualTo(400);
        assertThat(notText.body()).contains("pendingUntil must be a string");
        assertThat(statusOf(ticket)).isEqualTo("open");
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(ticket))).isZero();
    }

    @Test
    void theStatusFormSetsPendingUntilADateAndTimeAndThePageShowsIt() {
        long ticket = web.data.ticket("T-2013", "Parked", "open", mailbox, "parked@example.test");
        WebFixture.Browser browser = web.loggedInBrowser();
        String page = browser.get("/tickets/" + ticket).body();
        assertThat(page).contains("type=\"datetime-local\"").contains("name=\"pending_kind\"");
        LocalDateTime until = LocalDateTime.now(ZoneOffset.UTC).plusDays(5).truncatedTo(ChronoUnit.MINUTES);

        HttpResponse<String> response = browser.post("/tickets/" + ticket + "/status", Map.of("csrf", WebFixture.hiddenField(page, "csrf"),
                "status", "pending", "pending_until", until.toString(), "pending_kind", "customer"));

        assertThat(response.statusCode()).isEqualTo(303);
        assertThat(web.db.dsl().select(TICKET.PENDING_UNTIL).from(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle(TICKET.PENDING_UNTIL)
                .toInstant()).isEqualTo(until.toInstant(ZoneOffset.UTC));
        assertThat(browser.get("/tickets/" + ticket).body()).contains("Pending until").contains("waiting for the customer")
                .as("the form shows the time it has").contains("value=\"" + until + "\"");

        HttpResponse<String> open = browser.post("/tickets/" + ticket + "/status", Map.of("csrf", WebFixture.hiddenField(page, "csrf"),
                "status", "open", "pending_until", until.toString(), "pending_kind", "customer"));
        assertThat(open.statusCode()).as("the pending fields of the form are ignored for another status").isEqualTo(303);
        assertThat(statusOf(ticket)).isEqualTo("open");
    }

    @Test
    void theApiNeedsAToken() {
        long ticket = web.data.ticket("T-2005", "Anonymous", "open", mailbox, "anon@example.test");

        HttpResponse<String> response = web.api("PATCH", "/api/v1/tickets/" + ticket, null, "{\"status\": \"closed\"}", new HashMap<>());

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(statusOf(ticket)).isEqualTo("open");
    }

    private static HttpResponse<String> patch(long ticket, String body) {
        return web.api("PATCH", "/api/v1/tickets/" + ticket, token, body, Map.of());
    }

    private static String statusOf(long ticket) {
        return web.db.dsl().select(TICKET.STATUS).from(TICKET).where(TICKET.ID.eq(ticket)).fetchOne(TICKET.STATUS);
    }
}
