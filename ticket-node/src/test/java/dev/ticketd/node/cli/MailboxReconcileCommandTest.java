package dev.ticketd.node.cli;

import dev.ticketd.cluster.EmbeddedZooKeeper;
import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.node.Main;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code ticketd mailbox reconcile} as an operator runs it: a config file, a database, a mail server, a ZooKeeper. */
class MailboxReconcileCommandTest {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "secret-support";

    @TempDir
    Path dir;

    private DatabaseSettings dbSettings;
    private Database db;
    private TestMailServer mail;
    private EmbeddedZooKeeper zooKeeper;
    private Path config;

    @BeforeEach
    void setUp() throws Exception {
        dbSettings = TestPostgres.freshDatabaseSettings();
        db = Database.open(dbSettings, "test");
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        zooKeeper = EmbeddedZooKeeper.start(dir.resolve("zk"), 0);
        config = CliConfig.write(dir.resolve("node.properties"), dbSettings, zooKeeper.connectString(),
                "secret.support=" + PASSWORD);
        assertThat(run("migrate", "--config", config.toString()).exitCode).isZero();
        db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, "support").set(MAILBOX.ADDRESS, SUPPORT)
                .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, mail.imapPort())
                .set(MAILBOX.IMAP_SECURITY, "none").set(MAILBOX.IMAP_USER, SUPPORT).set(MAILBOX.SECRET_REF, "support").execute();
    }

    @AfterEach
    void tearDown() {
        zooKeeper.close();
        mail.close();
        db.close();
    }

    @Test
    void reconcileStoresTheMailTheDatabaseLostOnceUnderANewEpochAndResumesTheMailbox() {
        mail.append(SUPPORT, PASSWORD, "Processed", List.of(mail.textMail("a@example.test", SUPPORT, "lost in the restore", "1")));
        long before = new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).current("support").epoch();

        Result first = run("mailbox", "reconcile", "--config", config.toString(), "--id", "support");
        Result second = run("mailbox", "reconcile", "--config", config.toString(), "--id", "support");

        assertThat(first.exitCode).as(first.out).isZero();
        assertThat(first.out).contains("checked 1, found stored 0, ingested 1", "resumed mailbox support");
        assertThat(second.out).contains("checked 1, found stored 1, ingested 0");
        assertThat(db.dsl().selectFrom(TICKET).fetch(TICKET.SUBJECT)).containsExactly("lost in the restore");
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(1);
        assertThat(new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).current("support").epoch()).isEqualTo(before + 2);
        assertThat(db.dsl().select(MAILBOX.ENABLED).from(MAILBOX).where(MAILBOX.ID.eq("support")).fetchOne(MAILBOX.ENABLED)).isTrue();
        assertThat(mail.subjects(SUPPORT, PASSWORD, "Processed")).containsExactly("lost in the restore");
    }

    @Test
    void aPausedMailboxStaysPaused() {
        db.dsl().update(MAILBOX).set(MAILBOX.ENABLED, false).execute();

        Result r = run("mailbox", "reconcile", "--config", config.toString(), "--id", "support", "--limit", "5");

        assertThat(r.exitCode).as(r.out).isZero();
        assertThat(r.out).doesNotContain("resumed");
        assertThat(db.dsl().select(MAILBOX.ENABLED).from(MAILBOX).where(MAILBOX.ID.eq("support")).fetchOne(MAILBOX.ENABLED)).isFalse();
    }

    @Test
    void anUnknownMailboxIsAClearError() {
        Result r = run("mailbox", "reconcile", "--config", config.toString(), "--id", "nope");

        assertThat(r.exitCode).isEqualTo(2);
        assertThat(r.err).contains("no mailbox with id 'nope'");
    }

    private record Result(int exitCode, String out, String err) {
    }

    private static Result run(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
