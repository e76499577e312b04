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

import static dev.ticketd.node.cli.CliConfig.run;
import static dev.ticketd.node.cli.CliConfig.runErr;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code ticketd group round-robin …} as an admin runs it: on with a cap, shown in the list, off again; bad values named. */
class GroupRoundRobinCommandTest {

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
    void anAdminTurnsRoundRobinOnForAGroupSeesItInTheListAndTurnsItOff() {
        String c = config.toString();
        StringWriter on = new StringWriter();
        assertThat(run(on, "group", "round-robin", "--config", c, "Support", "--cap", "12", "--online", "15m")).isZero();
        assertThat(on.toString()).contains("round robin: group=Support cap=12 online=15m");

        StringWriter list = new StringWriter();
        assertThat(run(list, "group", "list", "--config", c)).isZero();
        assertThat(list.toString()).contains("Support (round robin: cap 12, online within 15m)");

        assertThat(run(new StringWriter(), "group", "round-robin", "--config", c, "Support", "--off")).isZero();
        StringWriter after = new StringWriter();
        run(after, "group", "list", "--config", c);
        assertThat(after.toString()).contains("Support").doesNotContain("round robin");
    }

    @Test
    void aCapOutOfRangeOrNoChoiceIsRefusedNamingTheProblem() {
        String c = config.toString();
        StringWriter zero = new StringWriter();
        assertThat(runErr(zero, "group", "round-robin", "--config", c, "Support", "--cap", "0")).isEqualTo(2);
        assertThat(zero.toString()).contains("cap: between 1 and 10000");
        StringWriter neither = new StringWriter();
        assertThat(runErr(neither, "group", "round-robin", "--config", c, "Support")).isEqualTo(2);
        assertThat(neither.toString()).contains("either --cap N (round robin on) or --off");
        StringWriter online = new StringWriter();
        assertThat(runErr(online, "group", "round-robin", "--config", c, "Support", "--cap", "5", "--online", "30s")).isEqualTo(2);
        assertThat(online.toString()).contains("online: whole minutes between 1 minute and 1 day");
    }
}
