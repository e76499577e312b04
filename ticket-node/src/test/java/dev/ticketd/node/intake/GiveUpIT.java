package dev.ticketd.node.intake;

import dev.ticketd.cluster.testing.TestZooKeeperEnsemble;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.Migrations;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.NodeLauncher;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.ticketd.db.generated.Tables.MAILBOX_LEASE;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The night this project exists for: the node leading a mailbox cannot read it from its host (here
 * its copy of the mailbox secret is wrong, so every IMAP login fails), while another node could.
 * The broken leader gives the mailbox up and the healthy node takes the mail in.
 */
class GiveUpIT {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "give-up-it-secret";

    private TestZooKeeperEnsemble zk;
    private TestMailServer mail;
    private Database db;
    private final List<Process> nodes = new ArrayList<>();

    @AfterEach
    void tearDown() throws InterruptedException {
        nodes.forEach(Process::destroyForcibly);
        for (Process p : nodes) {
            p.waitFor(20, TimeUnit.SECONDS);
        }
        if (db != null) {
            db.close();
        }
        if (mail != null) {
            mail.close();
        }
        if (zk != null) {
            zk.close();
        }
    }

    @Test
    void aLeaderThatCannotReadTheMailboxKeepsItWhileAloneGivesItUpToANodeThatCanAndTakesItBackWhenThatNodeDies() throws Exception {
        zk = TestZooKeeperEnsemble.start();
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        DatabaseSettings settings = TestPostgres.freshDatabaseSettings();
        db = Database.open(settings.withMaxPoolSize(4), "give-up-it");
        Migrations.migrate(db.dataSource());
        new MailboxCatalog(db).save(new MailboxCatalog.NewMailbox("support", SUPPORT, "127.0.0.1", mail.imapPort(),
                TransportSecurity.NONE, SUPPORT, "support", "INBOX", "Processed"));
        Path dir = Files.createDirectories(Path.of("target", "give-up-it")).toAbsolutePath();

        nodes.add(startNode(dir, "broken", "not-the-password", settings));
        await().atMost(TestTimeouts.seconds(60)).until(() -> "broken".equals(leaseHolder()));
        // alone, it keeps the mailbox: giving it up would hand it to nobody for the whole cool-down
        Path brokenLog = dir.resolve("broken.log");
        await().atMost(TestTimeouts.seconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> Files.readString(brokenLog).contains("no other node could lead it: keeping it"));
        assertThat(Files.readString(brokenLog)).doesNotContain("giving mailbox up");
        nodes.add(startNode(dir, "healthy", PASSWORD, settings));
        mail.send(SUPPORT, List.of(mail.textMail("ann@example.test", SUPPORT, "is anyone there", "hello")));

        await().atMost(TestTimeouts.seconds(90)).pollInterval(Duration.ofMillis(250))
                .until(() -> "healthy".equals(leaseHolder()) && db.dsl().fetchCount(TICKET) == 1);
        assertThat(db.dsl().select(TICKET.SUBJECT).from(TICKET).fetchOne(TICKET.SUBJECT)).isEqualTo("is anyone there");
        assertThat(nodes.get(0).isAlive()).as("the broken node keeps serving staff").isTrue();
        assertThat(Files.readString(dir.resolve("broken.log"))).contains("giving mailbox up mailbox=support");

        // the node it gave the mailbox to dies: nobody else could lead it, so the broken node takes
        // part again long before its 10-minute cool-down ends (and, alone, keeps it)
        nodes.get(1).destroyForcibly();
        await().atMost(TestTimeouts.seconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> "broken".equals(leaseHolder()));
        assertThat(Files.readString(brokenLog)).contains("taking part again before the cool-down ends mailbox=support");
    }

    private String leaseHolder() {
        return db.dsl().select(MAILBOX_LEASE.HOLDER).from(MAILBOX_LEASE).where(MAILBOX_LEASE.MAILBOX_ID.eq("support"))
                .fetchOptional(MAILBOX_LEASE.HOLDER).orElse(null);
    }

    private Process startNode(Path dir, String id, String mailboxSecret, DatabaseSettings settings) throws IOException {
        Path config = dir.resolve(id + ".properties");
        Files.writeString(config, String.join("\n",
                "node.id=" + id,
                "http.host=127.0.0.1",
                "http.port=" + freePort(),
                "db.url=" + settings.jdbcUrl(),
                "db.user=" + settings.user(),
                "db.password=" + settings.password(),
                "db.pool-size=4",
                "zk.address=" + zk.connectString(),
                "mail.poll-interval=500ms",
                "mail.io-timeout=2s",
                "mail.give-up-after=5s",
                "mail.give-up-cooldown=10m",
                "secret.support=" + mailboxSecret, ""));
        return NodeLauncher.of(Path.of("target", "ticketd.jar")).serve(config, dir.resolve(id + ".log"), false);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
