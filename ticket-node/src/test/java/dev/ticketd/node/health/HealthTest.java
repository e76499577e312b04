package dev.ticketd.node.health;

import dev.ticketd.db.Database;
import dev.ticketd.node.web.WebFixture;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;

class HealthTest {

    @Test
    void liveAndReadyAnswerWithoutLoginWhileTheDatabaseAnswersAndReadyTellsAnonymousCallersNothingElse() {
        try (WebFixture web = new WebFixture()) {
            HttpResponse<String> live = web.apiGet("/health/live", null);
            HttpResponse<String> ready = web.apiGet("/health/ready", null);

            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(live.body()).isEqualTo("{\"status\":\"up\"}");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).isEqualTo("{\"status\":\"ready\"}");
            assertThat(web.apiGet("/health/ready", "tkd_0000000000000000_not-a-token").body())
                    .as("a wrong token is anonymous, not refused").isEqualTo("{\"status\":\"ready\"}");
        }
    }

    @Test
    void readyShowsTheDatabaseToStaffWithABearerTokenOrASession() {
        try (WebFixture web = new WebFixture()) {
            HttpResponse<String> withToken = web.apiGet("/health/ready", web.apiToken());
            HttpResponse<String> withSession = web.loggedInBrowser().get("/health/ready");

            for (HttpResponse<String> ready : java.util.List.of(withToken, withSession)) {
                assertThat(ready.statusCode()).isEqualTo(200);
                assertThat(ready.body()).contains("\"status\":\"ready\"").contains("\"database\":\"up\"").contains("\"primary\":");
            }
        }
    }

    @Test
    void readyIs503WhenTheDatabaseIsGoneAndSaysOnlyNotReadyWhenTheCallerCannotBeChecked() {
        Database db = TestPostgres.freshDatabase();
        try (WebFixture web = new WebFixture(db, Clock.systemUTC())) {
            String token = web.apiToken();
            db.close();

            HttpResponse<String> anonymous = web.apiGet("/health/ready", null);
            HttpResponse<String> withToken = web.apiGet("/health/ready", token);

            assertThat(anonymous.statusCode()).isEqualTo(503);
            assertThat(anonymous.body()).isEqualTo("{\"status\":\"not ready\"}");
            assertThat(withToken.statusCode()).as("the token cannot be checked without a database").isEqualTo(503);
            assertThat(withToken.body()).isEqualTo("{\"status\":\"not ready\"}");
            assertThat(web.apiGet("/health/live", null).statusCode()).isEqualTo(200);
        }
    }
}
