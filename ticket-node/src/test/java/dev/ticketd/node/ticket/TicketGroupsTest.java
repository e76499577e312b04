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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Groups own tickets: an agent sees only the tickets of their groups and changes only those where
 * their access is full, on every page and route; staff take, assign, unassign and move tickets, each
 * change audited.
 */
class TicketGroupsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static WebFixture web;
    private static long supportTicket;
    private static long billingTicket;
    private static String supportAgent;
    private static String billingReader;
    private static String billingAgent;
    private static String admin;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        String support = web.data.mailbox("help", "help@desk.example.test");
        String billing = web.data.mailbox("billing", "billing@desk.example.test", "Billing");
        supportTicket = web.data.ticket("T-7001", "Printer jammed", "open", support, "ann@example.test");
        billingTicket = web.data.ticket("T-7002", "Invoice sent twice", "open", billing, "bob@example.test");
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, web.data.group("Billing")).where(TICKET.ID.eq(billingTicket)).execute();
        supportAgent = web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL));
        billingReader = web.staff(Role.AGENT, Map.of("Billing", GroupAccess.READ));
        billingAgent = web.staff(Role.AGENT, Map.of("Billing", GroupAccess.FULL));
        admin = web.staff(Role.ADMIN, Map.of());
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    @Test
    void anAgentSeesAndFindsOnlyTheTicketsOfTheirGroupsAndAnAdminSeesAll() throws Exception {
        String token = web.apiTokenOf(supportAgent);

        assertThat(numbers(web.apiGet("/api/v1/tickets", token))).contains("T-7001").doesNotContain("T-7002");
        assertThat(numbers(web.apiGet("/api/v1/tickets", web.apiTokenOf(admin)))).contains("T-7001", "T-7002");
        assertThat(numbers(web.apiGet("/api/v1/tickets?group=Billing", web.apiTokenOf(admin)))).containsExactly("T-7002");

        HttpResponse<String> other = web.apiGet("/api/v1/tickets/" + billingTicket, token);
        assertThat(other.statusCode()).as("a ticket of another group does not exist for the agent").isEqualTo(404);
        assertThat(web.apiGet("/api/v1/tickets/" + billingTicket + "/history", token).statusCode()).isEqualTo(404);
        assertThat(patch(billingTicket, token, "{\"status\": \"closed\"}").statusCode()).isEqualTo(404);
        assertThat(web.api("POST", "/api/v1/tickets/" + billingTicket + "/notes", token, "{\"body\": \"peek\"}",
                Map.of("Idempotency-Key", "peek-1")).statusCode()).isEqualTo(404);
        assertThat(web.loggedInAs(supportAgent).get("/tickets/" + billingTicket).statusCode()).isEqualTo(404);
        assertThat(web.loggedInAs(supportAgent).get("/tickets").body()).contains("T-7001").doesNotContain("T-7002");
        assertThat(statusOf(billingTicket)).isEqualTo("open");
    }

    @Test
    void aReadOnlyMemberSeesATicketButCannotChangeIt() throws Exception {
        String token = web.apiTokenOf(billingReader);

        HttpResponse<String> seen = web.apiGet("/api/v1/tickets/" + billingTicket, token);
        assertThat(seen.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(seen.body()).get("mayChange").asBoolean()).isFalse();
        HttpResponse<String> refused = patch(billingTicket, token, "{\"priority\": \"urgent\"}");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(refused.body()).get("error").asText()).contains("read but not change").contains("Billing");
        assertThat(web.api("POST", "/api/v1/tickets/" + billingTicket + "/replies", token, "{\"body\": \"hello\"}",
                Map.of("Idempotency-Key", "ro-1")).statusCode()).isEqualTo(403);

        WebFixture.Browser browser = web.loggedInAs(billingReader);
        String page = browser.get("/tickets/" + billingTicket).body();
        assertThat(page).contains("id=\"read-only\"").doesNotContain("action=\"/tickets/" + billingTicket + "/reply\"")
                .doesNotContain("action=\"/tickets/" + billingTicket + "/status\"");
        assertThat(browser.post("/tickets/" + billingTicket + "/owner", Map.of("csrf", browser.csrf(), "owner", "me")).statusCode())
                .isEqualTo(403);
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(billingTicket))).isZero();
    }

    @Test
    void anAgentTakesATicketAssignsItToAColleagueUnassignsItAndMovesIt() throws Exception {
        long ticket = web.data.ticket("T-7003", "Card declined", "open", "billing", "cat@example.test");
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, web.data.group("Billing")).where(TICKET.ID.eq(ticket)).execute();
        WebFixture.Browser browser = web.loggedInAs(billingAgent);
        String page = browser.get("/tickets/" + ticket).body();
        assertThat(page).contains("id=\"take\"").contains("owner <span id=\"ticket-owner\">nobody</span>");

        HttpResponse<String> taken = browser.post("/tickets/" + ticket + "/owner", Map.of("csrf", WebFixture.hiddenField(page, "csrf"), "owner", "me"));

        assertThat(taken.statusCode()).isEqualTo(303);
        assertThat(ownerOf(ticket)).isEqualTo(billingAgent);
        assertThat(browser.get("/tickets?owner=me").body()).contains("T-7003");
        assertThat(browser.get("/tickets?owner=none&group=Billing").body()).doesNotContain("T-7003");

        String token = web.apiTokenOf(billingAgent);
        HttpResponse<String> toReader = patch(ticket, token, "{\"owner\": \"" + billingReader + "\"}");
        assertThat(toReader.statusCode()).as("a read-only member cannot own it").isEqualTo(400);
        assertThat(JSON.readTree(toReader.body()).get("error").asText()).contains("full access to group Billing");
        HttpResponse<String> toAdmin = patch(ticket, token, "{\"owner\": \"" + admin + "\"}");
        assertThat(toAdmin.statusCode()).as(toAdmin.body()).isEqualTo(200);
        assertThat(JSON.readTree(toAdmin.body()).get("owner").asText()).isEqualTo(admin);
        HttpResponse<String> unassigned = patch(ticket, token, "{\"owner\": null}");
        assertThat(JSON.readTree(unassigned.body()).get("owner").isNull()).isTrue();
        assertThat(patch(ticket, token, "{\"owner\": \"nobody@example.test\"}").statusCode()).isEqualTo(400);

        patch(ticket, token, "{\"owner\": \"" + billingAgent + "\"}");
        HttpResponse<String> moved = patch(ticket, token, "{\"group\": \"Support\"}");
        assertThat(moved.statusCode()).as(moved.body()).isEqualTo(200);
        JsonNode now = JSON.readTree(moved.body());
        assertThat(now.get("group").asText()).isEqualTo("Support");
        assertThat(now.get("visible").asBoolean()).as("moved out of the agent's sight").isFalse();
        assertThat(ownerOf(ticket)).as("the billing agent cannot work Support tickets").isNull();
        assertThat(patch(ticket, token, "{\"group\": \"Billing\"}").statusCode()).as("and now cannot see it").isEqualTo(404);
        assertThat(patch(ticket, web.apiTokenOf(admin), "{\"group\": \"Nowhere\"}").statusCode()).isEqualTo(400);

        assertThat(web.db.dsl().select(AUDIT_LOG.ACTION).from(AUDIT_LOG).where(AUDIT_LOG.TICKET_ID.eq(ticket))
                .orderBy(AUDIT_LOG.ID).fetch(AUDIT_LOG.ACTION)).containsExactly("ticket.owner_changed", "ticket.owner_changed",
                "ticket.owner_changed", "ticket.owner_changed", "ticket.group_changed");
    }

    private static HttpResponse<String> patch(long ticket, String token, String json) {
        return web.api("PATCH", "/api/v1/tickets/" + ticket, token, json, Map.of());
    }

    private static List<String> numbers(HttpResponse<String> list) throws Exception {
        assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
        List<String> numbers = new ArrayList<>();
        JSON.readTree(list.body()).get("tickets").forEach(t -> numbers.add(t.get("number").asText()));
        return numbers;
    }

    private static String statusOf(long ticket) {
        return web.db.dsl().select(TICKET.STATUS).from(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle(TICKET.STATUS);
    }

    private static String ownerOf(long ticket) {
        return web.db.dsl().select(STAFF_USER.EMAIL).from(TICKET).join(STAFF_USER).on(STAFF_USER.ID.eq(TICKET.OWNER_ID))
                .where(TICKET.ID.eq(ticket)).fetchOne(STAFF_USER.EMAIL);
    }
}
