package dev.ticketd.node.ticket;

import dev.ticketd.node.web.Format;
import dev.ticketd.node.web.WebFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;

/** A huge mail costs a ticket page only its start; the whole of it is one link away. And each message names its sender as its mail did. */
class LongMessageTest {

    static final String END = "THE-LAST-PARAGRAPH-OF-THE-MAIL";

    static WebFixture web;
    static WebFixture.Browser browser;
    static String mailbox;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        browser = web.loggedInBrowser();
        mailbox = web.data.mailbox("long", "support-long@example.test");
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    /** Sanitised HTML of about {@code bytes} bytes, ending with {@link #END}. */
    static String bigHtml(int bytes) {
        StringBuilder html = new StringBuilder(bytes + 100);
        for (int i = 0; html.length() < bytes; i++) {
            html.append("<p>Line ").append(i).append(" of the log the customer pasted: <b>ERROR</b> something failed again.</p>");
        }
        return html.append("<p>").append(END).append("</p>").toString();
    }

    @Test
    void aTicketWithAnEightMegabyteHtmlMailShowsItsStartWithANoticeAndTheWholeMessageIsALinkAway() {
        String html = bigHtml(8 * 1024 * 1024);
        long ticket = web.data.ticket("T-1401", "Huge log", "open", mailbox, "huge@example.test");
        long message = htmlMessage(ticket, html, "the text version\n" + END);

        HttpResponse<String> page = browser.get("/tickets/" + ticket);

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("This message is long: " + Format.kilobytes(TicketQueries.SHOWN_CHARS) + " shown of "
                        + Format.kilobytes(html.length()) + " —")
                .contains("href=\"/tickets/" + ticket + "/messages/" + message + "\"")
                .contains("<p>Line 0 of the log")
                .doesNotContain(END);
        assertThat(page.body().length()).isLessThan(html.length() / 20);

        HttpResponse<String> whole = browser.get("/tickets/" + ticket + "/messages/" + message);

        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.body()).contains("<p>" + END + "</p>").doesNotContain("This message is long");
    }

    @Test
    void aLongPlainTextMailIsCutTheSameWay() {
        String text = "word ".repeat(100_000) + END;
        long ticket = web.data.ticket("T-1402", "Long text", "open", mailbox, "text@example.test");
        long inbound = web.data.inbound(ticket, mailbox, "<long-text@x>", "text@example.test", text,
                "Subject: x\r\n\r\nx".getBytes(StandardCharsets.US_ASCII));

        String page = browser.get("/tickets/" + ticket).body();

        assertThat(page).contains("This message is long: " + Format.kilobytes(TicketQueries.SHOWN_CHARS) + " shown of "
                + Format.kilobytes(text.length()) + " —").doesNotContain(END);
        long message = web.db.dsl().select(TICKET_MESSAGE.ID).from(TICKET_MESSAGE)
                .where(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(inbound)).fetchSingle(TICKET_MESSAGE.ID);
        assertThat(browser.get("/tickets/" + ticket + "/messages/" + message).body()).contains(END);
    }

    @Test
    void htmlCutInsideATagIsRepairedAndStillSanitised() {
        // stored by something that did not sanitise, and cut by the page right inside the event handler
        String start = "<p>" + "x".repeat(TicketQueries.SHOWN_CHARS - 3 - 20);
        String html = start + "<img src=x onerror=alert(1)><script>alert(2)</script><p>" + END + "</p>";
        long ticket = web.data.ticket("T-1403", "Cut", "open", mailbox, "cut@example.test");
        long message = htmlMessage(ticket, html, "text");

        String page = WebFixture.withoutOwnScript(browser.get("/tickets/" + ticket).body());
        String whole = WebFixture.withoutOwnScript(browser.get("/tickets/" + ticket + "/messages/" + message).body());

        assertThat(page).contains("This message is long").doesNotContain("onerror", "<script", "alert(");
        assertThat(whole).contains(END).doesNotContain("onerror", "<script", "alert(");
    }

    @Test
    void theWholeMessageRouteNeedsALoginAndAMessageOfThatTicket() {
        long ticket = web.data.ticket("T-1404", "Guarded", "open", mailbox, "guard@example.test");
        long other = web.data.ticket("T-1405", "Other", "open", mailbox, "guard@example.test");
        long message = htmlMessage(ticket, "<p>secret</p>", "secret");

        assertThat(web.browser().get("/tickets/" + ticket + "/messages/" + message).statusCode()).isEqualTo(303);
        assertThat(browser.get("/tickets/" + other + "/messages/" + message).statusCode()).isEqualTo(404);
        assertThat(browser.get("/tickets/" + ticket + "/messages/not-a-number").statusCode()).isEqualTo(400);
        assertThat(browser.get("/tickets/" + ticket + "/messages/" + message).body()).contains("<p>secret</p>");
    }

    @Test
    void eachMessageShowsTheSenderAsItsOwnMailNamedThem() {
        long ticket = web.data.ticket("T-1406", "Names", "open", mailbox, "ann@example.test");
        web.db.dsl().update(CONTACT).set(CONTACT.DISPLAY_NAME, "Ann from the first mail")
                .where(CONTACT.EMAIL.eq("ann@example.test")).execute();
        long named = web.data.inbound(ticket, mailbox, "<n1@x>", "ann@example.test", "first", "Subject: x\r\n\r\nx".getBytes(StandardCharsets.US_ASCII));
        long unnamed = web.data.inbound(ticket, mailbox, "<n2@x>", "ann@example.test", "second", "Subject: x\r\n\r\nx".getBytes(StandardCharsets.US_ASCII));
        web.db.dsl().update(TICKET_MESSAGE).set(TICKET_MESSAGE.AUTHOR_NAME, "Ann Example (Billing)")
                .where(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(named)).execute();

        String page = browser.get("/tickets/" + ticket).body();
        String api = web.apiGet("/api/v1/tickets/" + ticket, web.apiToken()).body();

        assertThat(page).contains("Ann Example (Billing) &lt;ann@example.test&gt;")
                .contains("Ann from the first mail &lt;ann@example.test&gt;");
        assertThat(page.indexOf("Ann Example (Billing)")).isLessThan(page.indexOf("Ann from the first mail"));
        assertThat(api).contains("\"author\":\"Ann Example (Billing) <ann@example.test>\"")
                .contains("\"author\":\"Ann from the first mail <ann@example.test>\"");
        assertThat(unnamed).isNotEqualTo(named);
    }

    /** An inbound message on {@code ticket} with this stored HTML and text; returns the ticket message id. */
    static long htmlMessage(long ticket, String html, String text) {
        long inbound = web.data.inbound(ticket, mailbox, "<" + System.nanoTime() + "@x>", "sender@example.test", text,
                "Subject: x\r\n\r\nx".getBytes(StandardCharsets.US_ASCII));
        web.db.dsl().update(TICKET_MESSAGE).set(TICKET_MESSAGE.BODY_HTML, html)
                .where(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(inbound)).execute();
        return web.db.dsl().select(TICKET_MESSAGE.ID).from(TICKET_MESSAGE)
                .where(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(inbound)).fetchSingle(TICKET_MESSAGE.ID);
    }
}
