package dev.ticketd.node.sla;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ticketd.desk.GroupAccess;
import dev.ticketd.desk.Tickets;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.web.WebFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.ticketd.db.generated.Tables.SLA_POLICY;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service levels on the staff UI: an admin sets calendars and policies on {@code /admin/sla}
 * (bad input refused with 400 naming the field, forms without the CSRF token refused); staff see due
 * times in the list, the "Due soon / overdue" view and on the ticket, and only for tickets of the
 * groups they may see.
 */
class SlaPagesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static WebFixture web;
    private static WebFixture.Browser admin;
    private static long overdue;
    private static long later;
    private static long billing;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        String support = web.data.mailbox("sla-help", "help@sla.example.test", "Support");
        String billingBox = web.data.mailbox("sla-billing", "billing@sla.example.test", "Billing");
        admin = web.loggedInAs(web.staff(Role.ADMIN, Map.of()));
        assertThat(admin.post("/admin/sla/calendars", form("name", "Office", "zone", "Europe/Berlin", "hours", "mon-fri=09:00-17:00"))
                .statusCode()).isEqualTo(303);
        assertThat(admin.post("/admin/sla/policies", form("group", "Support", "priority", "normal", "firstResponse", "1h",
                "warnBefore", "30m")).statusCode()).isEqualTo(303);
        assertThat(admin.post("/admin/sla/policies", form("group", "Billing", "priority", "normal", "calendar", "Office",
                "resolution", "40h", "raisePriority", "on", "notifyGroup", "on")).statusCode()).isEqualTo(303);
        Tickets tickets = new Tickets();
        overdue = web.data.ticket("T-9001", "Printer on fire", "open", support, "ann@example.test");
        later = web.data.ticket("T-9002", "Toner low", "open", support, "bob@example.test");
        billing = web.data.ticket("T-9003", "Invoice twice", "open", billingBox, "cy@example.test");
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, web.data.group("Billing")).where(TICKET.ID.eq(billing)).execute();
        web.db.transactions().write(tx -> {
            tickets.sla().opened(tx, overdue, Instant.now().minus(Duration.ofHours(2)));
            tickets.sla().opened(tx, later, Instant.now());
            tickets.sla().opened(tx, billing, Instant.now());
            return null;
        });
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    @Test
    void savingAPolicyOnTheScreenMovesTheDueTimesOfTheTicketsItCounts() {
        java.time.OffsetDateTime before = dueAt(billing);
        assertThat(admin.post("/admin/sla/policies", form("group", "Billing", "priority", "normal", "calendar", "Office",
                "resolution", "48h", "raisePriority", "on", "notifyGroup", "on")).statusCode()).isEqualTo(303);
        java.time.OffsetDateTime longer = dueAt(billing);
        assertThat(Duration.between(before, longer)).as("8 more business hours: a working day later").isGreaterThanOrEqualTo(Duration.ofHours(8));

        assertThat(admin.post("/admin/sla/policies", form("group", "Billing", "priority", "normal", "calendar", "Office",
                "resolution", "40h", "raisePriority", "on", "notifyGroup", "on")).statusCode()).isEqualTo(303);
        assertThat(dueAt(billing)).as("and back").isEqualTo(before);
    }

    @Test
    void savingTheCalendarOfAPolicyMovesTheDueTimesOfItsTicketsToo() {
        java.time.OffsetDateTime before = dueAt(billing);
        assertThat(admin.post("/admin/sla/calendars", form("name", "Office", "zone", "Europe/Berlin", "hours", "mon-fri=09:00-13:00"))
                .statusCode()).isEqualTo(303);
        assertThat(Duration.between(before, dueAt(billing))).as("40 h of 4-hour days instead of 8-hour days: days later")
                .isGreaterThanOrEqualTo(Duration.ofDays(5));

        assertThat(admin.post("/admin/sla/calendars", form("name", "Office", "zone", "Europe/Berlin", "hours", "mon-fri=09:00-17:00"))
                .statusCode()).isEqualTo(303);
        assertThat(dueAt(billing)).as("and back").isEqualTo(before);
    }

    private static java.time.OffsetDateTime dueAt(long ticket) {
        return web.db.dsl().select(TICKET.SLA_DUE_AT).from(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle(TICKET.SLA_DUE_AT);
    }

    @Test
    void anAdminSeesThePoliciesAndCalendarsTheySet() {
        String page = admin.get("/admin/sla").body();
        assertThat(page).contains("Office", "Europe/Berlin", "mon 09:00-17:00", "40h", "30m before");
        assertThat(web.db.dsl().fetchCount(SLA_POLICY)).isEqualTo(2);
        assertThat(web.db.dsl().select(SLA_POLICY.NOTIFY_GROUP).from(SLA_POLICY).where(SLA_POLICY.GROUP_ID.eq(web.data.group("Billing")))
                .fetchSingle(SLA_POLICY.NOTIFY_GROUP)).as("the box ticked").isTrue();
        assertThat(web.db.dsl().select(SLA_POLICY.NOTIFY_GROUP).from(SLA_POLICY).where(SLA_POLICY.GROUP_ID.eq(web.data.group("Support")))
                .fetchSingle(SLA_POLICY.NOTIFY_GROUP)).as("the box left empty").isFalse();
    }

    @Test
    void badInputIsRefusedNamingTheField() {
        assertRefused(admin.post("/admin/sla/policies", form("group", "Support", "priority", "normal", "firstResponse", "soon")),
                "first-response: a duration looks like 4h");
        assertRefused(admin.post("/admin/sla/policies", form("group", "Support", "priority", "normal")), "at least one target");
        assertRefused(admin.post("/admin/sla/policies", form("group", "Nobody", "priority", "normal", "firstResponse", "1h")),
                "group: no group is called");
        assertRefused(admin.post("/admin/sla/policies", form("group", "Support", "priority", "asap", "firstResponse", "1h")),
                "priority: use low, normal, high or urgent");
        assertRefused(admin.post("/admin/sla/calendars", form("name", "Night", "zone", "Mars/Olympus", "hours", "mon=00:00-06:00")),
                "zone: unknown time zone");
        assertRefused(admin.post("/admin/sla/calendars", form("name", "Night", "zone", "UTC", "hours", "mon=18:00-06:00")),
                "hours: working hours must open before they close");
        assertRefused(admin.post("/admin/sla/holidays", form("calendar", "Office", "day", "25.12.2026")), "day: a date looks like");
    }

    @Test
    void aFormWithoutTheSecurityTokenChangesNothing() {
        Map<String, String> noToken = new LinkedHashMap<>(Map.of("group", "Support", "priority", "high", "firstResponse", "1h"));
        assertThat(admin.post("/admin/sla/policies", noToken).statusCode()).isEqualTo(403);
        assertThat(web.db.dsl().fetchCount(SLA_POLICY, SLA_POLICY.PRIORITY.eq("high"))).isZero();
    }

    @Test
    void anAgentSeesDueTimesOnlyOfTheirGroupsTicketsAndTheOverdueOnesInTheDueView() throws Exception {
        WebFixture.Browser agent = web.loggedInAs(web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL)));

        String list = agent.get("/tickets").body();
        assertThat(list).contains("Due soon / overdue", "first response", "overdue").doesNotContain("T-9003");
        String due = agent.get("/tickets?view=due").body();
        assertThat(due).contains("T-9001").doesNotContain("T-9002").doesNotContain("T-9003");
        String sorted = agent.get("/tickets?sort=due").body();
        assertThat(sorted.indexOf("T-9001")).as("earliest due first").isLessThan(sorted.indexOf("T-9002"));
        assertThat(agent.get("/tickets/" + overdue).body()).contains("id=\"ticket-sla\"", "first response", "overdue");
        assertThat(agent.get("/tickets/" + billing).statusCode()).as("another group's ticket does not exist for them").isEqualTo(404);

        JsonNode api = JSON.readTree(web.apiGet("/api/v1/tickets?sort=due", web.apiToken()).body());
        assertThat(api.path("tickets").get(0).path("slaState").asText()).isEqualTo("overdue");
        assertThat(api.path("tickets").get(0).path("slaDueKind").asText()).isEqualTo("first_response");
    }

    @Test
    void theListSortedByDueTimePagesByItsCursorAndSavedViewsKeepTheSlaFilter() throws Exception {
        String token = web.apiToken();
        JsonNode first = JSON.readTree(web.apiGet("/api/v1/tickets?sort=due&limit=1", token).body());
        assertThat(first.path("tickets").get(0).path("number").asText()).isEqualTo("T-9001");
        String cursor = first.path("nextCursor").asText();
        JsonNode second = JSON.readTree(web.apiGet("/api/v1/tickets?sort=due&limit=1&cursor=" + cursor, token).body());
        assertThat(second.path("tickets").get(0).path("number").asText()).as("then the next due").isIn("T-9002", "T-9003");
        assertThat(web.apiGet("/api/v1/tickets?sort=newest&cursor=" + cursor, token).statusCode())
                .as("a due-time cursor is refused by another order").isEqualTo(400);
        assertThat(web.apiGet("/api/v1/tickets?sla=late", token).statusCode()).isEqualTo(400);

        HttpResponse<String> saved = web.api("POST", "/api/v1/views", token, "{\"name\": \"My late ones\", \"query\": \"sla=due&sort=due\"}",
                Map.of());
        assertThat(saved.statusCode()).as(saved.body()).isBetween(200, 201);
        JsonNode listed = JSON.readTree(web.apiGet("/api/v1/views", token).body()).path("views").get(0);
        assertThat(listed.path("query").asText()).isEqualTo("sla=due");
        assertThat(listed.path("sort").asText()).isEqualTo("due");
        assertThat(listed.path("count").asInt()).as("only the overdue ticket of the agent's group").isEqualTo(1);
    }

    private static void assertRefused(HttpResponse<String> answer, String naming) {
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(400);
        assertThat(answer.body().replace("&#39;", "'")).contains(naming);
    }

    private static Map<String, String> form(String... pairs) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("csrf", admin.csrf());
        for (int i = 0; i < pairs.length; i += 2) {
            form.put(pairs[i], pairs[i + 1]);
        }
        return form;
    }
}
