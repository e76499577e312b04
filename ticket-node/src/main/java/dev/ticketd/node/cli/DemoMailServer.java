package dev.ticketd.node.cli;

import com.icegreen.greenmail.Managers;
import com.icegreen.greenmail.mail.MovingMessage;
import com.icegreen.greenmail.server.AbstractServer;
import com.icegreen.greenmail.server.ProtocolHandler;
import com.icegreen.greenmail.smtp.SmtpConnection;
import com.icegreen.greenmail.smtp.SmtpHandler;
import com.icegreen.greenmail.smtp.SmtpManager;
import com.icegreen.greenmail.smtp.SmtpServer;
import com.icegreen.greenmail.smtp.SmtpState;
import com.icegreen.greenmail.smtp.commands.SmtpCommand;
import com.icegreen.greenmail.smtp.commands.SmtpCommandRegistry;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Properties;

/**
 * The demo's in-process IMAP + SMTP server: GreenMail, except that mail received over SMTP is kept
 * byte for byte, as a production mail server keeps it.
 *
 * <p>Why: GreenMail's own DATA command reads the mail's bytes faithfully, then parses them with a
 * Jakarta Mail session that has {@code mail.mime.allowutf8=true}. That reads every header line as
 * UTF-8, so an 8-bit header that is not UTF-8 (a Latin-1 {@code Subject: Grüße} sent raw) becomes
 * U+FFFD before it is stored, and IMAP then serves the replacement characters. Here DATA parses the
 * same bytes with {@code allowutf8=false}: a header line is read one char per byte and written back
 * one byte per char, so the stored mail, and what IMAP serves, is what the client sent after the
 * {@code Return-Path} and {@code Received} lines that any receiving server puts on top. Valid UTF-8
 * header bytes come through unchanged either way. (GreenMail also drops the line end of the mail's
 * last line; that is put back too.)
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} once; the constructor does no I/O.
 */
final class DemoMailServer implements AutoCloseable {

    private final GreenMail greenMail;

    /** @param smtpPort and {@code imapPort}: 0 for any free port */
    DemoMailServer(String host, int smtpPort, int imapPort) {
        this.greenMail = new ByteKeepingGreenMail(new ServerSetup[]{
                new ServerSetup(smtpPort, host, ServerSetup.PROTOCOL_SMTP),
                new ServerSetup(imapPort, host, ServerSetup.PROTOCOL_IMAP)});
    }

    void start() {
        greenMail.start();
    }

    /** A mailbox whose IMAP login is its address. */
    void addUser(String address, String password) {
        greenMail.setUser(address, address, password);
    }

    int smtpPort() {
        return greenMail.getSmtp().getPort();
    }

    int imapPort() {
        return greenMail.getImap().getPort();
    }

    @Override
    public void close() {
        greenMail.stop();
    }

    /** Builds its services as GreenMail does, then swaps the SMTP server for one with {@link ByteKeepingData}. */
    private static final class ByteKeepingGreenMail extends GreenMail {

        ByteKeepingGreenMail(ServerSetup[] setups) {
            super(setups);
        }

        @Override
        protected Map<String, AbstractServer> createServices(ServerSetup[] setups, Managers managers) {
            Map<String, AbstractServer> services = super.createServices(setups, managers);
            // the replaced server was only constructed, never started: it holds no socket
            services.replaceAll((protocol, server) -> ServerSetup.PROTOCOL_SMTP.equals(protocol)
                    ? new ByteKeepingSmtpServer(server.getServerSetup(), managers) : server);
            return services;
        }
    }

    private static final class ByteKeepingSmtpServer extends SmtpServer {
        private final SmtpCommandRegistry commands = new ByteKeepingCommands();

        ByteKeepingSmtpServer(ServerSetup setup, Managers managers) {
            super(setup, managers);
        }

        @Override
        protected ProtocolHandler createProtocolHandler(Socket socket) {
            return new SmtpHandler(commands, managers.getSmtpManager(), socket);
        }
    }

    /** GreenMail's commands, with DATA replaced. Stateless, so one instance serves every connection. */
    private static final class ByteKeepingCommands extends SmtpCommandRegistry {
        private final SmtpCommand data = new ByteKeepingData();

        @Override
        public SmtpCommand getCommand(String name) {
            return "DATA".equals(name) ? data : super.getCommand(name);
        }
    }

    /** DATA that stores the received bytes as they are (see the class comment). Thread-safe. */
    private static final class ByteKeepingData extends SmtpCommand {
        private static final byte[] CRLF = {'\r', '\n'};
        private final Session bytesAsReceived;

        ByteKeepingData() {
            Properties p = new Properties();
            p.setProperty("mail.mime.allowutf8", "false"); // the default, stated: it is the whole point
            this.bytesAsReceived = Session.getInstance(p);
        }

        @Override
        public void execute(SmtpConnection conn, SmtpState state, SmtpManager manager, String commandLine) throws IOException {
            MovingMessage msg = state.getMessage();
            if (msg.getReturnPath() == null) {
                conn.send("503 MAIL command required");
                return;
            }
            if (msg.getToAddresses().isEmpty()) {
                conn.send("503 RCPT command(s) required");
                return;
            }
            conn.send("354 Start mail input; end with <CRLF>.<CRLF>");
            String trace = "Return-Path: <" + oneLine(msg.getReturnPath().getEmail()) + ">\r\n"
                    + "Received: from " + oneLine(conn.getHeloName()) + " ([" + conn.getClientAddress() + "])"
                    + " by ticketd-demo; " + DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now()) + "\r\n";
            // GreenMail's reader ends the data before the CRLF of "CRLF.CRLF", but that CRLF ends the
            // mail's last line (RFC 5321, 4.1.1.4): it is put back
            try (InputStream data = new SequenceInputStream(conn.dotLimitedInputStream(trace.getBytes(StandardCharsets.US_ASCII)),
                    new ByteArrayInputStream(CRLF))) {
                msg.setMimeMessage(new MimeMessage(bytesAsReceived, data));
            } catch (MessagingException e) {
                log.warn("demo SMTP: cannot read the mail: {}", e.toString());
                conn.send("554 Transaction failed: the mail cannot be read");
                state.clearMessage();
                return;
            }
            String refused = manager.checkData(state);
            if (refused != null) {
                conn.send(refused);
                return;
            }
            try {
                manager.send(state); // stored in every recipient's INBOX before the client hears 250
                conn.send("250 OK");
            } catch (RuntimeException e) {
                log.error("demo SMTP: cannot store the mail", e);
                conn.send("451 Requested action aborted: local error in processing");
            }
            state.clearMessage();
        }

        /** Header values built from SMTP commands: a line break would start a header of the client's choosing. */
        private static String oneLine(String value) {
            return String.valueOf(value).replace("\r", "").replace("\n", "");
        }
    }
}
