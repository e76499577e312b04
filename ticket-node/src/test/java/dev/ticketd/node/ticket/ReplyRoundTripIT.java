package dev.ticketd.node.ticket;

import dev.ticketd.cluster.EmbeddedZooKeeper;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.Migrations;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.node.Node;
import dev.ticketd.node.intake.NodeSecrets;
import dev.ticketd.node.auth.ApiTokens;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.auth.StaffAccounts;
import dev.ticketd.node.config.ConfigLoader;
import dev.ticketd.node.intake.MailboxCatalog;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Properties;

import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * The whole conversation through one real node: a customer writes, gets an acknowledgement, staff
 * answer through the API with a file, the answer reaches the customer over SMTP with threading
 * headers and the file intact, and the customer's answer to it lands in the same ticket.
 */
class ReplyRoundTripIT {

    private static final String SUPPORT = "support@example.test";
    private static final String CUSTOMER = "ann@example.test";

    @TempDir
    Path dir;

    private EmbeddedZooKeeper zk;
    private TestMailServer mail;
    private Database db;
    private Node node;

    @AfterEach
    void tearDown() {
        if (node != null) {
            node.close();
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
    void aStaffReplyReachesTheCustomerThreadedWithItsFileAndTheAnswerJoinsTheTicket() throws Exception {
        zk = EmbeddedZooKeeper.start(dir.resolve("zk"), freePort());
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, "support-secret");
        mail.addUser(CUSTOMER, "ann-secret");
        DatabaseSettings settings = TestPostgres.freshDatabaseSettings();
        db = Database.open(settings.withMaxPoolSize(4), "round-trip-it");
        Migrations.migrate(db.dataSource());
        new MailboxCatalog(db).save(new MailboxCatalog.NewMailbox("support", SUPPORT, "127.0.0.1", mail.imapPort(),
                TransportSecurity.NONE, SUPPORT, "support", "INBOX", "Processed",
                "127.0.0.1", mail.smtpPort(), TransportSecurity.NONE, null));
        new MailboxCatalog(db).setSignature("support", "Your help desk\nPhone 555-0100\n");
        StaffAccounts accounts = new StaffAccounts(db);
        accounts.createUser("agent@example.test", "Agent", "agent-password", Role.AGENT);
        String token = new ApiTokens(db, Clock.systemUTC()).create("agent@example.test", "test", ApiTokens.DEFAULT_LIFETIME).token();

        Map<String, String> config = new HashMap<>();
        config.put("node.id", "node-a");
        config.put("http.host", "127.0.0.1");
        config.put("http.port", "0");
        config.put("db.url", settings.jdbcUrl());
        config.put("db.user", settings.user());
        config.put("db.password", settings.password());
        config.put("zk.address", zk.connectString());
        config.put("mail.poll-interval", "500ms");
        config.put("secret.support", "support-secret");
        node = new Node(ConfigLoader.fromMap(config, Map.of()), Clock.systemUTC());
        node.start();
        assertThat(new NodeSecrets(db).reports()).as("the node names the secrets it holds, never their values")
                .extracting(NodeSecrets.Report::nodeId, NodeSecrets.Report::secretRefs)
                .containsExactly(tuple("node-a", Set.of("support")));

        byte[] first = mail.textMail(CUSTOMER, SUPPORT, "Printer on fire", "It is smoking.");
        String customerMessageId = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(first)).getMessageID();
        mail.send(SUPPORT, List.of(first));
        long ticketId = await().atMost(TestTimeouts.seconds(30)).until(
                () -> db.dsl().select(TICKET.ID).from(TICKET).fetchOptional(TICKET.ID).orElse(null), id -> id != null);
        String number = db.dsl().select(TICKET.NUMBER).from(TICKET).where(TICKET.ID.eq(ticketId)).fetchOne(TICKET.NUMBER);

        byte[] file = new byte[300_000];
        for (int i = 0; i < file.length; i++) {
            file[i] = (byte) (i * 7 + i / 256); // every byte value, no line structure
        }
        String fileName = "Lieferschein März (Kopie).pdf";
        HttpResponse<String> posted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + node.httpPort() + "/api/v1/tickets/" + ticketId + "/replies"))
                .header("Authorization", "Bearer " + token).header("Idempotency-Key", "round-trip-1")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"body\": \"We are on our way.\", \"attachments\": [{\"filename\": \""
                        + fileName + "\", \"contentType\": \"application/pdf\", \"contentBase64\": \""
                        + Base64.getEncoder().encodeToString(file) + "\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(201);

        List<Received> inbox = await().atMost(TestTimeouts.seconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> customerInbox(), list -> list.size() >= 2);
        Received ack = inbox.stream().filter(m -> "auto-replied".equals(m.autoSubmitted())).findFirst().orElseThrow();
        Received reply = inbox.stream().filter(m -> m.autoSubmitted() == null).findFirst().orElseThrow();
        assertThat(ack.subject()).contains("[" + number + "]");
        assertThat(reply.subject()).contains("[" + number + "]");
        assertThat(reply.inReplyTo()).isEqualTo(customerMessageId);
        String body = reply.body().replace("\r\n", "\n");
        assertThat(body).as("typed text, then the mailbox's signature, then the customer's mail quoted")
                .startsWith("We are on our way.\n\n-- \nYour help desk\nPhone 555-0100\n\nOn ")
                .contains(" wrote:\n> It is smoking.");
        assertThat(reply.references()).isEqualTo(customerMessageId);
        assertThat(reply.attachments()).as("multipart/mixed: the text, then the file").hasSize(1);
        assertThat(reply.attachments().get(0).filename()).isEqualTo(fileName);
        assertThat(reply.attachments().get(0).contentType()).startsWithIgnoringCase("application/pdf");
        assertThat(reply.attachments().get(0).content()).isEqualTo(file);
        assertThat(ack.attachments()).as("an acknowledgement is plain text").isNull();
        assertThat(db.dsl().select(TICKET_MESSAGE.BODY_TEXT).from(TICKET_MESSAGE).where(TICKET_MESSAGE.KIND.eq("outbound"))
                .fetchSingle(TICKET_MESSAGE.BODY_TEXT)).as("the ticket keeps what staff typed").isEqualTo("We are on our way.");
        String replyMessageId = db.dsl().select(OUTBOX.MESSAGE_ID).from(OUTBOX).where(OUTBOX.KIND.eq("reply")).fetchOne(OUTBOX.MESSAGE_ID);
        assertThat(reply.messageId()).isEqualTo(replyMessageId);

        // the customer answers the reply from a mail client that drops the ticket token
        MimeMessage answer = new MimeMessage(Session.getInstance(new Properties()));
        answer.setFrom(new InternetAddress(CUSTOMER));
        answer.setRecipients(Message.RecipientType.TO, SUPPORT);
        answer.setSubject("Re: printer");
        answer.setSentDate(new Date());
        answer.setHeader("In-Reply-To", replyMessageId);
        answer.setText("Thanks, it is out now.");
        answer.saveChanges();
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        answer.writeTo(raw);
        mail.send(SUPPORT, List.of(raw.toByteArray()));

        await().atMost(TestTimeouts.seconds(30)).until(() -> db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.TICKET_ID.eq(ticketId)) == 3);
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(1);
        assertThat(db.dsl().fetchCount(OUTBOX, OUTBOX.KIND.eq("ack"))).as("no second acknowledgement for a threaded reply").isEqualTo(1);
    }

    /** {@code attachments} is null for a single-part (plain text) mail. */
    private record Received(String subject, String messageId, String inReplyTo, String references, String autoSubmitted,
                            String body, List<File> attachments) {
    }

    private record File(String filename, String contentType, byte[] content) {
    }

    private List<Received> customerInbox() throws Exception {
        Properties p = new Properties();
        p.setProperty("mail.imap.connectiontimeout", "5000");
        p.setProperty("mail.imap.timeout", "5000");
        try (Store store = Session.getInstance(p).getStore("imap")) {
            store.connect("127.0.0.1", mail.imapPort(), CUSTOMER, "ann-secret");
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            List<Received> received = new ArrayList<>();
            for (Message m : inbox.getMessages()) {
                String body = null;
                List<File> files = null;
                if (m.getContent() instanceof Multipart parts) {
                    body = String.valueOf(parts.getBodyPart(0).getContent());
                    files = new ArrayList<>();
                    for (int i = 1; i < parts.getCount(); i++) {
                        var part = parts.getBodyPart(i);
                        files.add(new File(part.getFileName(), part.getContentType(), part.getInputStream().readAllBytes()));
                    }
                } else {
                    body = String.valueOf(m.getContent());
                }
                received.add(new Received(m.getSubject(), first(m.getHeader("Message-ID")), first(m.getHeader("In-Reply-To")),
                        first(m.getHeader("References")), first(m.getHeader("Auto-Submitted")), body, files));
            }
            inbox.close(false);
            return received;
        }
    }

    private static String first(String[] values) {
        return values == null || values.length == 0 ? null : values[0].strip();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
