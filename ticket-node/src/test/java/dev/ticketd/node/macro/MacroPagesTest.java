package dev.ticketd.node.macro;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ticketd.desk.GroupAccess;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.web.WebFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.MACRO;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET_TAG;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Macros on the staff UI and the API: an admin keeps them on {@code /admin/macros} (a bad field or an
 * unknown placeholder refused by name, a form without the CSRF token refused); staff apply one on the
 * ticket page — all its actions in one transaction, audited as them, within their access — and find
 * its text filled in, escaped, in the reply box, not yet sent.
 */
class MacroPagesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger numbers = new AtomicInteger();
    private static WebFixture web;
    private static WebFixture.Browser admin;
    private static String agentEmail;
    private static WebFixture.Browser agent;
    private static String mailbox;
    private static long support;
    private static long billing;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        mailbox = web.data.mailbox("macro-help", "help@macro.example.test", "Support");
        support = web.data.group("Support");
        billing = web.data.group("Billing");
        admin = web.loggedInAs(web.staff(Role.ADMIN, Map.of()));
        agentEmail = web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL));
        agent = web.loggedInAs(agentEmail);
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    @Test
    void anAdminSavesAMacroAndSeesItListed() {
        HttpResponse<String> saved = admin.post("/admin/macros", form(admin, "name", "Listed", "body", "Hello {{customer.name}}",
                "status", "resolved", "addTags", "refund, vip"));

        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
        assertThat(admin.get("/admin/macros").body()).contains("Listed", "reply: Hello {{customer.name}}", "status resolved", "+refund", "+vip");
    }

    @Test
    void badInputIsRefusedNamingTheFieldOrThePlaceholder() {
        assertRefused(admin.post("/admin/macros", form(admin, "name", "Typo", "body", "Dear {{customer.nmae}},")),
                "body: unknown placeholder {{customer.nmae}}");
        assertRefused(admin.post("/admin/macros", form(admin, "name", "Bad status", "status", "done")), "status: one of open");
        assertRefused(admin.post("/admin/macros", form(admin, "name", "Bad group", "group", "Nobody")), "group: there is no group");
        assertRefused(admin.post("/admin/macros", form(admin, "name", "Bad tag", "addTags", "no/slash")), "addTags: a tag is");
        assertRefused(admin.post("/admin/macros", form(admin, "name", "Nothing")), "a macro needs a body or at least one action");
        assertRefused(admin.post("/admin/macros", form(admin, "name", " ", "body", "x")), "name: a macro needs a name");
        assertThat(web.db.dsl().fetchCount(MACRO, MACRO.NAME.in("Typo", "Bad status", "Bad group", "Bad tag", "Nothing"))).isZero();
    }

    @Test
    void aFormWithoutTheSecurityTokenChangesNothing() {
        Map<String, String> noToken = new LinkedHashMap<>(Map.of("name", "Sneaky", "body", "hi"));

        assertThat(admin.post("/admin/macros", noToken).statusCode()).isEqualTo(403);
        assertThat(web.db.dsl().fetchCount(MACRO, MACRO.NAME.eq("Sneaky"))).isZero();
    }

    @Test
    void agentsMayNotManageMacros() {
        assertThat(agent.get("/admin/macros").statusCode()).isEqualTo(403);
        assertThat(agent.post("/admin/macros", form(agent, "name", "Mine", "body", "hi")).statusCode()).isEqualTo(403);
        assertThat(web.db.dsl().fetchCount(MACRO, MACRO.NAME.eq("Mine"))).isZero();
    }

    @Test
    void applyingAMacroSetsEverythingAsTheAgentAndFillsItsEscapedTextIntoTheReplyBoxUnsent() {
        long macro = macro("Refund issued", "body", "Hello {{customer.name}},\nyour ticket {{ticket.number}} ({{ticket.subject}}) is "
                + "done.\n{{ agent.name }}", "status", "resolved", "priority", "low", "addTags", "refund", "removeTags", "waiting");
        long ticket = ticket("Money back <please>", "<b>Ann</b> & Co");
        tag(ticket, "waiting");
        tag(ticket, "billing");

        HttpResponse<String> applied = agent.post("/tickets/" + ticket + "/macro", form(agent, "macro", Long.toString(macro)));

        assertThat(applied.statusCode()).as(applied.body()).isEqualTo(303);
        assertThat(applied.headers().firstValue("Location").orElseThrow()).isEqualTo("/tickets/" + ticket + "?macro=" + macro + "&applied");
        var row = web.db.dsl().selectFrom(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle();
        assertThat(row.getStatus()).isEqualTo("resolved");
        assertThat(row.getPriority()).isEqualTo("low");
        assertThat(web.db.dsl().select(TICKET_TAG.TAG).from(TICKET_TAG).where(TICKET_TAG.TICKET_ID.eq(ticket)).orderBy(TICKET_TAG.TAG)
                .fetch(TICKET_TAG.TAG)).containsExactly("billing", "refund");
        assertThat(web.db.dsl().select(AUDIT_LOG.ACTION).from(AUDIT_LOG).where(AUDIT_LOG.TICKET_ID.eq(ticket))
                .and(AUDIT_LOG.ACTOR.eq(agentEmail)).fetch(AUDIT_LOG.ACTION))
                .as("each change audited as the agent")
                .containsExactlyInAnyOrder("ticket.macro_applied", "ticket.status_changed", "ticket.priority_changed", "ticket.tags_changed");
        assertThat(web.db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG).where(AUDIT_LOG.TICKET_ID.eq(ticket))
                .and(AUDIT_LOG.ACTION.eq("ticket.macro_applied")).fetchSingle(AUDIT_LOG.DETAIL).data())
                .contains("\"name\": \"Refund issued\"");
        assertThat(web.db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.TICKET_ID.eq(ticket))).as("nothing sent yet").isZero();

        String page = agent.get(applied.headers().firstValue("Location").orElseThrow()).body();
        String number = row.getNumber();
        assertThat(page).contains("Macro applied.")
                .contains("<textarea id=\"body\" name=\"body\">Hello &lt;b&gt;Ann&lt;/b&gt; &amp; Co,\nyour ticket " + number
                        + " (Money back &lt;please&gt;) is done.\nAgent " + agentEmail + "</textarea>")
                .doesNotContain("<b>Ann</b>");
    }

    @Test
    void aMacroWhoseTextIsANoteFillsTheNoteBox() {
        long macro = macro("Escalated note", "body", "Escalated by {{agent.email}}", "bodyKind", "note");
        long ticket = ticket("Note me", "Bea");

        agent.post("/tickets/" + ticket + "/macro", form(agent, "macro", Long.toString(macro)));

        assertThat(agent.get("/tickets/" + ticket + "?macro=" + macro + "&applied").body())
                .contains("<textarea id=\"note-body\" name=\"body\">Escalated by " + agentEmail + "</textarea>")
                .contains("<textarea id=\"body\" name=\"body\"></textarea>");
    }

    @Test
    void aMacroIsAppliedWholeOrNotAtAll() {
        long macro = macro("Too many tags", "status", "resolved", "addTags", "one-more");
        long ticket = ticket("Tagged to the brim", "Cy");
        for (int i = 0; i < 20; i++) {
            tag(ticket, "t" + i);
        }

        HttpResponse<String> refused = agent.post("/tickets/" + ticket + "/macro", form(agent, "macro", Long.toString(macro)));

        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        assertThat(refused.body()).contains("at most 20 tags");
        assertThat(web.db.dsl().select(TICKET.STATUS).from(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle(TICKET.STATUS))
                .as("the status it set in the same transaction is rolled back").isEqualTo("open");
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(ticket))).isZero();
    }

    @Test
    void aReadOnlyMemberCannotApplyAMacroNotEvenACannedReply() {
        long canned = macro("Canned thanks", "body", "Thanks, {{customer.name}}!");
        long ticket = ticket("Read only", "Dee");
        WebFixture.Browser reader = web.loggedInAs(web.staff(Role.AGENT, Map.of("Support", GroupAccess.READ)));

        assertThat(reader.post("/tickets/" + ticket + "/macro", form(reader, "macro", Long.toString(canned))).statusCode()).isEqualTo(403);
        assertThat(reader.get("/tickets/" + ticket + "?macro=" + canned).body()).doesNotContain("Thanks, Dee");
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(ticket))).isZero();
    }

    @Test
    void aMacroMovesATicketOnlyWhereTheGroupControlWouldAndAnotherGroupsTicketStaysOutOfReach() {
        long toBilling = macro("To billing", "group", "Billing");
        long ticket = ticket("Wrong desk", "Eve");

        HttpResponse<String> moved = agent.post("/tickets/" + ticket + "/macro", form(agent, "macro", Long.toString(toBilling)));

        assertThat(moved.headers().firstValue("Location").orElseThrow()).as("out of their sight now: back to the list").isEqualTo("/tickets");
        assertThat(web.db.dsl().select(TICKET.GROUP_ID).from(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle(TICKET.GROUP_ID)).isEqualTo(billing);
        long toSupport = macro("To support", "group", "Support");
        assertThat(agent.post("/tickets/" + ticket + "/macro", form(agent, "macro", Long.toString(toSupport))).statusCode())
                .as("a ticket of a group they are not in does not exist for them, macro or not").isEqualTo(404);
        assertThat(web.db.dsl().select(TICKET.GROUP_ID).from(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle(TICKET.GROUP_ID)).isEqualTo(billing);
    }

    @Test
    void theApiListsMacrosToStaffAppliesOneAndLetsOnlyAdminsChangeThem() throws Exception {
        String agentToken = web.apiTokenOf(agentEmail);
        String adminToken = web.apiToken(Role.ADMIN);
        String draft = "{\"name\": \"Api macro\", \"body\": \"Hi {{customer.name}}\", \"priority\": \"high\", \"addTags\": [\"api\"]}";
        assertThat(web.api("POST", "/api/v1/macros", agentToken, draft, Map.of()).statusCode()).isEqualTo(403);
        HttpResponse<String> created = web.api("POST", "/api/v1/macros", adminToken, draft, Map.of());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        long macro = JSON.readTree(created.body()).path("id").asLong();
        HttpResponse<String> unknown = web.api("PUT", "/api/v1/macros/" + macro, adminToken,
                "{\"name\": \"Api macro\", \"body\": \"Hi {{customer.first}}\"}", Map.of());
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("unknown placeholder {{customer.first}}");

        JsonNode listed = JSON.readTree(web.apiGet("/api/v1/macros", agentToken).body());
        assertThat(listed.path("macros").findValuesAsText("name")).contains("Api macro");

        long ticket = ticket("Via the API", "Fay");
        HttpResponse<String> applied = web.api("POST", "/api/v1/tickets/" + ticket + "/macro", agentToken, "{\"macro\": " + macro + "}", Map.of());
        assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
        JsonNode answer = JSON.readTree(applied.body());
        assertThat(answer.path("changed").asBoolean()).isTrue();
        assertThat(answer.path("body").asText()).isEqualTo("Hi Fay");
        assertThat(web.db.dsl().select(TICKET.PRIORITY).from(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle(TICKET.PRIORITY)).isEqualTo("high");
        HttpResponse<String> again = web.api("POST", "/api/v1/tickets/" + ticket + "/macro", agentToken, "{\"macro\": " + macro + "}", Map.of());
        assertThat(JSON.readTree(again.body()).path("changed").asBoolean()).as("a repeat writes nothing").isFalse();
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(ticket).and(AUDIT_LOG.ACTION.eq("ticket.macro_applied"))))
                .as("audited once").isEqualTo(1);

        assertThat(web.api("DELETE", "/api/v1/macros/" + macro, adminToken, null, Map.of()).statusCode()).isEqualTo(204);
        assertThat(web.api("POST", "/api/v1/tickets/" + ticket + "/macro", agentToken, "{\"macro\": " + macro + "}", Map.of()).statusCode())
                .isEqualTo(404);
    }

    /** A macro saved through the admin screen; its id. */
    private static long macro(String name, String... fields) {
        String[] pairs = new String[fields.length + 2];
        pairs[0] = "name";
        pairs[1] = name;
        System.arraycopy(fields, 0, pairs, 2, fields.length);
        HttpResponse<String> saved = admin.post("/admin/macros", form(admin, pairs));
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
        return web.db.dsl().select(MACRO.ID).from(MACRO).where(MACRO.NAME.eq(name)).fetchSingle(MACRO.ID);
    }

    /** An open ticket of group Support whose requester is called {@code customer}. */
    private static long ticket(String subject, String customer) {
        String email = "customer" + numbers.incrementAndGet() + "@example.test";
        long ticket = web.data.ticket("T-MACRO-" + numbers.get(), subject, "open", mailbox, email);
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, support).where(TICKET.ID.eq(ticket)).execute();
        web.db.dsl().update(CONTACT).set(CONTACT.DISPLAY_NAME, customer).where(CONTACT.EMAIL.eq(email)).execute();
        return ticket;
    }

    private static void tag(long ticket, String tag) {
        web.db.dsl().insertInto(TICKET_TAG).set(TICKET_TAG.TICKET_ID, ticket).set(TICKET_TAG.TAG, tag)
                .set(TICKET_TAG.TICKET_CREATED_AT, web.db.dsl().select(TICKET.CREATED_AT).from(TICKET).where(TICKET.ID.eq(ticket))
                        .fetchSingle(TICKET.CREATED_AT)).execute();
    }

    private static void assertRefused(HttpResponse<String> answer, String naming) {
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(400);
        assertThat(answer.body().replace("&#39;", "'").replace("&#34;", "\"")).contains(naming);
    }

    private static Map<String, String> form(WebFixture.Browser browser, String... pairs) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("csrf", browser.csrf());
        for (int i = 0; i < pairs.length; i += 2) {
            form.put(pairs[i], pairs[i + 1]);
        }
        return form;
    }

}
