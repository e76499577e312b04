package dev.ticketd.node.watch;

import dev.ticketd.node.auth.MovableClock;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.web.WebFixture;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

import static dev.ticketd.db.generated.Tables.ALERT_EPISODE;
import static dev.ticketd.db.generated.Tables.ALERT_NOTICE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stall banner as staff see it: on every page of every logged-in member of staff while a stall
 * episode is open (with the time operations were told), on no page once it is closed, never on the
 * login page, and escaped like everything else a page shows.
 */
class StallBannerPageTest {

    private WebFixture web;
    private final MovableClock clock = new MovableClock();

    @BeforeEach
    void setUp() {
        web = new WebFixture(TestPostgres.freshDatabase(), clock);
    }

    @AfterEach
    void tearDown() {
        web.close();
    }

    private long openStall(String summary) {
        return web.db.dsl().insertInto(ALERT_EPISODE).set(ALERT_EPISODE.RULE, "mailbox-stalled")
                .set(ALERT_EPISODE.SUBJECT, "support@example.test").set(ALERT_EPISODE.SEVERITY, "stall")
                .set(ALERT_EPISODE.SUMMARY, summary).set(ALERT_EPISODE.OPENED_BY, "node-a")
                .returning(ALERT_EPISODE.ID).fetchOne().getId();
    }

    @Test
    void everyStaffPageShowsAnOpenStallWithWhenOperationsWereToldAndNoneOnceItIsOver() {
        long id = openStall("support@example.test: intake stalled, its mailbox has not been read for 3 min; <b>no</b> node leads it");
        web.db.dsl().insertInto(ALERT_NOTICE).set(ALERT_NOTICE.EPISODE_ID, id).set(ALERT_NOTICE.EVENT, "open")
                .set(ALERT_NOTICE.CHANNEL, "webhook").set(ALERT_NOTICE.CLAIMED_BY, "node-a")
                .set(ALERT_NOTICE.SENT_AT, OffsetDateTime.of(2026, 12, 4, 10, 42, 5, 0, ZoneOffset.UTC)).execute();

        WebFixture.Browser agent = web.loggedInBrowser(Role.AGENT);
        for (String page : new String[]{"/tickets", "/tickets?view=mine"}) {
            HttpResponse<String> r = agent.get(page);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("id=\"intake-alert\"")
                    .contains("support@example.test: intake stalled, its mailbox has not been read for 3 min; &lt;b&gt;no&lt;/b&gt; node leads it.")
                    .contains("Operations were alerted at 10:42 UTC.");
        }
        assertThat(web.loggedInBrowser(Role.ADMIN).get("/cluster").body()).contains("id=\"intake-alert\"");
        assertThat(web.browser().get("/login").body()).doesNotContain("intake-alert");

        web.db.dsl().update(ALERT_EPISODE).set(ALERT_EPISODE.CLOSED_AT, OffsetDateTime.now()).set(ALERT_EPISODE.CLOSED_BY, "node-a")
                .execute();
        assertThat(agent.get("/tickets").body()).as("read at most every few seconds").contains("intake-alert");
        clock.advance(StallBanner.CACHE_FOR);
        assertThat(agent.get("/tickets").body()).doesNotContain("intake-alert");
    }

    @Test
    void aStallNotYetToldToOperationsSaysSo() {
        openStall("support@example.test: intake stalled");
        assertThat(web.loggedInBrowser(Role.AGENT).get("/tickets").body()).contains("Operations have not been reached yet (since ");
    }

    @Test
    void warningsAndInformationAreNotShownToStaff() {
        web.db.dsl().insertInto(ALERT_EPISODE).set(ALERT_EPISODE.RULE, "node-down").set(ALERT_EPISODE.SUBJECT, "node-c")
                .set(ALERT_EPISODE.SEVERITY, "info").set(ALERT_EPISODE.SUMMARY, "node node-c is down").set(ALERT_EPISODE.OPENED_BY, "node-a")
                .execute();
        assertThat(web.loggedInBrowser(Role.AGENT).get("/tickets").body()).doesNotContain("intake-alert");
    }
}
