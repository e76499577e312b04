package dev.ticketd.node.web;

import dev.ticketd.node.auth.MovableClock;
import dev.ticketd.node.auth.Role;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.LOGIN_THROTTLE;
import static org.assertj.core.api.Assertions.assertThat;

/** Failed logins, counted in the database per account and per address, refuse further attempts for a growing time. */
class LoginThrottleTest {

    private final MovableClock clock = new MovableClock();
    private WebFixture web;
    private String email;

    @BeforeEach
    void start() {
        web = new WebFixture(TestPostgres.freshDatabase(), clock);
        email = web.newStaffEmail();
        web.accounts.createUser(email, "Ada", WebFixture.PASSWORD, Role.AGENT);
    }

    @AfterEach
    void stop() {
        web.close();
    }

    @Test
    void afterFiveFailuresEvenTheRightPasswordIsRefusedUncheckedOnEveryNode() {
        for (int i = 0; i < 5; i++) {
            assertThat(web.browser().login(email, "wrong password " + i).statusCode()).isEqualTo(401);
        }

        HttpResponse<String> refused = web.browser().login(email, WebFixture.PASSWORD);

        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.body()).contains("Too many failed logins, try again in 60 s.");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("60");
        assertThat(refused.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith("ticketd_session="));
        try (WebServer otherNode = web.newServer(clock)) {
            assertThat(web.browser(otherNode.port()).login(email.toUpperCase(), WebFixture.PASSWORD).statusCode())
                    .as("another node sees the same count").isEqualTo(429);
        }
        assertThat(auditCount("staff.login_failed")).as("refused attempts are not checked, so not counted").isEqualTo(5);
        assertThat(auditCount("staff.login_locked_out")).isEqualTo(1);
        var lockout = web.db.dsl().selectFrom(AUDIT_LOG).where(AUDIT_LOG.ACTION.eq("staff.login_locked_out")).fetchSingle();
        assertThat(lockout.getActor()).isEqualTo("address:127.0.0.1");
        assertThat(lockout.getDetail().data()).contains("\"scope\": \"account\"").contains("\"email\": \"" + email + "\"")
                .contains("\"seconds\": 60").contains("\"lockout\": 1");
    }

    @Test
    void attemptsSentAllAtOnceGetNoMoreThanFiveGuessesThrough() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            List<Future<Integer>> attempts = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                attempts.add(pool.submit(() -> web.browser().login(email, "wrong password").statusCode()));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> attempt : attempts) {
                statuses.add(attempt.get(TestTimeouts.seconds(60).toMillis(), TimeUnit.MILLISECONDS));
            }

            assertThat(statuses).containsOnly(401, 429);
            assertThat(statuses.stream().filter(s -> s == 401).count()).isEqualTo(5);
            assertThat(auditCount("staff.login_failed")).isEqualTo(5);
            assertThat(auditCount("staff.login_locked_out")).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theLockoutEndsAndTheNextOneInARowLastsTwiceAsLongUntilASuccessResetsTheAccount() {
        failTimes(5);
        clock.advance(Duration.ofSeconds(61));
        failTimes(5);

        assertThat(web.browser().login(email, WebFixture.PASSWORD).body()).contains("try again in 120 s");
        clock.advance(Duration.ofSeconds(121));
        assertThat(web.browser().login(email, WebFixture.PASSWORD).statusCode()).isEqualTo(303);

        failTimes(4);
        assertThat(web.browser().login(email, WebFixture.PASSWORD).statusCode()).as("the success reset the count").isEqualTo(303);
    }

    @Test
    void failuresOlderThanTheWindowAreForgotten() {
        failTimes(4);
        clock.advance(Duration.ofMinutes(16));
        failTimes(4);

        assertThat(web.browser().login(email, WebFixture.PASSWORD).statusCode()).isEqualTo(303);
    }

    @Test
    void twentyFailuresFromOneAddressLockTheAddressForEveryAccount() {
        for (int i = 0; i < 20; i++) {
            assertThat(web.browser().login("guess" + i + "@example.test", "wrong password").statusCode()).isEqualTo(401);
        }

        HttpResponse<String> refused = web.browser().login(email, WebFixture.PASSWORD);

        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(auditCount("staff.login_locked_out")).isEqualTo(1);
    }

    @Test
    void rowsUntouchedForADayAreDeletedSoTheTableStaysBounded() {
        failTimes(3);
        clock.advance(Duration.ofDays(1).plusMinutes(1));

        web.browser().login("someone-else@example.test", "wrong password");

        assertThat(web.db.dsl().select(LOGIN_THROTTLE.KEY).from(LOGIN_THROTTLE).fetch(LOGIN_THROTTLE.KEY))
                .containsExactlyInAnyOrder("account:someone-else@example.test", "address:127.0.0.1");
    }

    private void failTimes(int n) {
        for (int i = 0; i < n; i++) {
            assertThat(web.browser().login(email, "wrong password").statusCode()).isEqualTo(401);
        }
    }

    private int auditCount(String action) {
        return web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq(action));
    }
}
