package dev.ticketd.node.web;

import dev.ticketd.node.auth.Role;
import dev.ticketd.node.auth.Totp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.WEB_SESSION;
import static org.assertj.core.api.Assertions.assertThat;

class LoginTest {

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
    void loginWithTheRightPasswordOpensASessionCookie() {
        String email = web.newStaffEmail();
        web.accounts.createUser(email, "Ada", WebFixture.PASSWORD, Role.AGENT);
        WebFixture.Browser browser = web.browser();

        HttpResponse<String> response = browser.login(email.toUpperCase(), WebFixture.PASSWORD);

        assertThat(response.statusCode()).isEqualTo(303);
        assertThat(response.headers().firstValue("Location")).hasValue("/tickets");
        String setCookie = response.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("ticketd_session=")).findFirst().orElseThrow();
        assertThat(setCookie).containsIgnoringCase("HttpOnly").containsIgnoringCase("SameSite=Lax");
        assertThat(browser.get("/tickets").statusCode()).isEqualTo(200);
        // only the digest of the session token is stored
        assertThat(web.db.dsl().fetchExists(WEB_SESSION, WEB_SESSION.TOKEN_SHA256.eq(browser.cookies.get("ticketd_session"))))
                .isFalse();
    }

    @Test
    void aWrongPasswordAndAnUnknownEmailGetTheSameGenericAnswer() {
        String email = web.newStaffEmail();
        web.accounts.createUser(email, "Bob", WebFixture.PASSWORD, Role.AGENT);

        HttpResponse<String> wrongPassword = web.browser().login(email, "wrong password!");
        HttpResponse<String> unknownEmail = web.browser().login("nobody@example.test", WebFixture.PASSWORD);

        for (HttpResponse<String> response : java.util.List.of(wrongPassword, unknownEmail)) {
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(response.body()).contains("Email, password or one-time code is wrong, or the account is disabled.");
            assertThat(response.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith("ticketd_session="));
        }
    }

    @Test
    void withTwoFactorOnTheRightPasswordAloneIsNotEnoughAndWithItsCodeItIs() {
        String email = web.newStaffEmail();
        web.accounts.createUser(email, "Otto", WebFixture.PASSWORD, Role.AGENT);
        Totp.Enrolment enrolment = new Totp(web.db, web.db.transactions(), Clock.systemUTC()).enable(email);
        WebFixture.Browser browser = web.browser();

        HttpResponse<String> passwordOnly = browser.login(email, WebFixture.PASSWORD);
        String csrf = WebFixture.hiddenField(browser.get("/login").body(), "csrf");
        String code = Totp.code(Totp.unbase32(enrolment.secret()), Instant.now().getEpochSecond() / 30);
        HttpResponse<String> withCode = browser.post("/login",
                Map.of("email", email, "password", WebFixture.PASSWORD, "code", code, "csrf", csrf));

        assertThat(passwordOnly.statusCode()).isEqualTo(401);
        assertThat(passwordOnly.body()).contains("Email, password or one-time code is wrong");
        assertThat(withCode.statusCode()).isEqualTo(303);
        assertThat(browser.get("/tickets").statusCode()).isEqualTo(200);
    }

    @Test
    void anInactiveUserCannotLogIn() {
        String email = web.newStaffEmail();
        web.accounts.createUser(email, "Gone", WebFixture.PASSWORD, Role.AGENT);
        web.db.dsl().update(STAFF_USER).set(STAFF_USER.ACTIVE, false).where(STAFF_USER.EMAIL.eq(email)).execute();

        assertThat(web.browser().login(email, WebFixture.PASSWORD).statusCode()).isEqualTo(401);
    }

    @Test
    void aLoginPostWithoutTheLoginCsrfCookieIsRefused() {
        String email = web.newStaffEmail();
        web.accounts.createUser(email, "Eve", WebFixture.PASSWORD, Role.AGENT);
        WebFixture.Browser browser = web.browser();
        String csrf = WebFixture.hiddenField(browser.get("/login").body(), "csrf");
        browser.cookies.clear(); // as on a cross-site form post that cannot carry our cookie value

        HttpResponse<String> response = browser.post("/login", Map.of("email", email, "password", WebFixture.PASSWORD, "csrf", csrf));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).contains("security token");
        assertThat(browser.cookies).doesNotContainKey("ticketd_session");
    }

    @Test
    void logoutEndsTheSessionOnEveryNode() {
        WebFixture.Browser browser = web.loggedInBrowser();
        String oldCookie = browser.cookies.get("ticketd_session");
        try (WebServer otherNode = web.newServer(Clock.systemUTC())) {
            WebFixture.Browser sameCookieOtherNode = browser.on(otherNode.port());
            assertThat(sameCookieOtherNode.get("/tickets").statusCode()).as("session works on another node").isEqualTo(200);

            HttpResponse<String> logout = browser.post("/logout", Map.of("csrf", browser.csrf()));
            assertThat(logout.statusCode()).isEqualTo(303);

            WebFixture.Browser replay = web.browser(otherNode.port());
            replay.cookies.put("ticketd_session", oldCookie);
            assertThat(replay.get("/tickets").statusCode()).isEqualTo(303);
            replay = web.browser();
            replay.cookies.put("ticketd_session", oldCookie);
            assertThat(replay.get("/tickets").statusCode()).isEqualTo(303);
        }
    }

    @Test
    void aSessionExpiresAfterItsTtl() {
        WebFixture.Browser browser = web.loggedInBrowser();
        Clock later = Clock.fixed(Instant.now().plus(Duration.ofHours(9)), ZoneOffset.UTC);
        try (WebServer nineHoursLater = web.newServer(later)) {
            assertThat(browser.on(nineHoursLater.port()).get("/tickets").statusCode()).isEqualTo(303);
        }
        assertThat(browser.get("/tickets").statusCode()).isEqualTo(200);
    }
}
