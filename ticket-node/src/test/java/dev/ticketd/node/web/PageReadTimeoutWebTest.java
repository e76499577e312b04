package dev.ticketd.node.web;

import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.Migrations;
import dev.ticketd.node.auth.Role;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A page whose read runs past {@code db.page-read-timeout} is answered 503 with a message that
 * says so (here: the ticket table locked by another session, as a long migration would), and the
 * next page after the lock is gone is served as usual.
 */
class PageReadTimeoutWebTest {

    private DatabaseSettings settings;
    private WebFixture web;

    @BeforeEach
    void start() {
        settings = TestPostgres.freshDatabaseSettings().withPageReadTimeout(Duration.ofSeconds(1));
        Database db = Database.open(settings, "page-read-timeout-web");
        Migrations.migrate(db.dataSource());
        web = new WebFixture(db, Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        web.close();
    }

    @Test
    void aListWhoseReadWaitsPastTheTimeoutIs503SayingSoAndTheNextOneAfterTheWaitIsServed() throws Exception {
        WebFixture.Browser agent = web.loggedInBrowser(Role.AGENT);
        String token = web.apiToken(Role.AGENT);
        assertThat(agent.get("/tickets").statusCode()).isEqualTo(200);

        try (Connection locker = DriverManager.getConnection(settings.jdbcUrl(), settings.user(), settings.password());
             Statement st = locker.createStatement()) {
            locker.setAutoCommit(false);
            st.execute("lock table ticket in access exclusive mode");

            HttpResponse<String> page = agent.get("/tickets");
            assertThat(page.statusCode()).isEqualTo(503);
            assertThat(page.body()).contains("the database took too long to answer and the read was stopped");

            HttpResponse<String> api = web.apiGet("/api/v1/tickets", token);
            assertThat(api.statusCode()).isEqualTo(503);
            assertThat(api.body()).contains("\"error\"").contains("took too long").contains("\"errorId\"");
            locker.rollback();
        }

        assertThat(agent.get("/tickets").statusCode()).isEqualTo(200);
    }
}
