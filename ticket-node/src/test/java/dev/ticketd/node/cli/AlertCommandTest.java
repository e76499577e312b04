package dev.ticketd.node.cli;

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
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code ticketd alert test} as an operator runs it after configuring the channels: each channel's
 * outcome on its own line, a failing channel named with its error, the exit code saying whether every
 * channel works, and a configuration without any channel refused plainly.
 */
class AlertCommandTest {

    @TempDir
    Path dir;

    private TestMailServer mail;
    private DatabaseSettings db;

    @BeforeEach
    void setUp() {
        mail = TestMailServer.start();
        mail.addUser("ops@example.test", "ops-secret");
        db = TestPostgres.freshDatabaseSettings();
    }

    @AfterEach
    void tearDown() {
        mail.close();
    }

    @Test
    void eachChannelReportsItsOutcomeAndAFailingOneMakesTheExitCodeSaySo() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort(); // nothing listens there once closed
        }
        Path config = CliConfig.write(dir.resolve("node.properties"), db, "127.0.0.1:1",
                "node.id=node-7",
                "alert.smtp.host=127.0.0.1", "alert.smtp.port=" + mail.smtpPort(), "alert.smtp.security=none",
                "alert.smtp.from=alerts@example.test", "alert.smtp.to=ops@example.test",
                "alert.webhook.url=http://127.0.0.1:" + closedPort + "/hook", "alert.webhook.authorization=Bearer do-not-print");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = run(out, err, "alert", "test", "--config", config.toString());

        assertThat(code).isEqualTo(AlertCommand.SOME_FAILED);
        assertThat(out.toString()).contains("smtp: sent").contains("webhook: FAILED ConnectException").doesNotContain("do-not-print");
        await().atMost(Duration.ofSeconds(10)).until(() -> mail.subjects("ops@example.test", "ops-secret", "INBOX").size() == 1);
        assertThat(mail.subjects("ops@example.test", "ops-secret", "INBOX")).containsExactly("[ticketd ticketd TEST] test node-7");
    }

    @Test
    void withoutAnyChannelTheCommandSaysNobodyWouldBeTold() throws Exception {
        Path config = CliConfig.write(dir.resolve("node.properties"), db, "127.0.0.1:1");
        StringWriter err = new StringWriter();
        assertThat(run(new StringWriter(), err, "alert", "test", "--config", config.toString())).isEqualTo(AlertCommand.NO_CHANNEL);
        assertThat(err.toString()).contains("no alert channel is configured").contains("alert.webhook.url");
    }

    @Test
    void aMailChannelWithoutRecipientIsRefusedNamingTheKey() throws Exception {
        Path config = CliConfig.write(dir.resolve("node.properties"), db, "127.0.0.1:1",
                "alert.smtp.host=127.0.0.1", "alert.smtp.from=alerts@example.test");
        StringWriter err = new StringWriter();
        assertThat(run(new StringWriter(), err, "alert", "test", "--config", config.toString())).isNotZero();
        assertThat(err.toString()).contains("alert.smtp.to");
    }

    private static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
