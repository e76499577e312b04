package dev.ticketd.node.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ticketd.desk.GroupAccess;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.web.WebFixture;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.ticketd.db.generated.Tables.SAVED_VIEW;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET_TAG;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Saved views against a real PostgreSQL, through the list page and the API: saving the list one
 * looks at, listing with bounded counts, using a view (filters, search and sort), oldest-first
 * paging, the refusals, deleting, and never a ticket of a group the agent cannot see.
 */
class SavedViewsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final OffsetDateTime START = OffsetDateTime.of(2024, 3, 1, 9, 0, 0, 0, ZoneOffset.UTC);
    private static WebFixture web;
    private static String mailbox;
    private static long billing;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        mailbox = web.data.mailbox("saved", "saved@desk.example.test");
        billing = web.data.group("Billing");
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    /** A new agent with full access to Support (where the tickets go) and no saved view. */
    private static String agent() {
        return web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL));
    }

    private static long ticket(String number, String subject, String status, int minutesAfterStart) {
        return web.data.ticket(number, subject, status, mailbox, "someone@example.test", START.plusMinutes(minutesAfterStart));
    }

    private static void tag(long ticket, String tag) {
        web.db.dsl().insertInto(TICKET_TAG).set(TICKET_TAG.TICKET_ID, ticket).set(TICKET_TAG.TAG, tag)
                .set(TICKET_TAG.TICKET_CREATED_AT, DSL.field(DSL.select(TICKET.CREATED_AT).from(TICKET).where(TICKET.ID.eq(ticket))))
                .execute();
    }

    private static void message(long ticket, String body) {
        web.db.dsl().insertInto(TICKET_MESSAGE).set(TICKET_MESSAGE.TICKET_ID, ticket).set(TICKET_MESSAGE.KIND, "inbound")
                .set(TICKET_MESSAGE.BODY_TEXT, body).execute();
    }

    private static JsonNode json(HttpResponse<String> answer) {
        try {
            return JSON.readTree(answer.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static HttpResponse<String> save(String token, String name, String query, String sort) {
        String body = "{\"name\": " + JSON.valueToTree(name) + ", \"query\": " + JSON.valueToTree(query)
                + (sort == null ? "" : ", \"sort\": " + JSON.valueToTree(sort)) + "}";
        return web.api("POST", "/api/v1/views", token, body, Map.of());
    }

    /** The caller's saved views by name: their counts as the API answers them. */
    private static Map<String, JsonNode> listed(String token) {
        HttpResponse<String> answer = web.apiGet("/api/v1/views", token);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        Map<String, JsonNode> views = new LinkedHashMap<>();
        json(answer).get("views").forEach(v -> views.put(v.get("name").asText(), v));
        return views;
    }

    /** The ticket numbers of a list call, in the order answered. */
    private static List<String> numbers(String path, String token) {
        HttpResponse<String> answer = web.apiGet(path, token);
        assertThat(answer.statusCode()).as(path + ": " + answer.body()).isEqualTo(200);
        List<String> numbers = new ArrayList<>();
        json(answer).get("tickets").forEach(t -> numbers.add(t.get("number").asText()));
        return numbers;
    }

    @Test
    void anAgentSavesTheListTheyLookAtFromThePageAndItIsShownAfterTheBuiltInViewsWithItsCount() {
        tag(ticket("T-S101", "Refund please", "open", 1), "page-refund");
        tag(ticket("T-S102", "Refund again", "open", 2), "page-refund");
        tag(ticket("T-S103", "Refund done", "resolved", 3), "page-refund");
        String agent = agent();
        WebFixture.Browser browser = web.loggedInAs(agent);
        String list = browser.get("/tickets?status=open&tag=page-refund&sort=oldest").body();
        String query = WebFixture.hiddenField(list.substring(list.indexOf("id=\"save-view-form\"")), "query").replace("&amp;", "&");

        HttpResponse<String> saved = browser.post("/tickets/views", Map.of("csrf", browser.csrf(), "name", "Open refunds",
                "query", query));

        assertThat(query).isEqualTo("status=open&tag=page-refund&sort=oldest");
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
        String location = saved.headers().firstValue("Location").orElseThrow();
        assertThat(location).startsWith("/tickets?status=open&tag=page-refund&sort=oldest&viewSaved=");
        String page = browser.get(location).body();
        assertThat(page).contains("Saved as the view “Open refunds”");
        String savedViews = page.substring(page.indexOf("id=\"saved-views\""));
        assertThat(page.indexOf("id=\"saved-views\"")).as("after the built-in views").isGreaterThan(page.indexOf(">All <"));
        assertThat(savedViews).contains("href=\"/tickets?status=open&amp;tag=page-refund&amp;sort=oldest\" class=\"active\">"
                + "Open refunds <span class=\"count\">2</span>");
        assertThat(page.indexOf("T-S101")).as("oldest first").isLessThan(page.indexOf("T-S102"));
        assertThat(page).doesNotContain("T-S103");
        JsonNode view = listed(web.apiTokenOf(agent)).get("Open refunds");
        assertThat(view.get("query").asText()).isEqualTo("status=open&tag=page-refund");
        assertThat(view.get("sort").asText()).isEqualTo("oldest");
        assertThat(view.get("count").asInt()).isEqualTo(2);
        assertThat(view.get("countCapped").asBoolean()).isFalse();
        assertThat(view.get("tickets").asText()).isEqualTo("/api/v1/tickets?status=open&tag=page-refund&sort=oldest");
    }

    @Test
    void aSavedViewsCountStopsAtTheCapAsTheBuiltInViewsDo() {
        long support = web.db.dsl().select(TICKET.GROUP_ID).from(TICKET).where(TICKET.ID.eq(ticket("T-S201", "Bulk seed", "open", 4)))
                .fetchSingle(TICKET.GROUP_ID);
        web.db.dsl().execute("insert into ticket (number, subject, status, requester_id, group_id) "
                + "select 'T-SC' || n, 'capped', 'closed', (select min(id) from contact), " + support + " from generate_series(1, "
                + (TicketQueries.COUNT_CAP + 5) + ") n");
        String agent = agent();
        String token = web.apiTokenOf(agent);
        assertThat(save(token, "Closed", "status=closed", null).statusCode()).isEqualTo(201);

        JsonNode view = listed(token).get("Closed");
        String page = web.loggedInAs(agent).get("/tickets").body();

        assertThat(view.get("count").asInt()).isEqualTo(TicketQueries.COUNT_CAP);
        assertThat(view.get("countCapped").asBoolean()).isTrue();
        assertThat(page).contains(">Closed <span class=\"count\">" + TicketQueries.COUNT_CAP + "+</span>");
    }

    @Test
    void usingASavedViewAppliesItsFiltersItsSearchAndItsSort() {
        long first = ticket("T-S301", "Printer jammed", "open", 10);
        long second = ticket("T-S302", "Printer again", "open", 20);
        long otherTag = ticket("T-S303", "Printer elsewhere", "open", 30);
        long resolved = ticket("T-S304", "Printer fixed", "resolved", 40);
        long noWord = ticket("T-S305", "Paper tray", "open", 50);
        for (long t : List.of(first, second, resolved, noWord)) {
            tag(t, "use-vip");
        }
        tag(otherTag, "use-other");
        message(noWord, "The tray is empty.");
        String agent = agent();
        String token = web.apiTokenOf(agent);

        HttpResponse<String> saved = save(token, "VIP printers", "view=all&status=open&tag=use-vip&q=printer", "oldest");

        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(201);
        assertThat(json(saved).get("query").asText()).as("stored as the list writes it").isEqualTo("status=open&tag=use-vip&q=printer");
        assertThat(numbers(json(saved).get("tickets").asText(), token)).containsExactly("T-S301", "T-S302");
        String page = web.loggedInAs(agent).get("/tickets").body();
        String href = page.substring(page.indexOf("id=\"saved-views\"")).replaceFirst("(?s).*?href=\"([^\"]+)\".*", "$1")
                .replace("&amp;", "&");
        String list = web.loggedInAs(agent).get(href).body();
        assertThat(list).contains("T-S301", "T-S302").doesNotContain("T-S303").doesNotContain("T-S304").doesNotContain("T-S305");
        assertThat(list.indexOf("T-S301")).isLessThan(list.indexOf("T-S302"));
        assertThat(listed(token).get("VIP printers").get("count").asInt()).isEqualTo(2);
    }

    @Test
    void oldestFirstPagesThroughEveryTicketOnceInOrderAndACursorKeepsItsOrder() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            // two tickets at each minute: the id decides between them
            String number = "T-S4" + i;
            long id = web.data.ticket(number, "Paging", "pending", mailbox, "pager@example.test", START.minusDays(1).plusMinutes(i / 2));
            tag(id, "paging");
            expected.add(number);
        }
        String token = web.apiTokenOf(agent());

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            HttpResponse<String> page = web.apiGet("/api/v1/tickets?tag=paging&sort=oldest&limit=2"
                    + (cursor == null ? "" : "&cursor=" + cursor), token);
            assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
            json(page).get("tickets").forEach(t -> seen.add(t.get("number").asText()));
            cursor = json(page).get("nextCursor").isNull() ? null : json(page).get("nextCursor").asText();
            pages++;
        } while (cursor != null && pages < 10);

        assertThat(seen).containsExactlyElementsOf(expected);
        assertThat(pages).isEqualTo(4);
        List<String> newestFirst = new ArrayList<>(expected);
        Collections.reverse(newestFirst);
        assertThat(numbers("/api/v1/tickets?tag=paging&limit=50", token)).containsExactlyElementsOf(newestFirst);
        String oldestCursor = json(web.apiGet("/api/v1/tickets?tag=paging&sort=oldest&limit=2", token)).get("nextCursor").asText();
        HttpResponse<String> mixed = web.apiGet("/api/v1/tickets?tag=paging&limit=2&cursor=" + oldestCursor, token);
        assertThat(mixed.statusCode()).isEqualTo(400);
        assertThat(mixed.body()).contains("sorted oldest first").contains("sort=oldest");
        HttpResponse<String> unknown = web.apiGet("/api/v1/tickets?sort=sideways", token);
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("unknown sort 'sideways'").contains("newest, oldest");
    }

    @Test
    void theListPageOfferedOldestFirstLinksToNewerTicketsWithItsSort() {
        String agent = agent();
        WebFixture.Browser browser = web.loggedInAs(agent);
        for (int i = 0; i < TicketPages.PAGE_SIZE + 1; i++) {
            tag(ticket("T-S5" + i, "Page paging", "open", 100 + i), "page-paging");
        }

        String first = browser.get("/tickets?tag=page-paging&sort=oldest").body();

        assertThat(first).contains("<option value=\"oldest\" selected>oldest first</option>");
        String next = first.replaceFirst("(?s).*<a href=\"([^\"]+)\" id=\"next-page\">Newer tickets →</a>.*", "$1").replace("&amp;", "&");
        assertThat(next).startsWith("/tickets?tag=page-paging&sort=oldest&cursor=");
        String second = browser.get(next).body();
        assertThat(first).contains(">T-S50<").doesNotContain(">T-S5" + TicketPages.PAGE_SIZE + "<");
        assertThat(second).contains(">T-S5" + TicketPages.PAGE_SIZE + "<").doesNotContain(">T-S50<");
    }

    @Test
    void aNameTakenInAnyCaseIsRefusedButSavingTheSameViewAgainAnswersTheStoredOne() {
        String token = web.apiTokenOf(agent());
        HttpResponse<String> first = save(token, "Urgent", "priority=urgent", null);

        HttpResponse<String> again = save(token, "Urgent", "priority=urgent", "newest");
        HttpResponse<String> clash = save(token, "URGENT", "priority=high", null);

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(json(again).get("id").asLong()).isEqualTo(json(first).get("id").asLong());
        assertThat(clash.statusCode()).isEqualTo(400);
        assertThat(clash.body()).contains("you already have a view named 'Urgent'");
        assertThat(listed(token)).containsOnlyKeys("Urgent");
    }

    @Test
    void aBadNameOrFilterIsRefusedNamingTheProblem() {
        String token = web.apiTokenOf(agent());

        assertThat(save(token, "  ", "status=open", null).body()).contains("name the view");
        assertThat(save(token, "x".repeat(61), "status=open", null).body()).contains("61 characters long; at most 60");
        assertThat(save(token, "Sleepy", "status=sleeping", null).body()).contains("unknown ticket status 'sleeping'");
        assertThat(save(token, "Colour", "colour=red", null).body()).contains("unknown parameter 'colour'");
        assertThat(save(token, "Twice", "status=open&status=pending", null).body()).contains("gives status twice");
        assertThat(save(token, "Escape", "q=100%", null).body()).contains("bad %-escape");
        assertThat(save(token, "Long search", "q=" + "a".repeat(TicketSearch.MAX_LENGTH + 1), null).body())
                .contains("at most " + TicketSearch.MAX_LENGTH);
        assertThat(save(token, "Sideways", "status=open", "sideways").body()).contains("unknown sort 'sideways'");
        assertThat(save(token, "Both", "sort=oldest", "newest").body()).contains("give the sort once");
        HttpResponse<String> extra = web.api("POST", "/api/v1/views", token, "{\"name\": \"X\", \"colour\": \"red\"}", Map.of());
        assertThat(extra.statusCode()).isEqualTo(400);
        assertThat(extra.body()).contains("not colour");
        assertThat(listed(token)).isEmpty();
    }

    @Test
    void thirtyViewsAreTheMostOnePersonKeeps() {
        String agent = agent();
        String token = web.apiTokenOf(agent);
        for (int i = 1; i <= SavedViews.MAX_VIEWS; i++) {
            assertThat(save(token, "View " + i, "tag=t" + i, null).statusCode()).isEqualTo(201);
        }

        HttpResponse<String> oneMore = save(token, "View 31", "tag=t31", null);

        assertThat(oneMore.statusCode()).isEqualTo(400);
        assertThat(oneMore.body()).contains("you have 30 saved views, the most one may keep; delete one");
        assertThat(listed(token)).hasSize(SavedViews.MAX_VIEWS);
        assertThat(save(web.apiTokenOf(agent()), "View 31", "tag=t31", null).statusCode()).as("another agent's own limit")
                .isEqualTo(201);
    }

    @Test
    void anAgentDeletesTheirOwnViewsAndSomeoneElsesDoesNotExistForThem() {
        String owner = agent();
        String ownerToken = web.apiTokenOf(owner);
        long apiView = json(save(ownerToken, "Mine by API", "status=open", null)).get("id").asLong();
        long pageView = json(save(ownerToken, "Mine by page", "status=pending", null)).get("id").asLong();
        String other = agent();
        String otherToken = web.apiTokenOf(other);
        WebFixture.Browser otherBrowser = web.loggedInAs(other);
        String adminToken = web.apiTokenOf(web.staff(Role.ADMIN, Map.of()));

        HttpResponse<String> byOther = web.api("DELETE", "/api/v1/views/" + apiView, otherToken, null, Map.of());
        HttpResponse<String> byAdmin = web.api("DELETE", "/api/v1/views/" + apiView, adminToken, null, Map.of());
        HttpResponse<String> pageByOther = otherBrowser.post("/tickets/views/" + pageView + "/delete",
                Map.of("csrf", otherBrowser.csrf()));

        assertThat(byOther.statusCode()).isEqualTo(404);
        assertThat(byOther.body()).contains("saved view " + apiView + " does not exist");
        assertThat(byAdmin.statusCode()).isEqualTo(404);
        assertThat(pageByOther.statusCode()).isEqualTo(404);
        assertThat(listed(otherToken)).isEmpty();
        assertThat(listed(ownerToken)).containsOnlyKeys("Mine by API", "Mine by page");

        HttpResponse<String> deleted = web.api("DELETE", "/api/v1/views/" + apiView, ownerToken, null, Map.of());
        WebFixture.Browser ownerBrowser = web.loggedInAs(owner);
        String page = ownerBrowser.get("/tickets").body();
        assertThat(page).contains("action=\"/tickets/views/" + pageView + "/delete\"");
        HttpResponse<String> pageDeleted = ownerBrowser.post("/tickets/views/" + pageView + "/delete",
                Map.of("csrf", ownerBrowser.csrf()));

        assertThat(deleted.statusCode()).isEqualTo(204);
        assertThat(pageDeleted.statusCode()).isEqualTo(303);
        assertThat(pageDeleted.headers().firstValue("Location")).contains("/tickets?viewDeleted=1");
        assertThat(ownerBrowser.get("/tickets?viewDeleted=1").body()).contains("View deleted.").doesNotContain("id=\"saved-views\"");
        assertThat(listed(ownerToken)).isEmpty();
        assertThat(web.api("DELETE", "/api/v1/views/" + apiView, ownerToken, null, Map.of()).statusCode()).isEqualTo(404);
    }

    @Test
    void thePageFormsWithoutTheCsrfTokenAreRefusedAndChangeNothing() {
        String agent = agent();
        long staffId = web.db.dsl().select(STAFF_USER.ID).from(STAFF_USER).where(STAFF_USER.EMAIL.eq(agent)).fetchSingle(STAFF_USER.ID);
        long kept = json(save(web.apiTokenOf(agent), "Kept", "status=open", null)).get("id").asLong();
        WebFixture.Browser browser = web.loggedInAs(agent);

        HttpResponse<String> noToken = browser.post("/tickets/views", Map.of("name", "Forged", "query", "status=open"));
        HttpResponse<String> wrongToken = browser.post("/tickets/views", Map.of("csrf", "not-the-token", "name", "Forged",
                "query", "status=open"));
        HttpResponse<String> deleteNoToken = browser.post("/tickets/views/" + kept + "/delete", Map.of());

        assertThat(noToken.statusCode()).isEqualTo(403);
        assertThat(wrongToken.statusCode()).isEqualTo(403);
        assertThat(deleteNoToken.statusCode()).isEqualTo(403);
        assertThat(web.db.dsl().select(SAVED_VIEW.NAME).from(SAVED_VIEW).where(SAVED_VIEW.OWNER_ID.eq(staffId))
                .fetch(SAVED_VIEW.NAME)).containsExactly("Kept");
    }

    @Test
    void anAgentsViewOfAGroupTheyCannotSeeNeitherCountsNorShowsItsTickets() {
        long hidden = ticket("T-S601", "Billing secret invoice", "open", 60);
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, billing).where(TICKET.ID.eq(hidden)).execute();
        tag(hidden, "secret-ledger");
        tag(ticket("T-S602", "Support ledger", "open", 61), "secret-ledger");
        String agent = agent();
        String token = web.apiTokenOf(agent);
        String adminToken = web.apiTokenOf(web.staff(Role.ADMIN, Map.of()));

        assertThat(save(token, "Billing", "group=Billing", null).statusCode()).isEqualTo(201);
        assertThat(save(token, "Ledger", "tag=secret-ledger&q=invoice", null).statusCode()).isEqualTo(201);
        assertThat(save(adminToken, "Billing", "group=Billing", null).statusCode()).isEqualTo(201);

        Map<String, JsonNode> views = listed(token);
        assertThat(views.get("Billing").get("count").asInt()).isZero();
        assertThat(views.get("Ledger").get("count").asInt()).as("the search matches only the Billing ticket").isZero();
        assertThat(listed(adminToken).get("Billing").get("count").asInt()).as("an admin's same view sees it").isEqualTo(1);
        assertThat(numbers(views.get("Billing").get("tickets").asText(), token)).isEmpty();
        assertThat(numbers(views.get("Ledger").get("tickets").asText(), token)).isEmpty();
        String page = web.loggedInAs(agent).get("/tickets?group=Billing").body();
        assertThat(page).contains(">Billing <span class=\"count\">0</span>").doesNotContain("T-S601");
        assertThat(web.loggedInAs(agent).get("/tickets?tag=secret-ledger").body()).contains("T-S602").doesNotContain("T-S601");
    }
}
