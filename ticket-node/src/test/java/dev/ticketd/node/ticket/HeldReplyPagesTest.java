package dev.ticketd.node.ticket;

import dev.ticketd.desk.GroupAccess;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.web.WebFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.ticketd.db.generated.Tables.HELD_REPLY;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stale-reply guard on the pages (plain HTTP, real PostgreSQL): the reply form carries the
 * version the page showed; a customer mail that came after it holds the reply; the ticket page
 * shows the held reply with the new mail, "Needs attention" lists it, and its buttons (CSRF-checked)
 * send it once or discard it.
 */
class HeldReplyPagesTest {

    static WebFixture web;
    static WebFixture.Browser ana;
    static String mailbox;
    static int numbers = 8100;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        mailbox = web.data.mailbox("held", "help@held.example.test", "Support");
        ana = web.loggedInAs(web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL)));
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    private static long ticket(String subject) {
        long ticket = web.data.ticket("T-" + numbers++, subject, "open", mailbox, "kim@customer.example");
        customerWrites(ticket, "Hello, " + subject);
        return ticket;
    }

    private static void customerWrites(long ticket, String text) {
        web.data.inbound(ticket, mailbox, "<" + UUID.randomUUID() + "@customer.example>", "kim@customer.example", text,
                ("Subject: x\r\n\r\n" + text).getBytes(StandardCharsets.US_ASCII));
    }

    private static Map<String, String> replyForm(String page, String body) {
        Map<String, String> form = new HashMap<>();
        form.put("body", body);
        form.put("csrf", WebFixture.hiddenField(page, "csrf"));
        form.put("idempotency_key", WebFixture.hiddenField(page, "idempotency_key"));
        form.put("seen", WebFixture.hiddenField(page, "seen"));
        return form;
    }

    private static long heldIdOf(HttpResponse<String> redirect) {
        String location = redirect.headers().firstValue("Location").orElseThrow();
        assertThat(location).matches("/tickets/\\d+\\?held=\\d+#held-\\d+");
        return Long.parseLong(location.replaceAll(".*\\?held=(\\d+)#.*", "$1"));
    }

    @Test
    void aReplyWrittenBeforeTheCustomersMailIsHeldShownWithThatMailAndSentOnceWithSendAnyway() {
        long ticket = ticket("Broken screen");
        String page = ana.get("/tickets/" + ticket).body();
        Map<String, String> form = replyForm(page, "Please send a photo.");
        customerWrites(ticket, "Here is a photo of the screen.");

        HttpResponse<String> held = ana.postMultipart("/tickets/" + ticket + "/reply", form, List.of());
        HttpResponse<String> again = ana.postMultipart("/tickets/" + ticket + "/reply", form, List.of());

        assertThat(held.statusCode()).isEqualTo(303);
        long heldId = heldIdOf(held);
        assertThat(heldIdOf(again)).as("a double submit answers the same held reply").isEqualTo(heldId);
        assertThat(web.data.outboxRowsOf(ticket)).as("nothing mailed").isZero();
        assertThat(web.data.outboundMessagesOf(ticket)).isZero();
        assertThat(web.db.dsl().fetchCount(HELD_REPLY, HELD_REPLY.TICKET_ID.eq(ticket))).isEqualTo(1);
        String shown = ana.get("/tickets/" + ticket + "?held=" + heldId).body();
        assertThat(shown).contains("Your reply was not sent").contains("id=\"held-" + heldId + "\"")
                .contains("Held reply (not sent)").contains("Here is a photo of the screen.")
                .contains(">Please send a photo.</textarea>");
        assertThat(ana.get("/attention").body()).contains("/tickets/" + ticket + "#held-" + heldId).contains("Please send a photo.");
        assertThat(ana.get("/tickets").body()).as("the list points at it").contains("id=\"attention-count\"");

        Map<String, String> send = Map.of("csrf", WebFixture.hiddenField(shown, "csrf"), "seen", WebFixture.hiddenField(shown, "seen"),
                "body", "Please send a photo. Oh, you did: thanks!");
        HttpResponse<String> sent = ana.post("/held-replies/" + heldId + "/send", send);
        HttpResponse<String> sentAgain = ana.post("/held-replies/" + heldId + "/send", send);

        assertThat(sent.statusCode()).isEqualTo(303);
        assertThat(sent.headers().firstValue("Location")).hasValue("/tickets/" + ticket + "?sent=mail");
        assertThat(sentAgain.headers().firstValue("Location")).hasValue("/tickets/" + ticket + "?sent=mail");
        assertThat(web.data.outboxRowsOf(ticket)).as("mailed once").isEqualTo(1);
        assertThat(web.data.outboundMessagesOf(ticket)).isEqualTo(1);
        String after = ana.get("/tickets/" + ticket).body();
        assertThat(after).contains("Oh, you did: thanks!").doesNotContain("Held reply (not sent)");
        assertThat(ana.get("/attention").body()).doesNotContain("#held-" + heldId);
        WebFixture.Browser quiet = web.loggedInAs(web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL)));
        assertThat(quiet.get("/tickets").body()).as("nothing held: no count").doesNotContain("attention-count");
    }

    @Test
    void aReplyToTheTicketAsShownIsSentAtOnce() {
        long ticket = ticket("Fresh");
        Map<String, String> form = replyForm(ana.get("/tickets/" + ticket).body(), "Right away.");

        HttpResponse<String> sent = ana.postMultipart("/tickets/" + ticket + "/reply", form, List.of());

        assertThat(sent.headers().firstValue("Location")).hasValue("/tickets/" + ticket + "?sent=mail");
        assertThat(web.data.outboxRowsOf(ticket)).isEqualTo(1);
    }

    @Test
    void aDiscardedHeldReplyIsGoneAndNeverMailed() {
        long ticket = ticket("Never mind");
        Map<String, String> form = replyForm(ana.get("/tickets/" + ticket).body(), "Let me check.");
        customerWrites(ticket, "Never mind, it works now.");
        long heldId = heldIdOf(ana.postMultipart("/tickets/" + ticket + "/reply", form, List.of()));
        String shown = ana.get("/tickets/" + ticket).body();

        HttpResponse<String> discarded = ana.post("/held-replies/" + heldId + "/discard",
                Map.of("csrf", WebFixture.hiddenField(shown, "csrf")));

        assertThat(discarded.statusCode()).isEqualTo(303);
        assertThat(discarded.headers().firstValue("Location")).hasValue("/tickets/" + ticket + "?discarded=" + heldId);
        assertThat(ana.get("/tickets/" + ticket + "?discarded=" + heldId).body()).contains("Held reply discarded")
                .doesNotContain("Let me check.");
        assertThat(web.data.outboxRowsOf(ticket)).isZero();
        assertThat(web.data.outboundMessagesOf(ticket)).isZero();
    }

    @Test
    void theHeldReplysButtonsRefuseAFormWithoutTheCsrfTokenAndAnotherAgentsRequest() {
        long ticket = ticket("Guarded");
        Map<String, String> form = replyForm(ana.get("/tickets/" + ticket).body(), "Mine.");
        customerWrites(ticket, "More news.");
        long heldId = heldIdOf(ana.postMultipart("/tickets/" + ticket + "/reply", form, List.of()));
        WebFixture.Browser ben = web.loggedInAs(web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL)));

        assertThat(ana.post("/held-replies/" + heldId + "/send", Map.of("body", "x")).statusCode()).isEqualTo(403);
        assertThat(ana.post("/held-replies/" + heldId + "/discard", Map.of()).statusCode()).isEqualTo(403);
        assertThat(ben.post("/held-replies/" + heldId + "/send", Map.of("csrf", ben.csrf())).statusCode()).isEqualTo(404);
        assertThat(ben.get("/attention").body()).doesNotContain("#held-" + heldId);
        assertThat(ana.post("/held-replies/" + heldId + "/send", Map.of("csrf", ana.csrf(), "seen", "yesterday")).statusCode())
                .as("a version that is no number").isEqualTo(400);
        assertThat(web.data.outboxRowsOf(ticket)).isZero();
    }
}
