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
    void liveAndReadyAnswerWithoutLoginWhileTheDatabaseAnswers() {
        try (WebFixture web = new WebFixture()) {
            HttpResponse<String> live = web.apiGet("/health/live", null);
            HttpResponse<String> ready = web.apiGet("/health/ready", null);

            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(live.body()).isEqualTo("{\"status\":\"up\"}");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"status\":\"ready\"");
        }
    }

    @Test
    void readyIs503WithAReasonWhenTheDatabaseIsGone() {
        Database db = TestPostgres.freshDatabase();
        try (WebFixture web = new WebFixture(db, Clock.systemUTC())) {
            db.close();

            HttpResponse<String> ready = web.apiGet("/health/ready", null);

            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("not ready").contains("reason").doesNotContain("jdbc:").doesNotContain("password");
            assertThat(web.apiGet("/health/live", null).statusCode()).isEqualTo(200);
        }
    }
}
