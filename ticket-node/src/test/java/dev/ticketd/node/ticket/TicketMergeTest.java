package dev.ticketd.node.ticket;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ticketd.desk.GroupAccess;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.web.WebFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Staff merge a ticket into another from its page and undo it: the merged ticket leaves the list, its
 * page leads to the other ticket, the messages are counted the same before and after, and a member
 * of staff who may only read the tickets is refused with the reason.
 */
class TicketMergeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static WebFixture web;
    private static String mailbox;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        mailbox = web.data.mailbox("merge", "merge@desk.example.test", "Support");
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    @Test
    void aTicketMergedFromItsPageLeavesTheListLeadsToTheOtherAndComesBackWithTheUndoButton() throws Exception {
        long a = ticketWithMail("T-8101", "Printer smokes");
        long b = ticketWithMail("T-8102", "Printer smokes again");
        int messages = web.db.dsl().fetchCount(TICKET_MESSAGE);
        WebFixture.Browser browser = web.loggedInBrowser();

        HttpResponse<String> merged = browser.post("/tickets/" + a + "/merge", Map.of("csrf", browser.csrf(), "into", "t-8102"));

        assertThat(merged.statusCode()).isEqualTo(303);
        assertThat(merged.headers().firstValue("Location")).hasValue("/tickets/" + b + "?mergedFrom=" + a);
        assertThat(web.data.messagesOf(a)).isZero();
        assertThat(web.data.messagesOf(b)).isEqualTo(2);
        assertThat(web.db.dsl().fetchCount(TICKET_MESSAGE)).as("moved, not copied").isEqualTo(messages);
        HttpResponse<String> page = browser.get("/tickets/" + b + "?mergedFrom=" + a);
        assertThat(page.body()).contains("Merged: the other ticket").contains("id=\"merged-here\"").contains("T-8101")
                .contains("action=\"/tickets/" + a + "/unmerge\"");
        HttpResponse<String> oldPage = browser.get("/tickets/" + a);
        assertThat(oldPage.statusCode()).isEqualTo(303);
        assertThat(oldPage.headers().firstValue("Location")).hasValue("/tickets/" + b);
        assertThat(browser.get("/tickets/" + a + "?show=merged").body()).contains("id=\"merged-into\"").contains("T-8102");
        assertThat(browser.get("/tickets?view=all").body()).doesNotContain("T-8101").contains("T-8102");
        String token = web.apiToken();
        assertThat(JSON.readTree(web.apiGet("/api/v1/tickets/" + a, token).body()).at("/relations/mergedIntoNumber").asText())
                .isEqualTo("T-8102");

        HttpResponse<String> patched = web.api("PATCH", "/api/v1/tickets/" + a, token, "{\"status\": \"open\"}", Map.of());
        HttpResponse<String> replied = web.api("POST", "/api/v1/tickets/" + a + "/replies", token, "{\"body\": \"hello\"}",
                Map.of("Idempotency-Key", "merge-test-reply"));
        HttpResponse<String> bulk = web.api("POST", "/api/v1/tickets/bulk", token, "{\"ids\": [" + a + "], \"priority\": \"high\"}", Map.of());
        assertThat(patched.statusCode()).as("work on a merged ticket belongs on the other").isEqualTo(409);
        assertThat(patched.body()).contains("T-8101 is merged into T-8102");
        assertThat(replied.statusCode()).isEqualTo(409);
        assertThat(JSON.readTree(bulk.body()).at("/results/0/status").asInt()).isEqualTo(409);
        assertThat(web.data.messagesOf(a)).isZero();

        HttpResponse<String> undone = browser.post("/tickets/" + a + "/unmerge", Map.of("csrf", browser.csrf()));

        assertThat(undone.statusCode()).isEqualTo(303);
        assertThat(browser.get("/tickets/" + a + "?unmerged=1").body()).contains("Merge undone").doesNotContain("id=\"merged-into\"");
        assertThat(web.data.messagesOf(a)).isEqualTo(1);
        assertThat(web.data.messagesOf(b)).isEqualTo(1);
        assertThat(web.db.dsl().fetchCount(TICKET_MESSAGE)).isEqualTo(messages);
        assertThat(web.db.dsl().select(TICKET.STATUS).from(TICKET).where(TICKET.ID.eq(a)).fetchSingle(TICKET.STATUS)).isEqualTo("open");
    }

    @Test
    void aReadOnlyMemberCannotMergeAndAMergeWithoutATargetIsRefusedNamingWhy() {
        long a = ticketWithMail("T-8201", "Read only");
        ticketWithMail("T-8202", "Read only too");
        WebFixture.Browser reader = web.loggedInAs(web.staff(Role.AGENT, Map.of("Support", GroupAccess.READ)));
        WebFixture.Browser full = web.loggedInAs(web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL)));

        HttpResponse<String> refused = reader.post("/tickets/" + a + "/merge", Map.of("csrf", reader.csrf(), "into", "T-8202"));
        HttpResponse<String> nothing = full.post("/tickets/" + a + "/merge", Map.of("csrf", full.csrf(), "into", " "));
        HttpResponse<String> itself = full.post("/tickets/" + a + "/merge", Map.of("csrf", full.csrf(), "into", "T-8201"));
        HttpResponse<String> noCsrf = full.post("/tickets/" + a + "/merge", Map.of("into", "T-8202"));

        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("read but not change");
        assertThat(nothing.statusCode()).isEqualTo(400);
        assertThat(nothing.body()).contains("name the ticket to merge this one into");
        assertThat(itself.statusCode()).isEqualTo(400);
        assertThat(itself.body()).contains("cannot be merged into itself");
        assertThat(noCsrf.statusCode()).isEqualTo(403);
        assertThat(web.data.messagesOf(a)).isEqualTo(1);
        assertThat(web.db.dsl().select(TICKET.MERGED_INTO_ID).from(TICKET).where(TICKET.ID.eq(a)).fetchSingle(TICKET.MERGED_INTO_ID)).isNull();
    }

    @Test
    void aMessageSplitOffFromThePageOpensTheNewLinkedTicketWithIt() {
        long a = ticketWithMail("T-8301", "Two questions");
        web.data.inbound(a, mailbox, "<T-8301-2@example.test>", "customer@example.test", "Second question",
                "From: customer@example.test\r\nSubject: Two\r\n\r\nSecond question\r\n".getBytes(StandardCharsets.US_ASCII));
        long second = web.db.dsl().select(TICKET_MESSAGE.ID).from(TICKET_MESSAGE).where(TICKET_MESSAGE.TICKET_ID.eq(a))
                .orderBy(TICKET_MESSAGE.ID.desc()).limit(1).fetchSingle(TICKET_MESSAGE.ID);
        int messages = web.db.dsl().fetchCount(TICKET_MESSAGE);
        WebFixture.Browser browser = web.loggedInBrowser();
        assertThat(browser.get("/tickets/" + a).body()).contains("id=\"split-form\"").contains("value=\"" + second + "\"");

        HttpResponse<String> split = browser.post("/tickets/" + a + "/split", Map.of("csrf", browser.csrf(), "message", Long.toString(second)));

        assertThat(split.statusCode()).isEqualTo(303);
        String location = split.headers().firstValue("Location").orElseThrow();
        long created = Long.parseLong(location.substring("/tickets/".length(), location.indexOf('?')));
        assertThat(web.db.dsl().select(TICKET_MESSAGE.TICKET_ID).from(TICKET_MESSAGE).where(TICKET_MESSAGE.ID.eq(second))
                .fetchSingle(TICKET_MESSAGE.TICKET_ID)).isEqualTo(created);
        assertThat(web.db.dsl().fetchCount(TICKET_MESSAGE)).isEqualTo(messages);
        assertThat(browser.get(location).body()).contains("A new ticket, split off").contains("Second question")
                .contains("Linked to <a href=\"/tickets/" + a + "\">T-8301</a>").doesNotContain("id=\"split-form\"");
        HttpResponse<String> onlyOne = browser.post("/tickets/" + created + "/split",
                Map.of("csrf", browser.csrf(), "message", Long.toString(second)));
        assertThat(onlyOne.statusCode()).isEqualTo(400);
        assertThat(onlyOne.body()).contains("only message");
    }

    @Test
    void aLinkIsShownOnBothPagesButALinkedTicketOfAGroupTheAgentCannotSeeIsOnlyCounted() {
        long billing = web.data.group("Billing");
        long parent = ticketWithMail("T-8401", "Outage");
        long child = ticketWithMail("T-8402", "Site down");
        long hidden = ticketWithMail("T-8403", "Secret incident");
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, billing).where(TICKET.ID.eq(hidden)).execute();
        WebFixture.Browser admin = web.loggedInBrowser(Role.ADMIN);
        WebFixture.Browser agent = web.loggedInAs(web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL)));

        HttpResponse<String> linked = agent.post("/tickets/" + parent + "/links",
                Map.of("csrf", agent.csrf(), "other", "T-8402", "relation", "child"));
        HttpResponse<String> notSeen = agent.post("/tickets/" + parent + "/links",
                Map.of("csrf", agent.csrf(), "other", "T-8403", "relation", "child"));
        admin.post("/tickets/" + parent + "/links", Map.of("csrf", admin.csrf(), "other", "T-8403", "relation", "child"));

        assertThat(linked.statusCode()).isEqualTo(303);
        assertThat(notSeen.statusCode()).isEqualTo(404);
        String parentPage = agent.get("/tickets/" + parent).body();
        assertThat(parentPage).contains("id=\"ticket-links\"").contains("Child: <a href=\"/tickets/" + child + "\">T-8402</a>")
                .contains("and 1 linked ticket(s) in groups you cannot see")
                .as("no way to it and nothing of it but the number the history names")
                .doesNotContain("href=\"/tickets/" + hidden + "\"").doesNotContain("Secret incident");
        assertThat(agent.get("/tickets/" + child).body()).contains("Parent: <a href=\"/tickets/" + parent + "\">T-8401</a>");
        assertThat(admin.get("/tickets/" + parent).body()).contains("T-8403");

        HttpResponse<String> removed = agent.post("/tickets/" + child + "/links/remove",
                Map.of("csrf", agent.csrf(), "other", Long.toString(parent)));

        assertThat(removed.statusCode()).isEqualTo(303);
        assertThat(agent.get("/tickets/" + parent).body()).doesNotContain("Child: <a href=\"/tickets/" + child + "\"");
    }

    @Test
    void aTicketMergedFromAGroupTheAgentCannotSeeIsNotNamedOnTheTargetNorTheTargetOnIt() throws Exception {
        long secret = web.data.group("Secret merges");
        long hidden = ticketWithMail("T-8501", "Hidden complaint");
        long visible = ticketWithMail("T-8502", "Visible complaint");
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, secret).where(TICKET.ID.eq(hidden)).execute();
        WebFixture.Browser admin = web.loggedInBrowser(Role.ADMIN);
        assertThat(admin.post("/tickets/" + hidden + "/merge", Map.of("csrf", admin.csrf(), "into", "T-8502")).statusCode())
                .isEqualTo(303);
        String agentEmail = web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL));
        WebFixture.Browser agent = web.loggedInAs(agentEmail);

        // (its history still names the number, as it does for a hidden linked ticket)
        assertThat(agent.get("/tickets/" + visible).body()).as("the hidden ticket merged into it is not listed")
                .doesNotContain("id=\"merged-here\"").doesNotContain("action=\"/tickets/" + hidden + "/unmerge\"");
        assertThat(admin.get("/tickets/" + visible).body()).contains("id=\"merged-here\"");

        // the other way round: the agent sees the merged ticket, the ticket it went into is hidden
        long shown = ticketWithMail("T-8503", "Shown complaint");
        long target = ticketWithMail("T-8504", "Target in the secret group");
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, secret).where(TICKET.ID.eq(target)).execute();
        assertThat(admin.post("/tickets/" + shown + "/merge", Map.of("csrf", admin.csrf(), "into", "T-8504")).statusCode())
                .isEqualTo(303);
        String page = agent.get("/tickets/" + shown + "?show=merged").body();
        assertThat(page).contains("merged into a ticket of a group you cannot see")
                .doesNotContain("href=\"/tickets/" + target + "\"").doesNotContain("Target in the secret group");
        assertThat(JSON.readTree(web.apiGet("/api/v1/tickets/" + shown, web.apiTokenOf(agentEmail)).body())
                .at("/relations/mergedIntoNumber").isNull()).isTrue();
    }

    private static long ticketWithMail(String number, String subject) {
        long ticket = web.data.ticket(number, subject, "open", mailbox, "customer@example.test");
        String id = "<" + number + "@example.test>";
        web.data.inbound(ticket, mailbox, id, "customer@example.test", "Hello",
                ("From: customer@example.test\r\nMessage-ID: " + id + "\r\nSubject: " + subject + "\r\n\r\nHello\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
        return ticket;
    }
}
