package dev.ticketd.node.ticket;

import dev.ticketd.node.web.WebFixture;
import org.jooq.Record;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static org.assertj.core.api.Assertions.assertThat;

class ReplyFormTest {

    static WebFixture web;
    static WebFixture.Browser browser;
    static String mailbox;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        browser = web.loggedInBrowser();
        mailbox = web.data.mailbox("support", "help@desk.example.test");
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    private static Map<String, String> replyForm(String page, String body) {
        return Map.of("body", body, "csrf", WebFixture.hiddenField(page, "csrf"),
                "idempotency_key", WebFixture.hiddenField(page, "idempotency_key"));
    }

    @Test
    void aReplySubmittedTwiceWithTheSameKeyExistsOnceAndIsQueuedOnce() {
        long ticket = web.data.ticket("T-1042", "Cannot print", "open", mailbox, "cust@example.test");
        web.data.inbound(ticket, mailbox, "<first@cust.example>", "cust@example.test", "help",
                "Subject: Cannot print\r\n\r\nhelp".getBytes(StandardCharsets.US_ASCII));
        Map<String, String> form = replyForm(browser.get("/tickets/" + ticket).body(), "Have you tried turning it off?");

        HttpResponse<String> first = browser.post("/tickets/" + ticket + "/reply", form);
        HttpResponse<String> second = browser.post("/tickets/" + ticket + "/reply", form);

        assertThat(first.statusCode()).isEqualTo(303);
        assertThat(first.headers().firstValue("Location")).hasValue("/tickets/" + ticket + "?sent=mail");
        assertThat(second.statusCode()).isEqualTo(303);
        assertThat(web.data.outboundMessagesOf(ticket)).isEqualTo(1);
        assertThat(web.data.outboxRowsOf(ticket)).isEqualTo(1);
        Record outbox = web.db.dsl().selectFrom(OUTBOX).where(OUTBOX.TICKET_ID.eq(ticket)).fetchOne();
        assertThat(outbox.get(OUTBOX.SUBJECT)).isEqualTo("Re: Cannot print [T-1042]");
        assertThat(outbox.get(OUTBOX.TO_ADDRESS)).isEqualTo("cust@example.test");
        assertThat(outbox.get(OUTBOX.IN_REPLY_TO)).isEqualTo("<first@cust.example>");
        assertThat(outbox.get(OUTBOX.MESSAGE_ID)).matches("<reply\\.[0-9a-f-]{36}@desk\\.example\\.test>");
        assertThat(outbox.get(OUTBOX.STATUS)).isEqualTo("pending");
        assertThat(outbox.get(OUTBOX.MAILBOX_ID)).isEqualTo(mailbox);
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(ticket).and(AUDIT_LOG.ACTION.eq("ticket.reply"))))
                .isEqualTo(1);
        assertThat(browser.get("/tickets/" + ticket).body()).contains("Have you tried turning it off?");
    }

    @Test
    void aSubjectThatAlreadyCarriesTheTicketNumberIsNotTaggedTwice() {
        assertThat(ReplyService.replySubject("Re: Cannot print [T-9]", "T-9")).isEqualTo("Re: Cannot print [T-9]");
        assertThat(ReplyService.replySubject("Cannot print", "T-9")).isEqualTo("Re: Cannot print [T-9]");
    }

    @Test
    void anEmptyReplyReRendersWithTheErrorTheTypedTextAndTheSameKey() {
        long ticket = web.data.ticket("T-1043", "Empty", "open", mailbox, "e@example.test");
        String page = browser.get("/tickets/" + ticket).body();
        Map<String, String> form = replyForm(page, "   \n  ");

        HttpResponse<String> response = browser.post("/tickets/" + ticket + "/reply", form);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("The reply is empty");
        assertThat(response.body()).contains("<textarea id=\"body\" name=\"body\">   \n  </textarea>");
        assertThat(WebFixture.hiddenField(response.body(), "idempotency_key")).isEqualTo(form.get("idempotency_key"));
        assertThat(web.data.messagesOf(ticket)).isZero();
    }

    @Test
    void aReplyToATicketWithoutAMailboxIsStoredButNotQueuedAndThePageSaysSo() {
        long ticket = web.data.ticket("T-1044", "No mailbox", "open", null, "n@example.test");
        String page = browser.get("/tickets/" + ticket).body();
        assertThat(page).contains("not emailed");

        HttpResponse<String> response = browser.post("/tickets/" + ticket + "/reply", replyForm(page, "Stored only"));

        assertThat(response.headers().firstValue("Location")).hasValue("/tickets/" + ticket + "?sent=stored");
        assertThat(browser.get(response.headers().firstValue("Location").orElseThrow()).body())
                .contains("no mailbox, so it was not emailed").contains("Stored only");
        assertThat(web.data.outboundMessagesOf(ticket)).isEqualTo(1);
        assertThat(web.data.outboxRowsOf(ticket)).isZero();
    }

    @Test
    void aDatabaseErrorKeepsTheTypedTextAndCreatesNothing() {
        long ticket = web.data.ticket("T-1045", "Failing", "open", mailbox, "f@example.test");
        web.db.dsl().execute("""
                create function fail_outbox() returns trigger language plpgsql as $$
                begin raise exception 'simulated outage'; end $$""");
        web.db.dsl().execute("create trigger fail_outbox before insert on outbox for each row execute function fail_outbox()");
        try {
            Map<String, String> form = replyForm(browser.get("/tickets/" + ticket).body(), "Typed with care");

            HttpResponse<String> response = browser.post("/tickets/" + ticket + "/reply", form);

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.body()).contains("could not be saved").contains("Typed with care")
                    .doesNotContain("simulated outage").doesNotContain("at dev.ticketd");
            assertThat(WebFixture.hiddenField(response.body(), "idempotency_key")).isEqualTo(form.get("idempotency_key"));
            assertThat(web.data.messagesOf(ticket)).isZero();
        } finally {
            web.db.dsl().execute("drop trigger fail_outbox on outbox");
            web.db.dsl().execute("drop function fail_outbox()");
        }
    }
}
