package dev.ticketd.node.web;

import dev.ticketd.node.auth.Role;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;

import static dev.ticketd.db.generated.Tables.API_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

class AccessControlTest {

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
    void pagesRedirectToTheLoginPageWithoutASession() {
        for (String path : new String[]{"/", "/tickets", "/tickets/1", "/tickets/1/messages/1", "/inbound/1/raw", "/quarantine"}) {
            HttpResponse<String> response = web.browser().get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(303);
            assertThat(response.headers().firstValue("Location")).as(path).hasValue("/login");
        }
    }

    @Test
    void aForgedSessionCookieIsNotASession() {
        WebFixture.Browser browser = web.browser();
        browser.cookies.put("ticketd_session", "made-up-session-token-made-up-session-token");
        assertThat(browser.get("/tickets").statusCode()).isEqualTo(303);
    }

    @Test
    void theApiAnswers401JsonWithoutAValidToken() {
        for (String token : new String[]{null, "not-a-real-token-at-all", ""}) {
            HttpResponse<String> response = web.apiGet("/api/v1/tickets", token);
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
            assertThat(response.body()).contains("\"error\"").contains("\"errorId\"");
        }
    }

    @Test
    void theApiDoesNotAcceptASessionCookie() {
        WebFixture.Browser browser = web.loggedInBrowser();
        HttpResponse<String> response = browser.get("/api/v1/tickets");
        assertThat(response.statusCode()).isEqualTo(401);
    }

    @Test
    void theApiAcceptsAValidTokenButNotARevokedOne() {
        String token = web.apiToken();
        assertThat(web.apiGet("/api/v1/tickets", token).statusCode()).isEqualTo(200);

        web.db.dsl().update(API_TOKEN).set(API_TOKEN.REVOKED_AT, java.time.OffsetDateTime.now()).execute();

        assertThat(web.apiGet("/api/v1/tickets", token).statusCode()).isEqualTo(401);
    }

    @Test
    void pagesCarrySecurityHeaders() {
        HttpResponse<String> response = web.browser().get("/login");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("").replace(" ", "")).isEqualToIgnoringCase("text/html;charset=utf-8");
        assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(response.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(response.headers().firstValue("Referrer-Policy")).hasValue("same-origin");
        assertThat(response.headers().firstValue("Content-Security-Policy").orElse(""))
                .contains("default-src 'none'").contains("frame-ancestors 'none'");
    }

    @Test
    void anUnknownPathIsA404PageWithAnErrorId() {
        HttpResponse<String> response = web.loggedInBrowser().get("/no/such/page");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("Error id");
    }

    @Test
    void theStylesheetNeedsNoLogin() {
        HttpResponse<byte[]> response = web.getBytes("/assets/app.css", Map.of());
        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void onlyAdminsSeeTheClusterTheMetricsAndTheQuarantine() {
        WebFixture.Browser agent = web.loggedInBrowser();
        WebFixture.Browser admin = web.loggedInBrowser(Role.ADMIN);
        String agentToken = web.apiToken();
        String adminToken = web.apiToken(Role.ADMIN);

        for (String path : new String[]{"/cluster", "/quarantine"}) {
            assertThat(agent.get(path).statusCode()).as("agent " + path).isEqualTo(403);
            assertThat(admin.get(path).statusCode()).as("admin " + path).isEqualTo(200);
        }
        String agentPage = agent.get("/tickets").body();
        HttpResponse<String> decision = agent.post("/quarantine/1/dismiss", Map.of("csrf", WebFixture.hiddenField(agentPage, "csrf")));
        assertThat(decision.statusCode()).as("an agent deciding a quarantined mail").isEqualTo(403);
        assertThat(agentPage).doesNotContain("href=\"/quarantine\"").doesNotContain("href=\"/cluster\"");
        assertThat(admin.get("/tickets").body()).contains("href=\"/quarantine\"").contains("href=\"/cluster\"");

        for (String path : new String[]{"/api/v1/cluster", "/api/v1/quarantine", "/metrics"}) {
            assertThat(web.apiGet(path, agentToken).statusCode()).as("agent " + path).isEqualTo(403);
            assertThat(web.apiGet(path, adminToken).statusCode()).as("admin " + path).isEqualTo(200);
        }
        assertThat(web.api("POST", "/api/v1/quarantine/1/dismiss", agentToken, null, Map.of()).statusCode()).isEqualTo(403);
    }
}
