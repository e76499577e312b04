package dev.ticketd.node.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.ticketd.cluster.ClusterAdmin;
import dev.ticketd.cluster.testing.TestZooKeeperEnsemble;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.Migrations;
import dev.ticketd.mail.MailboxSettings;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The heap the Ansible role gives a node ({@code ticket_node_heap_mb} and
 * {@code ticket_node_java_options} in {@code ansible/roles/ticket_node/defaults/main.yml}) holds the
 * largest mails a mailbox accepts by default, one right after the other: a node that ran out of
 * memory on them would exit, restart and meet the same mails again — a mailbox blocked for good. A
 * node process started with exactly those options takes in three mails just under
 * {@link MailboxSettings#DEFAULT_MAX_MESSAGE_BYTES}, one a single plain text, one a large
 * attachment, and one with both, stores each once, and is still the same process afterwards.
 */
class BigMailsAtTheDeployedHeapIT {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "big-mail-it-secret";
    private static final Path ROLE_DEFAULTS = Path.of("..", "ansible", "roles", "ticket_node", "defaults", "main.yml");
    /** Just under the default limit, leaving room for the headers and the MIME structure. */
    private static final int BODY_BYTES = (int) (MailboxSettings.DEFAULT_MAX_MESSAGE_BYTES - 512 * 1024);

    private TestZooKeeperEnsemble zk;
    private TestMailServer mail;
    private Database db;
    private Process node;

    @AfterEach
    void tearDown() throws InterruptedException {
        if (node != null) {
            node.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
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
    void aNodeWithTheDeployedHeapTakesInThreeMailsOfTheLargestAcceptedSizeInARow() throws Exception {
        zk = TestZooKeeperEnsemble.start();
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        List<byte[]> big = List.of(plainText(), attachment(), textAndAttachment());
        for (byte[] raw : big) {
            assertThat((long) raw.length).as("the premise: each mail is just under the default limit")
                    .isBetween(MailboxSettings.DEFAULT_MAX_MESSAGE_BYTES - 1024 * 1024, MailboxSettings.DEFAULT_MAX_MESSAGE_BYTES);
        }
        mail.deliverInProcess(SUPPORT, big);
        DatabaseSettings settings = TestPostgres.freshDatabaseSettings();
        db = Database.open(settings.withMaxPoolSize(2), "big-mail-it");
        Migrations.migrate(db.dataSource());
        Path dir = Files.createDirectories(Path.of("target", "big-mail-it")).toAbsolutePath();
        Path log = dir.resolve("node.log");
        node = startNode(dir, settings, log);
        long pid = node.pid();
        await().atMost(TestTimeouts.seconds(90)).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
            try (ClusterAdmin admin = ClusterAdmin.open(zk.connectString(), "ticketd")) { // made by the node
                return admin.status().nodes().size() == 1;
            }
        });
        try (ClusterAdmin admin = ClusterAdmin.open(zk.connectString(), "ticketd")) {
            new MailboxCatalog(db).save(new MailboxCatalog.NewMailbox("support", SUPPORT, "127.0.0.1", mail.imapPort(),
                    TransportSecurity.NONE, SUPPORT, "support", "INBOX", "Processed"));
            admin.addMailboxes(Set.of("support"));
        }

        await().atMost(TestTimeouts.seconds(240)).pollInterval(Duration.ofMillis(250)).until(() -> {
            assertThat(node.isAlive()).as("the node runs (its log: " + log + ")").isTrue();
            return db.dsl().fetchCount(INBOUND_MESSAGE) == big.size();
        });

        assertThat(node.isAlive()).isTrue();
        assertThat(node.pid()).as("the same process throughout").isEqualTo(pid);
        assertThat(db.dsl().select(INBOUND_MESSAGE.SIZE_BYTES).from(INBOUND_MESSAGE).orderBy(INBOUND_MESSAGE.UID)
                .fetch(INBOUND_MESSAGE.SIZE_BYTES)).as("each mail stored once, whole")
                .containsExactly(big.get(0).length, big.get(1).length, big.get(2).length);
        assertThat(Files.readString(log)).as("the node's log").doesNotContain("OutOfMemoryError");
    }

    /** The JVM options and environment the Ansible role deploys a node with. */
    private Process startNode(Path dir, DatabaseSettings settings, Path log) throws IOException {
        JsonNode role = new YAMLMapper().readTree(ROLE_DEFAULTS.toFile());
        List<String> jvm = new ArrayList<>();
        jvm.add("-Xmx" + role.get("ticket_node_heap_mb").asInt() + "m");
        role.get("ticket_node_java_options").forEach(o -> jvm.add(o.asText()));
        Map<String, String> environment = new LinkedHashMap<>();
        role.get("ticket_node_environment").fields().forEachRemaining(e -> environment.put(e.getKey(), e.getValue().asText()));
        assertThat(jvm).as("the role sets a heap and more than that").hasSizeGreaterThan(1);

        Path config = dir.resolve("node.properties");
        Files.writeString(config, String.join("\n",
                "node.id=big",
                "http.host=127.0.0.1",
                "http.port=" + freePort(),
                "db.url=" + settings.jdbcUrl(),
                "db.user=" + settings.user(),
                "db.password=" + settings.password(),
                "db.pool-size=4",
                "zk.address=" + zk.connectString(),
                "mail.poll-interval=500ms",
                "secret.support=" + PASSWORD, ""));
        ProcessBuilder pb = NodeLauncher.of(Path.of("target", "ticketd.jar")).processBuilder(jvm, List.of("serve", "--config", config.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(environment);
        return pb.start();
    }

    private byte[] plainText() {
        StringBuilder body = new StringBuilder(BODY_BYTES);
        int line = 0;
        while (body.length() < BODY_BYTES - 80) {
            body.append("Line ").append(line++).append(" of the log the customer pasted into the mail, order ORD-").append(line % 9973)
                    .append("\r\n");
        }
        return headers("A log pasted whole", "text/plain; charset=us-ascii").append("\r\n").append(body).toString()
                .getBytes(StandardCharsets.US_ASCII);
    }

    private byte[] attachment() {
        return multipart("The dump you asked for", "Attached.", base64Fits(BODY_BYTES));
    }

    private byte[] textAndAttachment() {
        return multipart("Both", "x".repeat(BODY_BYTES / 4), base64Fits(BODY_BYTES - BODY_BYTES / 4));
    }

    /** The most bytes whose base64 (57 bytes a 76-character line, with its CRLF) fits in {@code room} less 2 KiB. */
    private static int base64Fits(int room) {
        return (int) ((room - 2048L) * 57 / 78);
    }

    /** A multipart mail: {@code text} and an attachment of {@code attachmentBytes} random bytes (base64: a third larger). */
    private byte[] multipart(String subject, String text, int attachmentBytes) {
        byte[] data = new byte[attachmentBytes];
        new Random(subject.hashCode()).nextBytes(data);
        String b64 = Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(data);
        return headers(subject, "multipart/mixed; boundary=\"b1\"").append("\r\n--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
                .append(text).append("\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"dump.bin\"\r\n")
                .append("Content-Transfer-Encoding: base64\r\n\r\n").append(b64).append("\r\n--b1--\r\n").toString()
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static StringBuilder headers(String subject, String contentType) {
        return new StringBuilder().append("From: Kim Customer <kim@customer.example>\r\nTo: ").append(SUPPORT).append("\r\nSubject: ")
                .append(subject).append("\r\nMessage-ID: <").append(subject.hashCode()).append(".big@customer.example>\r\n")
                .append("Date: Mon, 07 Dec 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: ").append(contentType).append("\r\n");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
