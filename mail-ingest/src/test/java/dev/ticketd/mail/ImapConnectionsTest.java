package dev.ticketd.mail;

import dev.ticketd.mail.quarantine.ReadOnlyMailbox;
import dev.ticketd.mail.testing.RecordingRelay;
import dev.ticketd.mail.testing.TestMailServer;
import jakarta.mail.MessagingException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one IMAP connection set-up, used by the reader's connection and the reconciler's read-only view. */
class ImapConnectionsTest {

    private static MailboxSettings settings(TransportSecurity security, int port) {
        return new MailboxSettings("support", "support@example.test", "127.0.0.1", port, security, "support@example.test",
                "secret-support", "INBOX", "Processed", Duration.ofSeconds(1), Duration.ofSeconds(7),
                MailboxSettings.DEFAULT_MAX_MESSAGE_BYTES);
    }

    @Test
    void tlsFromTheFirstByteIsImapsWithTheServersNameCheckedAndTrackedSockets() {
        Properties p = ImapConnections.properties(settings(TransportSecurity.TLS, 993), new TrackedSockets());

        assertThat(ImapConnections.protocol(settings(TransportSecurity.TLS, 993))).isEqualTo("imaps");
        assertThat(p.getProperty("mail.imaps.ssl.checkserveridentity")).isEqualTo("true");
        assertThat(p.get("mail.imaps.ssl.socketFactory")).isNotNull();
        assertThat(p.get("mail.imaps.socketFactory")).as("no plain factory on a TLS connection").isNull();
        assertThat(p.getProperty("mail.imaps.starttls.enable")).isNull();
    }

    @Test
    void starttlsIsRequiredAndTheServersNameChecked() {
        Properties p = ImapConnections.properties(settings(TransportSecurity.STARTTLS, 143), new TrackedSockets());

        assertThat(ImapConnections.protocol(settings(TransportSecurity.STARTTLS, 143))).isEqualTo("imap");
        assertThat(p.getProperty("mail.imap.starttls.enable")).isEqualTo("true");
        assertThat(p.getProperty("mail.imap.starttls.required")).isEqualTo("true");
        assertThat(p.getProperty("mail.imap.ssl.checkserveridentity")).isEqualTo("true");
        assertThat(p.get("mail.imap.ssl.socketFactory")).as("TLS from the first byte would break STARTTLS").isNull();
        assertThat(p.get("mail.imap.socketFactory")).isNotNull();
    }

    @Test
    void everyConnectReadAndWriteIsBoundedAndReadingNeverSetsSeen() {
        for (TransportSecurity security : TransportSecurity.values()) {
            MailboxSettings s = settings(security, 143);
            String prefix = "mail." + ImapConnections.protocol(s) + ".";
            Properties p = ImapConnections.properties(s, null);
            assertThat(p.getProperty(prefix + "connectiontimeout")).as(security.name()).isEqualTo("7000");
            assertThat(p.getProperty(prefix + "timeout")).as(security.name()).isEqualTo("7000");
            assertThat(p.getProperty(prefix + "writetimeout")).as(security.name()).isEqualTo("7000");
            assertThat(p.getProperty(prefix + "peek")).as(security.name()).isEqualTo("true");
        }
        assertThat(ImapConnections.properties(settings(TransportSecurity.NONE, 143), null).getProperty("mail.imap.starttls.enable"))
                .isNull();
    }

    @Test
    void neitherTheReaderNorTheReadOnlyViewLogsInInClearTextToAServerWithoutStarttls() {
        try (TestMailServer mail = TestMailServer.start(); RecordingRelay wire = RecordingRelay.to(mail.imapPort())) {
            mail.addUser("support@example.test", "secret-support");
            MailboxSettings starttls = settings(TransportSecurity.STARTTLS, wire.port()); // GreenMail offers no STARTTLS

            assertThatThrownBy(() -> new ImapMailbox(starttls).open()).isInstanceOf(MessagingException.class);
            assertThatThrownBy(() -> new ReadOnlyMailbox(starttls).open()).isInstanceOf(MessagingException.class);

            assertThat(wire.transcript()).as("both connected and asked").isNotEmpty();
            assertThat(wire.toString()).doesNotContain("secret-support").doesNotContainIgnoringCase("LOGIN \"support");
        }
    }
}
