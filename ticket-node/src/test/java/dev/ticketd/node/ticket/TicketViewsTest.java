package dev.ticketd.node.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ticketd.desk.GroupAccess;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.web.WebFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;

/** The list's built-in views, each with a count that counts at most {@link TicketQueries#COUNT_CAP} tickets. */
class TicketViewsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static WebFixture web;

    /** An agent of group Desk only, whose views the count test reads; the other tests work in Support. */
    private static String counted;
    private static String agent;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        String mailbox = web.data.mailbox("views", "views@desk.example.test");
        web.data.group("Billing");
        long desk = web.data.group("Desk");
        counted = web.staff(Role.AGENT, Map.of("Desk", GroupAccess.FULL));
        agent = web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL));
        long me = web.db.dsl().select(STAFF_USER.ID).from(STAFF_USER).where(STAFF_USER.EMAIL.eq(counted)).fetchSingle(STAFF_USER.ID);
        long mine1 = web.data.ticket("T-8001", "Mine", "open", mailbox, "a@example.test");
        long mine2 = web.data.ticket("T-8002", "Mine too", "open", mailbox, "b@example.test");
        long nobodys = web.data.ticket("T-8003", "Nobody's", "open", mailbox, "c@example.test");
        long waiting = web.data.ticket("T-8004", "Waiting", "pending", mailbox, "d@example.test");
        web.data.ticket("T-8005", "Not for Desk", "open", mailbox, "e@example.test");
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, desk).where(TICKET.ID.in(mine1, mine2, nobodys, waiting)).execute();
        web.db.dsl().update(TICKET).set(TICKET.OWNER_ID, me).where(TICKET.ID.in(mine1, mine2)).execute();
        // more resolved tickets than a count counts
        web.db.dsl().execute("insert into ticket (number, subject, status, requester_id, group_id) "
                + "select 'T-R' || n, 'old', 'resolved', (select min(id) from contact), " + desk + " from generate_series(1, "
                + (TicketQueries.COUNT_CAP + 5) + ") n");
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    @Test
    void aTicketShowsTheRequestersOtherTicketsAndThoseOfTheirCompanyButNotOfAPublicMailProvider() {
        long kim1 = web.data.ticket("T-8101", "Kim first", "resolved", "views", "kim@acme.example");
        web.data.ticket("T-8102", "Kim again", "open", "views", "kim@acme.example");
        web.data.ticket("T-8103", "Lee at Acme", "open", "views", "lee@acme.example");
        long hidden = web.data.ticket("T-8104", "Acme billing", "open", "views", "max@acme.example");
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, web.data.group("Billing")).where(TICKET.ID.eq(hidden)).execute();
        long free1 = web.data.ticket("T-8105", "Free mail", "open", "views", "zed@gmail.com");
        web.data.ticket("T-8106", "Free mail again", "open", "views", "zed@gmail.com");
        web.data.ticket("T-8107", "Someone else at gmail", "open", "views", "ann@gmail.com");
        WebFixture.Browser browser = web.loggedInAs(agent);

        String kim = browser.get("/tickets/" + kim1).body();
        String free = browser.get("/tickets/" + free1).body();

        assertThat(kim).contains("id=\"customer-history\"").contains("T-8102").contains("T-8103")
                .as("a ticket of a group the agent is not in").doesNotContain("T-8104");
        assertThat(free).contains("T-8106").as("gmail.com is no company").doesNotContain("T-8107");
    }

    @Test
    void aBulkChangeChangesEachTicketTheAgentMayChangeAuditsEachAndARepeatChangesNothing() throws Exception {
        long one = web.data.ticket("T-8201", "Bulk one", "open", "views", "f@example.test");
        long two = web.data.ticket("T-8202", "Bulk two", "open", "views", "g@example.test");
        long theirs = web.data.ticket("T-8203", "Bulk other team", "open", "views", "h@example.test");
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, web.data.group("Billing")).where(TICKET.ID.eq(theirs)).execute();
        String token = web.apiTokenOf(agent);
        String body = "{\"ids\": [" + one + ", " + two + ", " + theirs + "], \"status\": \"resolved\", \"priority\": \"low\"}";

        HttpResponse<String> first = web.api("POST", "/api/v1/tickets/bulk", token, body, Map.of());
        HttpResponse<String> again = web.api("POST", "/api/v1/tickets/bulk", token, body, Map.of());

        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        JsonNode results = JSON.readTree(first.body()).get("results");
        assertThat(results).hasSize(3);
        assertThat(results.get(0).get("status").asInt()).isEqualTo(200);
        assertThat(results.get(0).get("changed").asBoolean()).isTrue();
        assertThat(results.get(2).get("status").asInt()).as("another team's ticket does not exist for the agent").isEqualTo(404);
        assertThat(JSON.readTree(again.body()).get("results").get(1).get("changed").asBoolean()).isFalse();
        assertThat(web.db.dsl().select(TICKET.STATUS).from(TICKET).where(TICKET.ID.in(one, two, theirs)).orderBy(TICKET.ID)
                .fetch(TICKET.STATUS)).containsExactly("resolved", "resolved", "open");
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.in(one, two).and(AUDIT_LOG.ACTION.eq("ticket.status_changed"))))
                .as("one entry per ticket, none for the repeat").isEqualTo(2);

        WebFixture.Browser browser = web.loggedInAs(agent);
        String csrf = browser.csrf();
        HttpResponse<String> page = browser.postMultipart("/tickets/bulk", Map.of("csrf", csrf, "action", "owner:me",
                "ids", Long.toString(one), "back", "status=resolved"), List.of());
        assertThat(page.statusCode()).isEqualTo(303);
        assertThat(page.headers().firstValue("Location")).contains("/tickets?status=resolved&done=1&refused=0");
        assertThat(browser.get("/tickets?owner=me&status=resolved").body()).contains("T-8201").doesNotContain("T-8202");
    }

    @Test
    void theAgentsSavedViewsComeAfterTheBuiltInOnesEachCountedLikeThem() {
        String agent = web.staff(Role.AGENT, Map.of("Desk", GroupAccess.FULL));
        dev.ticketd.desk.Viewer viewer = web.accounts.authenticate(agent, WebFixture.PASSWORD).orElseThrow().viewer();
        SavedViews saved = new SavedViews(web.db, web.db.transactions());
        saved.save(viewer, "Old resolved", "status=resolved", "oldest");
        saved.save(viewer, "desk pending", "group=Desk&status=pending", null);

        List<TicketQueries.View> views = new TicketQueries(web.db).views(viewer).value();

        assertThat(views).extracting(TicketQueries.View::name)
                .containsExactly("My open tickets", "Unassigned", "Due soon / overdue", "Desk", "Pending", "Resolved", "All",
                        "desk pending", "Old resolved");
        assertThat(views).extracting(TicketQueries.View::shownCount)
                .containsExactly("0", "1", "0", "3", "1", TicketQueries.COUNT_CAP + "+", TicketQueries.COUNT_CAP + "+", "1",
                        TicketQueries.COUNT_CAP + "+");
        assertThat(views.get(8).filter().sort()).isEqualTo(TicketSort.OLDEST);
        assertThat(views.get(8).href()).isEqualTo("/tickets?status=resolved&sort=oldest");
        assertThat(new TicketQueries(web.db).views(web.accounts.authenticate(counted, WebFixture.PASSWORD).orElseThrow().viewer())
                .value()).as("another agent's views are theirs alone").noneMatch(v -> v.saved() != null);
    }

    @Test
    void eachViewCountsTheTicketsTheAgentMaySeeAndABigOneSaysThereAreMore() {
        Map<String, String> counts = new TicketQueries(web.db).views(web.accounts.authenticate(counted, WebFixture.PASSWORD)
                        .orElseThrow().viewer()).value().stream()
                .collect(Collectors.toMap(TicketQueries.View::name, TicketQueries.View::shownCount));

        assertThat(counts).containsEntry("My open tickets", "2").containsEntry("Unassigned", "1")
                .containsEntry("Desk", "3").containsEntry("Pending", "1")
                .containsEntry("Resolved", TicketQueries.COUNT_CAP + "+").containsEntry("All", TicketQueries.COUNT_CAP + "+")
                .as("Support is no group of the agent's").doesNotContainKey("Support");

        String token = web.apiTokenOf(counted);
        assertThat(web.apiGet("/api/v1/tickets?view=mine", token).body()).contains("T-8001", "T-8002").doesNotContain("T-8003");
        assertThat(web.apiGet("/api/v1/tickets?view=unassigned", token).body()).contains("T-8003").doesNotContain("T-8001");
        assertThat(web.apiGet("/api/v1/tickets?view=group:Desk&owner=me", token).body()).as("a filter besides the view wins")
                .contains("T-8001").doesNotContain("T-8003");
        HttpResponse<String> unknown = web.apiGet("/api/v1/tickets?view=everything", token);
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("unknown view 'everything'");

        String page = web.loggedInAs(counted).get("/tickets?owner=none&status=open").body();
        assertThat(page).as("every page's header").contains("my open tickets: 2");
        assertThat(page).contains("Unassigned <span class=\"count\">1</span>").contains("T-8003").doesNotContain("T-8001")
                .doesNotContain("T-8005");
    }
}
