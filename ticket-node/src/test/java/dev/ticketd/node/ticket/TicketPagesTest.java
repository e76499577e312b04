package dev.ticketd.node.ticket;

import dev.ticketd.node.web.WebFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TicketPagesTest {

    static WebFixture web;
    static WebFixture.Browser browser;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        browser = web.loggedInBrowser();
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    @Test
    void theRootRedirectsToTheTicketList() {
        HttpResponse<String> response = browser.get("/");
        assertThat(response.statusCode()).isEqualTo(303);
        assertThat(response.headers().firstValue("Location")).hasValue("/tickets");
    }

    @Test
    void theTicketListFiltersByStatus() {
        web.data.ticket("T-1101", "Open one", "open", null, "o@example.test");
        web.data.ticket("T-1102", "Pending one", "pending", null, "p@example.test");
        web.data.ticket("T-1103", "Closed one", "closed", null, "c@example.test");

        String pending = browser.get("/tickets?status=pending").body();
        String all = browser.get("/tickets").body();

        assertThat(pending).contains("T-1102", "Pending one", "p@example.test").doesNotContain("T-1101", "T-1103");
        assertThat(all).contains("T-1101", "T-1102", "T-1103");
    }

    @Test
    void anUnknownStatusIsA400WithAClearMessage() {
        HttpResponse<String> response = browser.get("/tickets?status=bogus");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("unknown ticket status").contains("open, pending, resolved, closed");
    }

    @Test
    void theTicketPageShowsTheThreadEscapedWithALinkToTheRawMail() {
        String mailbox = web.data.mailbox("pages", "support-pages@example.test");
        long ticket = web.data.ticket("T-1110", "Login <b>broken</b>", "open", mailbox, "cust@example.test");
        long inbound = web.data.inbound(ticket, mailbox, "<m1@cust>", "cust@example.test",
                "<script>alert(1)</script> it fails", "Subject: x\r\n\r\nbody".getBytes(StandardCharsets.US_ASCII));

        String page = browser.get("/tickets/" + ticket).body();

        assertThat(page).contains("T-1110").contains("Login &lt;b&gt;broken&lt;/b&gt;")
                .contains("&lt;script&gt;alert(1)&lt;/script&gt; it fails")
                .doesNotContain("<script>")
                .contains("href=\"/inbound/" + inbound + "/raw\"")
                .contains("name=\"idempotency_key\"");
    }

    @Test
    void anUnknownTicketIsA404Page() {
        HttpResponse<String> response = browser.get("/tickets/987654");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("ticket 987654 does not exist").contains("Error id");
    }

    @Test
    void theRawMailDownloadsWithSafeHeadersAndTheExactBytes() {
        String mailbox = web.data.mailbox("raw", "support-raw@example.test");
        long ticket = web.data.ticket("T-1120", "Raw", "open", mailbox, "raw@example.test");
        byte[] raw = "From: a@b\r\nSubject: caf\u00e9\r\n\r\n<html><script>x</script>\r\n".getBytes(StandardCharsets.ISO_8859_1);
        long inbound = web.data.inbound(ticket, mailbox, "<raw@b>", "raw@example.test", "x", raw);

        HttpResponse<byte[]> response = web.getBytes("/inbound/" + inbound + "/raw",
                Map.of("Cookie", "ticketd_session=" + browser.cookies.get("ticketd_session")));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(raw);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("message/rfc822");
        assertThat(response.headers().firstValue("Content-Disposition"))
                .hasValue("attachment; filename=\"message-" + inbound + ".eml\"");
        assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    }

    @Test
    void anUnknownRawMailIsA404() {
        assertThat(browser.get("/inbound/999999/raw").statusCode()).isEqualTo(404);
    }
}
