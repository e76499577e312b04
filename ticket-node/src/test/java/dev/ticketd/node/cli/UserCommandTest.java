package dev.ticketd.node.cli;

import dev.ticketd.cluster.EmbeddedZooKeeper;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.node.Main;
import dev.ticketd.node.auth.ApiTokens;
import dev.ticketd.node.auth.StaffAccounts;
import dev.ticketd.node.auth.Totp;
import dev.ticketd.node.auth.WebSessions;
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
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.ticketd.db.generated.Tables.API_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code ticketd user …} as an operator runs it: passwords on standard input, tokens made by the server and printed once. */
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
    void theServerMakesATokenPrintsItOnceAndItLetsItsUserIntoTheApiUntilRevoked() {
        assertThat(run(new StringWriter(), "correct horse battery\n", "user", "add", "--config", config.toString(),
                "--email", "Ann@Example.test", "--name", "Ann")).isZero();
        StringWriter out = new StringWriter();
        assertThat(run(out, new StringWriter(), "", "user", "token", "--config", config.toString(),
                "--email", "ann@example.test", "--name", "monitoring")).isZero();

        Matcher printed = Pattern.compile("token: (tkd_\\S+)").matcher(out.toString());
        assertThat(printed.find()).as("the token is printed: " + out).isTrue();
        String token = printed.group(1);
        ApiTokens tokens = new ApiTokens(db, Clock.systemUTC());
        assertThat(tokens.authenticate(token)).hasValueSatisfying(u -> assertThat(u.email()).isEqualTo("ann@example.test"));
        var row = db.dsl().selectFrom(API_TOKEN).fetchSingle();
        assertThat(row.getExpiresAt()).isAfter(OffsetDateTime.now().plusDays(89)).isBefore(OffsetDateTime.now().plusDays(91));
        assertThat(row.getSecretSha256()).doesNotContain(token.substring(21));

        StringWriter list = new StringWriter();
        assertThat(run(list, new StringWriter(), "", "user", "tokens", "--config", config.toString(), "--email", "ann@example.test")).isZero();
        assertThat(list.toString()).contains("id=" + row.getId() + " name=monitoring").contains("active").doesNotContain(token);

        assertThat(run(new StringWriter(), new StringWriter(), "", "user", "revoke-token", "--config", config.toString(),
                "--email", "ann@example.test", "--id", row.getId().toString())).isZero();
        assertThat(tokens.authenticate(token)).isEmpty();
    }

    @Test
    void aTokenWithoutExpiryAnUnknownUserAndAnUnknownTokenId() {
        run(new StringWriter(), "correct horse battery\n", "user", "add", "--config", config.toString(),
                "--email", "ann@example.test", "--name", "Ann");

        assertThat(run(new StringWriter(), new StringWriter(), "", "user", "token", "--config", config.toString(),
                "--email", "ann@example.test", "--name", "forever", "--expires-in-days", "0")).isZero();
        assertThat(db.dsl().select(API_TOKEN.EXPIRES_AT).from(API_TOKEN).fetchSingle(API_TOKEN.EXPIRES_AT)).isNull();

        StringWriter err = new StringWriter();
        assertThat(run(err, "", "user", "token", "--config", config.toString(), "--email", "bob@example.test",
                "--name", "x")).isNotZero();
        assertThat(err.toString()).contains("no staff user with email bob@example.test");

        err = new StringWriter();
        assertThat(run(err, "", "user", "revoke-token", "--config", config.toString(), "--email", "ann@example.test",
                "--id", "999999")).isNotZero();
        assertThat(err.toString()).contains("has no API token with id 999999");
        assertThat(db.dsl().fetchCount(API_TOKEN)).isEqualTo(1);
    }

    @Test
    void aPasswordChangeAndADeactivationEndTheUsersSessions() {
        run(new StringWriter(), "correct horse battery\n", "user", "add", "--config", config.toString(),
                "--email", "ann@example.test", "--name", "Ann");
        StaffAccounts accounts = new StaffAccounts(db);
        WebSessions sessions = new WebSessions(db, Clock.systemUTC(), Duration.ofHours(8), Duration.ofMinutes(30));
        long id = accounts.authenticate("ann@example.test", "correct horse battery").orElseThrow().id();
        WebSessions.NewSession before = sessions.create(id);

        assertThat(run(new StringWriter(), "a new password\n", "user", "password", "--config", config.toString(),
                "--email", "ann@example.test")).isZero();
        assertThat(sessions.find(before.token())).isEmpty();
        assertThat(accounts.authenticate("ann@example.test", "a new password")).isPresent();

        WebSessions.NewSession after = sessions.create(id);
        assertThat(run(new StringWriter(), "", "user", "deactivate", "--config", config.toString(),
                "--email", "ann@example.test")).isZero();
        assertThat(sessions.find(after.token())).isEmpty();
        assertThat(accounts.authenticate("ann@example.test", "a new password")).isEmpty();
    }

    @Test
    void totpPrintsTheSecretOnceAndDisableTurnsItOff() {
        run(new StringWriter(), "correct horse battery\n", "user", "add", "--config", config.toString(),
                "--email", "ann@example.test", "--name", "Ann");
        long id = new StaffAccounts(db).authenticate("ann@example.test", "correct horse battery").orElseThrow().id();
        Totp totp = new Totp(db, db.transactions(), Clock.systemUTC());
        StringWriter out = new StringWriter();

        assertThat(run(out, new StringWriter(), "", "user", "totp", "--config", config.toString(), "--email", "ann@example.test")).isZero();

        Matcher secret = Pattern.compile("secret: ([A-Z2-7]{32})").matcher(out.toString());
        assertThat(secret.find()).as(out.toString()).isTrue();
        assertThat(out.toString()).contains("uri: otpauth://totp/ticketd:ann%40example.test?secret=" + secret.group(1));
        assertThat(totp.accepts(id, null)).isFalse();
        assertThat(totp.accepts(id, Totp.code(Totp.unbase32(secret.group(1)), System.currentTimeMillis() / 30_000))).isTrue();

        assertThat(run(new StringWriter(), "", "user", "totp", "--config", config.toString(), "--email", "ann@example.test",
                "--disable")).isZero();
        assertThat(totp.accepts(id, null)).isTrue();
    }

    private int run(StringWriter err, String stdin, String... args) {
        return run(new StringWriter(), err, stdin, args);
    }

    private int run(StringWriter out, StringWriter err, String stdin, String... args) {
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
