package dev.ticketd.node.web;

import dev.ticketd.node.auth.Role;
import dev.ticketd.db.Database;
import dev.ticketd.testing.TestReplicatedPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The staff UI and API of a node whose database is a real primary + streaming hot standby, while
 * the test takes the primary (and the standby) away.
 */
class DatabaseFailoverWebIT {

    private static final String STALE = "shown from a standby; may be a few seconds old";
    private static final String FAILING_OVER = "the database is failing over; try again in a few seconds";

    private TestReplicatedPostgres pg;
    private WebFixture web;

    @BeforeEach
    void setUp() {
        assumeTrue(TestReplicatedPostgres.available(),
                "needs the system's PostgreSQL binaries (pg_basebackup); install postgresql to run it");
        pg = TestReplicatedPostgres.start();
        web = new WebFixture(Database.open(pg.settings(), "web-failover"), Clock.systemUTC());
    }

    @AfterEach
    void tearDown() {
        if (web != null) {
            web.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void whileThePrimaryIsDownPagesComeFromTheStandbyAndAReplyIs503WithTheTypedTextKept() {
        WebFixture.Browser browser = web.loggedInBrowser(Role.ADMIN);
        String token = web.apiToken(Role.ADMIN);
        String mailbox = web.data.mailbox("support", "help@desk.example.test");
        long ticket = web.data.ticket("T-2001", "Printer on fire", "open", mailbox, "cust@example.test");
        web.data.inbound(ticket, mailbox, "<fire@cust.example>", "cust@example.test", "it burns",
                "Subject: Printer on fire\r\n\r\nit burns".getBytes(StandardCharsets.US_ASCII));

        HttpResponse<String> listWhileUp = browser.get("/tickets");
        assertThat(listWhileUp.statusCode()).isEqualTo(200);
        assertThat(listWhileUp.body()).contains("T-2001").doesNotContain(STALE);
        assertThat(listWhileUp.headers().firstValue(Freshness.HEADER)).isEmpty();
        assertThat(web.apiGet("/api/v1/tickets", token).headers().firstValue(Freshness.HEADER)).isEmpty();
        String ticketPage = browser.get("/tickets/" + ticket).body();
        assertThat(ticketPage).doesNotContain(STALE);

        pg.awaitStandbyCaughtUp();
        pg.killPrimary();

        HttpResponse<String> list = browser.get("/tickets");
        assertThat(list.statusCode()).as("a logged-in session still works").isEqualTo(200);
        assertThat(list.body()).contains("T-2001").contains(STALE);
        assertThat(list.headers().firstValue(Freshness.HEADER)).hasValue("standby");
        HttpResponse<String> detail = browser.get("/tickets/" + ticket);
        assertThat(detail.statusCode()).isEqualTo(200);
        assertThat(detail.body()).contains("Printer on fire").contains("it burns").contains(STALE);
        assertThat(browser.get("/quarantine").body()).contains(STALE);
        assertThat(browser.get("/cluster").body()).contains(STALE).contains("No primary reachable");

        String typed = "Unplug it <now> & call the fire brigade";
        Map<String, String> form = Map.of("body", typed, "csrf", WebFixture.hiddenField(ticketPage, "csrf"),
                "idempotency_key", WebFixture.hiddenField(ticketPage, "idempotency_key"));
        long start = System.nanoTime();
        HttpResponse<String> refused = browser.post("/tickets/" + ticket + "/reply", form);
        long tookMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains(FAILING_OVER)
                .contains("Unplug it &lt;now&gt; &amp; call the fire brigade")
                .contains(form.get("idempotency_key"))
                .doesNotContain("Exception").doesNotContain("jdbc:");
        assertThat(tookMillis).as("a page must not hang").isLessThan(TestTimeouts.seconds(8).toMillis());

        HttpResponse<String> apiList = web.apiGet("/api/v1/tickets", token);
        assertThat(apiList.statusCode()).isEqualTo(200);
        assertThat(apiList.headers().firstValue(Freshness.HEADER)).hasValue("standby");
        HttpResponse<String> apiReply = web.api("POST", "/api/v1/tickets/" + ticket + "/replies", token,
                "{\"body\": \"from the API\"}", Map.of("Idempotency-Key", "api-key-1"));
        assertThat(apiReply.statusCode()).isEqualTo(503);
        assertThat(apiReply.body()).contains("\"error\":\"" + FAILING_OVER + "\"").contains("errorId");

        pg.restartPrimary();
        awaitTrue("pages come from the primary again", () -> !browser.get("/tickets").body().contains(STALE));

        HttpResponse<String> resent = browser.post("/tickets/" + ticket + "/reply", form);
        assertThat(resent.statusCode()).isEqualTo(303);
        assertThat(browser.post("/tickets/" + ticket + "/reply", form).statusCode()).isEqualTo(303);
        assertThat(web.data.outboundMessagesOf(ticket)).isEqualTo(1);
        HttpResponse<String> after = browser.get("/tickets/" + ticket);
        assertThat(after.body()).contains("Unplug it &lt;now&gt;").doesNotContain(STALE);
        assertThat(after.headers().firstValue(Freshness.HEADER)).isEmpty();
    }

    @Test
    void readyShowsThePrimaryAndItsStandbyWithLagAndFailsWhenNoPrimaryAnswers() {
        pg.awaitStreaming();
        String token = web.apiToken(Role.ADMIN);

        assertThat(web.apiGet("/health/ready", null).body()).as("anonymous callers learn only the status")
                .isEqualTo("{\"status\":\"ready\"}");
        HttpResponse<String> ready = web.apiGet("/health/ready", token);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"status\":\"ready\"")
                .contains("\"primary\":\"127.0.0.1:" + pg.primary().port() + "\"")
                .contains("\"name\":\"standby1\"").contains("\"state\":\"streaming\"").contains("\"syncState\":\"async\"")
                .contains("\"replayLagBytes\":").contains("\"replication\":\"full\"");
        HttpResponse<String> cluster = web.apiGet("/api/v1/cluster", token);
        assertThat(cluster.body()).contains("\"primary\":\"127.0.0.1:" + pg.primary().port() + "\"").contains("standby1");

        pg.killPrimary();
        HttpResponse<String> standbyOnly = web.apiGet("/health/ready", token);
        assertThat(standbyOnly.statusCode()).isEqualTo(503);
        assertThat(standbyOnly.body()).contains("not ready").contains("no primary reachable")
                .contains("is serving reads").contains("127.0.0.1:" + pg.standby().port());

        pg.killStandby();
        // with no database at all the token cannot be checked: the caller is answered as anonymous
        HttpResponse<String> nothing = web.apiGet("/health/ready", token);
        assertThat(nothing.statusCode()).isEqualTo(503);
        assertThat(nothing.body()).isEqualTo("{\"status\":\"not ready\"}");
    }

    private static void awaitTrue(String what, Supplier<Boolean> condition) {
        await(what).atMost(TestTimeouts.seconds(20)).pollInterval(Duration.ofMillis(100)).until(condition::get);
    }
}
