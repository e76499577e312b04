package dev.ticketd.node.cli;

import dev.ticketd.cluster.EmbeddedZooKeeper;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.node.Main;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.ticketd.db.generated.Tables.MAILBOX;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code ticketd mailbox add --signature-file} as an operator runs it. */
class MailboxAddCommandTest {

    @TempDir
    Path dir;

    private Database db;
    private EmbeddedZooKeeper zooKeeper;
    private Path config;

    @BeforeEach
    void setUp() throws Exception {
        DatabaseSettings dbSettings = TestPostgres.freshDatabaseSettings();
        db = Database.open(dbSettings, "test");
        zooKeeper = EmbeddedZooKeeper.start(dir.resolve("zk"), 0);
        config = CliConfig.write(dir.resolve("node.properties"), dbSettings, zooKeeper.connectString());
        assertThat(run(new StringWriter(), "migrate", "--config", config.toString())).isZero();
    }

    @AfterEach
    void tearDown() {
        zooKeeper.close();
        db.close();
    }

    @Test
    void aSignatureFileSetsTheSignatureALaterAddWithoutItKeepsItAndAnEmptyFileRemovesIt() throws Exception {
        Path signature = dir.resolve("signature.txt");
        Files.writeString(signature, "Grüße, Ihr Support\nTel. 555-0100\n", StandardCharsets.UTF_8);

        assertThat(add("--signature-file", signature.toString())).isZero();
        assertThat(storedSignature()).isEqualTo("Grüße, Ihr Support\nTel. 555-0100");

        assertThat(add()).isZero();
        assertThat(storedSignature()).as("kept when the option is left out").isEqualTo("Grüße, Ihr Support\nTel. 555-0100");

        Files.writeString(signature, "");
        assertThat(add("--signature-file", signature.toString())).isZero();
        assertThat(storedSignature()).isNull();
    }

    @Test
    void addingTheSameSettingsAgainSaysUnchangedAndAChangedSettingSaysSaved() throws Exception {
        Path signature = dir.resolve("signature.txt");
        Files.writeString(signature, "Ihr Support\n", StandardCharsets.UTF_8);

        assertThat(addSaying("--signature-file", signature.toString())).startsWith("mailbox saved: id=support");
        assertThat(addSaying("--signature-file", signature.toString())).startsWith("mailbox unchanged: id=support");
        assertThat(addSaying()).as("no signature option keeps the stored one").startsWith("mailbox unchanged: id=support");
        assertThat(addSaying("--imap-port", "10143")).startsWith("mailbox saved: id=support");
        assertThat(addSaying("--imap-port", "10143")).startsWith("mailbox unchanged: id=support");
        Files.writeString(signature, "Ihr Support-Team\n", StandardCharsets.UTF_8);
        assertThat(addSaying("--imap-port", "10143", "--signature-file", signature.toString())).startsWith("mailbox saved: id=support");
        assertThat(storedSignature()).isEqualTo("Ihr Support-Team");
        assertThat(db.dsl().select(MAILBOX.IMAP_PORT).from(MAILBOX).fetchSingle(MAILBOX.IMAP_PORT)).isEqualTo(10143);
    }

    @Test
    void anUnreadableSignatureFileIsAClearErrorAndSavesNothing() {
        StringWriter err = new StringWriter();
        int code = run(err, "mailbox", "add", "--config", config.toString(), "--id", "support", "--address", "support@example.test",
                "--imap-host", "127.0.0.1", "--secret-ref", "support", "--signature-file", dir.resolve("missing.txt").toString());

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("cannot read --signature-file");
        assertThat(db.dsl().fetchCount(MAILBOX)).isZero();
    }

    private int add(String... extra) {
        return run(new StringWriter(), addArgs(extra));
    }

    /** Adds with {@code extra}, which must succeed; what the command printed. */
    private String addSaying(String... extra) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(run(out, err, addArgs(extra))).as("exit code; stderr: %s", err).isZero();
        return out.toString();
    }

    private String[] addArgs(String... extra) {
        String[] base = {"mailbox", "add", "--config", config.toString(), "--id", "support", "--address", "support@example.test",
                "--imap-host", "127.0.0.1", "--secret-ref", "support"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return args;
    }

    private String storedSignature() {
        return db.dsl().select(MAILBOX.SIGNATURE).from(MAILBOX).where(MAILBOX.ID.eq("support")).fetchSingle(MAILBOX.SIGNATURE);
    }

    private static int run(StringWriter err, String... args) {
        return run(new StringWriter(), err, args);
    }

    private static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
