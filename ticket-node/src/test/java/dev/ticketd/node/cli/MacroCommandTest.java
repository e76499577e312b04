package dev.ticketd.node.cli;

import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.ticketd.db.generated.Tables.MACRO;
import static dev.ticketd.node.cli.CliConfig.run;
import static dev.ticketd.node.cli.CliConfig.runErr;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code ticketd macro …} as an admin runs it: save (create, then replace whole), list, remove, with a bad value named. */
class MacroCommandTest {

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
    void anAdminSavesListsReplacesAndRemovesAMacro() throws Exception {
        String c = config.toString();
        Path body = Files.writeString(dir.resolve("body.txt"), "Hello {{customer.name}},\nyour refund is on its way.\n{{agent.name}}",
                StandardCharsets.UTF_8);
        StringWriter created = new StringWriter();
        assertThat(run(created, "macro", "save", "--config", c, "Refund issued", "--body-file", body.toString(), "--status", "resolved",
                "--add-tag", "refund", "--remove-tag", "waiting")).isZero();
        assertThat(created.toString()).startsWith("created: ");

        StringWriter listed = new StringWriter();
        assertThat(run(listed, "macro", "list", "--config", c)).isZero();
        assertThat(listed.toString()).contains("name=Refund issued reply=\"Hello {{customer.name}},\"",
                "actions=\"status resolved · tags +refund −waiting\"");

        StringWriter replaced = new StringWriter();
        assertThat(run(replaced, "macro", "save", "--config", c, "Refund issued", "--body", "Escalated.", "--note")).isZero();
        assertThat(replaced.toString()).startsWith("replaced: ").contains("note=\"Escalated.\"", "actions=-");
        assertThat(db.dsl().fetchCount(MACRO)).isEqualTo(1);
        assertThat(db.dsl().select(MACRO.SET_STATUS).from(MACRO).fetchSingle(MACRO.SET_STATUS)).as("replaced whole").isNull();

        StringWriter removed = new StringWriter();
        assertThat(run(removed, "macro", "remove", "--config", c, "Refund issued")).isZero();
        assertThat(removed.toString()).contains("removed: name=Refund issued");
        assertThat(db.dsl().fetchCount(MACRO)).isZero();
    }

    @Test
    void anUnknownPlaceholderOrABadValueIsRefusedByName() {
        String c = config.toString();
        StringWriter err = new StringWriter();
        assertThat(runErr(err, "macro", "save", "--config", c, "Typo", "--body", "Dear {{customer.nmae}}")).isEqualTo(2);
        assertThat(err.toString()).contains("body: unknown placeholder {{customer.nmae}}");
        StringWriter priority = new StringWriter();
        assertThat(runErr(priority, "macro", "save", "--config", c, "Rush", "--priority", "asap")).isEqualTo(2);
        assertThat(priority.toString()).contains("priority: one of low, normal, high, urgent; got 'asap'");
        assertThat(db.dsl().fetchCount(MACRO)).isZero();
    }
}
