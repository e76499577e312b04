package dev.ticketd.node.cli;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.ticketd.node.Main;
import dev.ticketd.testing.TestTimeouts;
import jakarta.mail.Folder;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code ticketd demo send --eml} into the demo's mail server, read back over IMAP as ticketd reads
 * mail: the bytes a client sent are the bytes IMAP serves, 8-bit headers included.
 */
class DemoMailServerTest {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "demo-secret";
    private static final String REPLACEMENT_CHARACTER_IN_UTF8 = new String(new byte[]{(byte) 0xEF, (byte) 0xBF, (byte) 0xBD},
            StandardCharsets.ISO_8859_1);

    @TempDir
    Path dir;

    @Test
    void aMailSentWithRaw8BitHeadersIsServedOverImapWithExactlyTheBytesSent() throws Exception {
        byte[] sent = mailWithRaw8BitHeaders();
        Path eml = Files.write(dir.resolve("8bit.eml"), sent);
        try (DemoMailServer server = new DemoMailServer("127.0.0.1", 0, 0)) {
            server.start();
            server.addUser(SUPPORT, PASSWORD);

            assertThat(demoSend(server.smtpPort(), eml)).isZero();

            byte[] served = onlyMailInInbox(server.imapPort());
            assertThat(served).endsWith(sent);
            assertThat(new String(served, StandardCharsets.ISO_8859_1))
                    .startsWith("Return-Path: <zoe@example.test>\r\nReceived: from ")
                    .doesNotContain(REPLACEMENT_CHARACTER_IN_UTF8);
        }
    }

    /**
     * Why {@link DemoMailServer} exists: GreenMail as it comes replaces the Latin-1 bytes with U+FFFD
     * when it receives the mail (valid UTF-8 survives). Should a GreenMail upgrade stop doing that,
     * this fails, and the demo could go back to plain GreenMail.
     */
    @Test
    void plainGreenMailTurnsRawLatin1HeaderBytesIntoReplacementCharacters() throws Exception {
        Path eml = Files.write(dir.resolve("8bit.eml"), mailWithRaw8BitHeaders());
        GreenMail plain = new GreenMail(new ServerSetup[]{
                new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP),
                new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_IMAP)});
        plain.start();
        try {
            plain.setUser(SUPPORT, SUPPORT, PASSWORD);

            assertThat(demoSend(plain.getSmtp().getPort(), eml)).isZero();

            // plain GreenMail answers 250 before it stores the mail
            await().atMost(TestTimeouts.seconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> plain.getReceivedMessages().length == 1);
            String served = new String(onlyMailInInbox(plain.getImap().getPort()), StandardCharsets.UTF_8);
            assertThat(served).contains("Subject: Gr\uFFFD\uFFFDe aus K\uFFFDln").contains("From: Zoë Ångström <zoe@example.test>");
        } finally {
            plain.stop();
        }
    }

    @Test
    void emlCannotBeCombinedWithCount() throws Exception {
        Path eml = Files.write(dir.resolve("8bit.eml"), mailWithRaw8BitHeaders());

        assertThat(run("demo", "send", "--smtp-port", "1", "--eml", eml.toString(), "--count", "2")).isNotZero();
    }

    @Test
    void aMissingEmlFileFailsTheCommandBeforeItConnects() {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));

        // port 1: nothing listens there, so an attempt to connect would fail with a different message
        assertThat(cli.execute("demo", "send", "--smtp-port", "1", "--eml", dir.resolve("absent.eml").toString())).isNotZero();
        assertThat(err.toString()).contains("NoSuchFileException", "absent.eml").doesNotContain("ConnectException");
    }

    /** The sender's name as raw UTF-8 bytes and the subject as raw ISO-8859-1 bytes, neither RFC 2047 encoded. */
    static byte[] mailWithRaw8BitHeaders() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("From: ".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes("Zoë Ångström".getBytes(StandardCharsets.UTF_8));
        out.writeBytes(" <zoe@example.test>\r\nTo: support@example.test\r\nSubject: ".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes("Grüße aus Köln".getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(("\r\nDate: Thu, 03 Dec 2026 09:00:00 +0000\r\nMessage-ID: <demo-8bit@example.test>\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.writeBytes("Der Drucker druckt nur noch Kästchen.\r\n".getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static int demoSend(int smtpPort, Path eml) {
        return run("demo", "send", "--smtp-port", Integer.toString(smtpPort), "--eml", eml.toString(), "--from", "zoe@example.test");
    }

    private static int run(String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(new StringWriter(), true));
        return cli.execute(args);
    }

    /** The one mail in the INBOX, as ticketd's reader fetches it (the whole message, BODY[]). */
    private static byte[] onlyMailInInbox(int imapPort) throws MessagingException, IOException {
        Properties p = new Properties();
        p.setProperty("mail.imap.connectiontimeout", "10000");
        p.setProperty("mail.imap.timeout", "10000");
        try (Store store = Session.getInstance(p).getStore("imap")) {
            store.connect("127.0.0.1", imapPort, SUPPORT, PASSWORD);
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            try {
                assertThat(inbox.getMessageCount()).isEqualTo(1);
                ByteArrayOutputStream raw = new ByteArrayOutputStream();
                inbox.getMessage(1).writeTo(raw);
                return raw.toByteArray();
            } finally {
                inbox.close(false);
            }
        }
    }
}
