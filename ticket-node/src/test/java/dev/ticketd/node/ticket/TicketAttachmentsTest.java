package dev.ticketd.node.ticket;

import dev.ticketd.node.web.WebFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;

/** Mail HTML and attachments on the ticket page, in the API and at {@code GET /attachments/{id}}. */
class TicketAttachmentsTest {

    private static final byte[] PNG = Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

    static WebFixture web;
    static WebFixture.Browser browser;
    static long ticket;
    static long image;
    static long document;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        browser = web.loggedInBrowser();
        String mailbox = web.data.mailbox("att", "support-att@example.test");
        ticket = web.data.ticket("T-1300", "Screenshot", "open", mailbox, "cust@example.test");
        long inbound = web.data.inbound(ticket, mailbox, "<att@cust>", "cust@example.test", "plain version",
                "Subject: x\r\n\r\nx".getBytes(StandardCharsets.US_ASCII));
        long message = web.db.dsl().select(TICKET_MESSAGE.ID).from(TICKET_MESSAGE)
                .where(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(inbound)).fetchSingle(TICKET_MESSAGE.ID);
        // as if written by something that forgot to sanitise: the page must still not carry the script
        web.db.dsl().update(TICKET_MESSAGE)
                .set(TICKET_MESSAGE.BODY_HTML, "<p>See <b>this</b>:</p><img src=\"cid:shot@cust\" alt=\"shot\">"
                        + "<script>alert(1)</script><img src=\"https://tracker.test/p.gif\" onerror=\"alert(2)\">")
                .where(TICKET_MESSAGE.ID.eq(message)).execute();
        image = attachment(message, "screen shot.png", "image/png", "shot@cust", PNG);
        document = attachment(message, "Résumé <1>.html", "text/html", null,
                "<script>alert(document.cookie)</script>".getBytes(StandardCharsets.UTF_8));
    }

    private static long attachment(long message, String filename, String type, String contentId, byte[] content) {
        return web.db.dsl().insertInto(ATTACHMENT).set(ATTACHMENT.TICKET_MESSAGE_ID, message)
                .set(ATTACHMENT.FILENAME, filename).set(ATTACHMENT.CONTENT_TYPE, type).set(ATTACHMENT.CONTENT_ID, contentId)
                .set(ATTACHMENT.SIZE_BYTES, (long) content.length).set(ATTACHMENT.CONTENT, content)
                .returning(ATTACHMENT.ID).fetchOne(ATTACHMENT.ID);
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    @Test
    void theTicketPageShowsSanitisedHtmlWithInlineImagesFromUsAndLinksTheAttachments() {
        HttpResponse<String> response = browser.get("/tickets/" + ticket);
        String page = WebFixture.withoutOwnScript(response.body());

        assertThat(page).contains("<p>See <b>this</b>:</p>")
                .contains("<img src=\"/attachments/" + image + "\" alt=\"shot\">")
                .doesNotContain("<script", "onerror", "tracker.test", "cid:")
                .doesNotContain("plain version") // the HTML is shown instead of the text
                .contains("href=\"/attachments/" + document + "\"")
                .contains("Résumé &lt;1&gt;.html");
        assertThat(response.headers().firstValue("Content-Security-Policy").orElse("")).contains("img-src 'self'");
    }

    @Test
    void theApiListsEachMessagesAttachments() {
        String body = web.apiGet("/api/v1/tickets/" + ticket, web.apiToken()).body();

        assertThat(body).contains("\"attachments\":[{\"id\":" + image + ",\"filename\":\"screen shot.png\","
                + "\"contentType\":\"image/png\",\"size\":" + PNG.length + "}");
        assertThat(body).contains("\"filename\":\"Résumé <1>.html\"");
    }

    @Test
    void attachmentsNeedALogin() {
        HttpResponse<String> response = web.browser().get("/attachments/" + image);

        assertThat(response.statusCode()).isEqualTo(303);
        assertThat(response.headers().firstValue("Location")).hasValue("/login");
    }

    @Test
    void anInlineSafeImageIsServedAsItselfInASandbox() {
        HttpResponse<byte[]> response = get("/attachments/" + image);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(PNG);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("image/png");
        assertThat(response.headers().firstValue("Content-Disposition")).hasValue("inline; filename*=UTF-8''screen%20shot.png");
        assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(response.headers().allValues("Content-Security-Policy")).containsExactly("sandbox");
    }

    @Test
    void everyOtherTypeIsAnOctetStreamDownload() {
        HttpResponse<byte[]> response = get("/attachments/" + document);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
        assertThat(response.headers().firstValue("Content-Disposition"))
                .hasValue("attachment; filename*=UTF-8''R%C3%A9sum%C3%A9%20%3C1%3E.html");
        assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(response.headers().allValues("Content-Security-Policy")).containsExactly("sandbox");
    }

    @Test
    void anUnknownAttachmentIsA404() {
        assertThat(get("/attachments/987654").statusCode()).isEqualTo(404);
    }

    private static HttpResponse<byte[]> get(String path) {
        return web.getBytes(path, Map.of("Cookie", "ticketd_session=" + browser.cookies.get("ticketd_session")));
    }
}
