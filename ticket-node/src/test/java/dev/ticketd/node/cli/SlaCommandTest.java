package dev.ticketd.node.cli;

import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.nio.file.Path;

import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_SLA_CLOCK;
import static dev.ticketd.node.cli.CliConfig.run;
import static dev.ticketd.node.cli.CliConfig.runErr;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code ticketd sla …} as an admin runs it: calendars, holidays and policies, with a bad value named. */
class SlaCommandTest {

    @TempDir
    Path dir;

    private Database db;
    private Path config;

    @BeforeEach
    void setUp() throws Exception {
        DatabaseSettings dbSettings = TestPostgres.freshDatabaseSettings();
        db = Database.open(dbSettings, "test");
        config = CliConfig.write(dir.resolve("node.properties"), dbSettings, "127.0.0.1:1");
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void anAdminSetsACalendarAHolidayAndAPolicyAndListsThem() {
        String c = config.toString();
        assertThat(run(new StringWriter(), "sla", "calendar", "--config", c, "Office", "--zone", "Europe/Berlin",
                "--hours", "mon-fri=09:00-17:00", "--hours", "sat=10:00-14:00")).isZero();
        assertThat(run(new StringWriter(), "sla", "holiday", "--config", c, "Office", "2026-12-25", "--name", "Christmas")).isZero();
        assertThat(run(new StringWriter(), "sla", "policy", "--config", c, "Support", "high", "--calendar", "Office",
                "--first-response", "1h", "--resolution", "16h", "--warn-before", "15m", "--raise-priority", "--notify-group")).isZero();

        StringWriter out = new StringWriter();
        assertThat(run(out, "sla", "list", "--config", c)).isZero();
        assertThat(out.toString())
                .contains("calendar Office zone=Europe/Berlin hours=mon=09:00-17:00", "sat=10:00-14:00", "holidays=2026-12-25")
                .contains("policy Support high calendar=Office first-response=1h next-response=- resolution=16h warn-before=15m"
                        + " raise-priority=true notify-group=true");

        assertThat(run(new StringWriter(), "sla", "remove-policy", "--config", c, "Support", "high")).isZero();
        StringWriter after = new StringWriter();
        run(after, "sla", "list", "--config", c);
        assertThat(after.toString()).doesNotContain("policy Support");
    }

    @Test
    void changingAPolicyMovesTheDueTimeOfTheTicketsRunningUnderIt() {
        String c = config.toString();
        assertThat(run(new StringWriter(), "sla", "policy", "--config", c, "Support", "normal", "--first-response", "1h")).isZero();
        dev.ticketd.node.web.TestData data = new dev.ticketd.node.web.TestData(db);
        data.mailbox("support", "support@example.test");
        long ticket = data.ticket("T-1", "Printer on fire", "open", "support", "ann@example.test");
        java.time.Instant opened = java.time.Instant.now();
        db.transactions().write(tx -> {
            new dev.ticketd.desk.Tickets().sla().opened(tx, ticket, opened);
            return null;
        });

        assertThat(run(new StringWriter(), "sla", "policy", "--config", c, "Support", "normal", "--first-response", "3h")).isZero();

        // PostgreSQL keeps microseconds (rounded): compare with the start the clock stored
        java.time.OffsetDateTime since = db.dsl().select(TICKET_SLA_CLOCK.RUNNING_SINCE).from(TICKET_SLA_CLOCK)
                .where(TICKET_SLA_CLOCK.TICKET_ID.eq(ticket)).fetchSingle(TICKET_SLA_CLOCK.RUNNING_SINCE);
        assertThat(java.time.Duration.between(since, db.dsl().select(TICKET.SLA_DUE_AT).from(TICKET).where(TICKET.ID.eq(ticket))
                .fetchSingle(TICKET.SLA_DUE_AT))).isEqualTo(java.time.Duration.ofHours(3));
    }

    @Test
    void aBadValueIsRefusedNamingTheOption() {
        String c = config.toString();
        StringWriter err = new StringWriter();
        assertThat(runErr(err, "sla", "policy", "--config", c, "Support", "normal", "--first-response", "tomorrow")).isEqualTo(2);
        assertThat(err.toString()).contains("first-response: a duration looks like 4h");
        StringWriter zone = new StringWriter();
        assertThat(runErr(zone, "sla", "calendar", "--config", c, "X", "--zone", "Atlantis/Nowhere", "--hours", "mon=09:00-17:00"))
                .isEqualTo(2);
        assertThat(zone.toString()).contains("zone: unknown time zone 'Atlantis/Nowhere'");
    }
}
