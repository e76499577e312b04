package dev.ticketd.node.web;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class CsrfTest {

    static WebFixture web;

    @BeforeAll
    static void start() {
        web = new WebFixture();
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    @Test
    void aReplyPostWithoutACsrfTokenIsRefusedAndCreatesNothing() {
        long ticket = web.data.ticket("T-7001", "Printer", "open", null, "c1@example.test");
        WebFixture.Browser browser = web.loggedInBrowser();

        HttpResponse<String> response = browser.post("/tickets/" + ticket + "/reply",
                Map.of("body", "hello", "idempotency_key", UUID.randomUUID().toString()));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).contains("security token");
        assertThat(web.data.messagesOf(ticket)).isZero();
    }

    @Test
    void aReplyPostWithAnotherSessionsCsrfTokenIsRefusedAndCreatesNothing() {
        long ticket = web.data.ticket("T-7002", "Printer", "open", null, "c2@example.test");
        WebFixture.Browser victim = web.loggedInBrowser();
        String attackersToken = web.loggedInBrowser().csrf();

        HttpResponse<String> response = victim.post("/tickets/" + ticket + "/reply",
                Map.of("body", "hello", "idempotency_key", UUID.randomUUID().toString(), "csrf", attackersToken));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(web.data.messagesOf(ticket)).isZero();
    }

    @Test
    void logoutWithoutTheCsrfTokenIsRefusedAndKeepsTheSession() {
        WebFixture.Browser browser = web.loggedInBrowser();

        assertThat(browser.post("/logout", Map.of()).statusCode()).isEqualTo(403);
        assertThat(browser.get("/tickets").statusCode()).isEqualTo(200);
    }
}
