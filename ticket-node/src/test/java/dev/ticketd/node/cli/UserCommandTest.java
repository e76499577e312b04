package dev.ticketd.node.cli;

import dev.ticketd.cluster.EmbeddedZooKeeper;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.node.Main;
import dev.ticketd.node.auth.ApiTokens;
import dev.ticketd.node.auth.StaffAccounts;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static dev.ticketd.db.generated.Tables.API_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code ticketd user add} and {@code ticketd user token} as an operator runs them, secrets on standard input. */
class UserCommandTest {

    @TempDir
    Path dir;

    private Database db;
    private EmbeddedZooKeeper zooKeeper;
    private Path config;
    private final InputStream originalIn = System.in;

    @BeforeEach
    void setUp() throws Exception {
        DatabaseSettings dbSettings = TestPostgres.freshDatabaseSettings();
        db = Database.open(dbSettings, "test");
        zooKeeper = EmbeddedZooKeeper.start(dir.resolve("zk"), 0);
        config = CliConfig.write(dir.resolve("node.properties"), dbSettings, zooKeeper.connectString());
    }

    @AfterEach
    void tearDown() {
        System.setIn(originalIn);
        zooKeeper.close();
        db.close();
    }

    @Test
    void aTokenReadFromStandardInputLetsItsUserIntoTheApiAndOnlyItsHashIsStored() {
        assertThat(run(new StringWriter(), "correct horse battery\n", "user", "add", "--config", config.toString(),
                "--email", "Ann@Example.test", "--name", "Ann")).isZero();
        String token = "monitoring-token-0123456789";
        assertThat(run(new StringWriter(), token + "\n", "user", "token", "--config", config.toString(),
                "--email", "ann@example.test", "--name", "monitoring")).isZero();

        assertThat(new ApiTokens(db).authenticate(token)).hasValueSatisfying(u -> assertThat(u.email()).isEqualTo("ann@example.test"));
        assertThat(new StaffAccounts(db).authenticate("ann@example.test", "correct horse battery")).isPresent();
        assertThat(db.dsl().select(API_TOKEN.TOKEN_SHA256).from(API_TOKEN).fetch(API_TOKEN.TOKEN_SHA256))
                .hasSize(1).doesNotContain(token);
    }

    @Test
    void aShortTokenAnUnknownUserAndAnEmptyInputAreClearErrors() {
        run(new StringWriter(), "correct horse battery\n", "user", "add", "--config", config.toString(),
                "--email", "ann@example.test", "--name", "Ann");

        StringWriter err = new StringWriter();
        assertThat(run(err, "short\n", "user", "token", "--config", config.toString(), "--email", "ann@example.test",
                "--name", "x")).isNotZero();
        assertThat(err.toString()).contains("at least 16 characters");

        err = new StringWriter();
        assertThat(run(err, "another-long-token-0123456789\n", "user", "token", "--config", config.toString(),
                "--email", "bob@example.test", "--name", "x")).isNotZero();
        assertThat(err.toString()).contains("no staff user with email bob@example.test");

        err = new StringWriter();
        assertThat(run(err, "", "user", "token", "--config", config.toString(), "--email", "ann@example.test",
                "--name", "x")).isNotZero();
        assertThat(err.toString()).contains("no token on standard input");
        assertThat(db.dsl().fetchCount(API_TOKEN)).isZero();
    }

    private int run(StringWriter err, String stdin, String... args) {
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
