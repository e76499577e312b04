package dev.ticketd.node.cli;

import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.Properties;
import java.util.concurrent.Callable;

/** Sends test mail to the demo's SMTP server, as a customer would: made up from options, or a saved mail's exact bytes. */
@Command(name = "send", mixinStandardHelpOptions = true, description = "Send test mail to a running demo over SMTP.")
public final class DemoSendCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--smtp-port", defaultValue = "3025", description = "Default: ${DEFAULT-VALUE}.")
    int smtpPort;

    @Option(names = "--to", defaultValue = "support@example.test", description = "Default: ${DEFAULT-VALUE}.")
    String to;

    @Option(names = "--from", defaultValue = "customer@example.test", description = "Default: ${DEFAULT-VALUE}.")
    String from;

    @Option(names = "--subject", defaultValue = "Hello from the demo", description = "Default: '${DEFAULT-VALUE}'.")
    String subject;

    @Option(names = "--body", defaultValue = "Something is broken, please help.", description = "Default: '${DEFAULT-VALUE}'.")
    String body;

    @Option(names = "--count", defaultValue = "1", description = "How many mails (numbered when more than one; default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--eml", description = "Send this RFC 822 file's bytes as they are, 8-bit headers included "
            + "(only bare line ends become CRLF, as SMTP requires), instead of a mail made of --subject and --body. "
            + "--from and --to are then the envelope sender and recipient.")
    Path eml;

    @Override
    public Integer call() throws MessagingException, IOException {
        if (count < 1 || count > 10_000) {
            throw new IllegalArgumentException("--count must be between 1 and 10000, was " + count);
        }
        if (eml != null && count != 1) {
            throw new IllegalArgumentException("--eml sends its file once; leave out --count");
        }
        byte[] raw = eml == null ? null : Files.readAllBytes(eml); // a missing file fails before any connection
        Properties props = new Properties();
        props.setProperty("mail.smtp.connectiontimeout", "10000");
        props.setProperty("mail.smtp.timeout", "10000");
        props.setProperty("mail.smtp.writetimeout", "10000");
        props.setProperty("mail.smtp.from", from); // the envelope sender, whatever the From header says
        Session session = Session.getInstance(props);
        try (Transport transport = session.getTransport("smtp")) {
            transport.connect("127.0.0.1", smtpPort, null, null);
            if (raw != null) {
                transport.sendMessage(new RawMessage(session, raw), new Address[]{new InternetAddress(to)});
                spec.commandLine().getOut().println("sent " + eml + " (" + raw.length + " bytes) to " + to + " via 127.0.0.1:" + smtpPort);
                return 0;
            }
            for (int i = 1; i <= count; i++) {
                MimeMessage m = new MimeMessage(session);
                m.setFrom(new InternetAddress(from));
                m.setRecipient(Message.RecipientType.TO, new InternetAddress(to));
                m.setSubject(count == 1 ? subject : subject + " #" + i, "UTF-8");
                m.setSentDate(new Date());
                m.setText(body, "UTF-8");
                m.saveChanges();
                transport.sendMessage(m, m.getAllRecipients());
            }
        }
        spec.commandLine().getOut().println("sent " + count + " mail(s) to " + to + " via 127.0.0.1:" + smtpPort);
        return 0;
    }

    /**
     * A mail that writes the given bytes as its DATA. It is never parsed and never saved, so no MIME
     * library re-encodes a header on the way: the transport only dot-stuffs and turns bare line ends into CRLF.
     */
    private static final class RawMessage extends MimeMessage {
        private final byte[] raw;

        RawMessage(Session session, byte[] raw) {
            super(session);
            this.raw = raw;
        }

        @Override
        public void writeTo(OutputStream os, String[] ignoreList) throws IOException {
            os.write(raw);
        }

        @Override
        public int getSize() {
            return raw.length;
        }
    }
}
