package dev.ticketd.node.web;

import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Over https (an https public URL) every cookie is Secure and every answer carries HSTS; over plain http neither. */
class HttpsTest {

    @Test
    void overHttpsCookiesAreSecureAndHstsIsSent() {
        try (WebFixture web = new WebFixture();
             WebServer https = web.newServer(Clock.systemUTC(),
                     new WebSettings("127.0.0.1", 0, Duration.ofHours(8), false).overHttps())) {
            HttpResponse<String> login = web.browser(https.port()).get("/login");
            HttpResponse<String> health = web.browser(https.port()).get("/health/live");

            assertThat(login.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
            assertThat(health.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
            assertThat(login.headers().allValues("Set-Cookie")).isNotEmpty().allMatch(c -> c.contains("Secure"));
        }
    }

    @Test
    void overPlainHttpThereIsNoHstsAndNoSecureCookie() {
        try (WebFixture web = new WebFixture()) {
            HttpResponse<String> login = web.browser().get("/login");

            assertThat(login.headers().firstValue("Strict-Transport-Security")).isEmpty();
            assertThat(login.headers().allValues("Set-Cookie")).isNotEmpty().noneMatch(c -> c.contains("Secure"));
        }
    }
}
