package dev.ticketd.mail.outbound;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A GreenMail SMTP server on a fixed loopback port that a test can stop and start again, and what
 * it received as raw RFC 822 bytes.
 */
final class SmtpServer implements AutoCloseable {

    private final int port;
    private GreenMail greenMail;

    private SmtpServer(int port) {
        this.port = port;
    }

    /** A server on a free port, not yet listening. */
    static SmtpServer onFreePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return new SmtpServer(s.getLocalPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static SmtpServer started() {
        SmtpServer s = onFreePort();
        s.start();
        return s;
    }

    int port() {
        return port;
    }

    synchronized void start() {
        greenMail = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        greenMail.start();
    }

    synchronized void stop() {
        if (greenMail != null) {
            greenMail.stop();
            greenMail = null;
        }
    }

    /** Every mail received since start, in order of arrival. */
    synchronized List<MimeMessage> received() {
        return greenMail == null ? List.of() : Arrays.asList(greenMail.getReceivedMessages());
    }

    /** The raw bytes of the mails received for {@code domain} since start, in order of arrival. */
    synchronized List<byte[]> receivedRawFor(String domain) {
        List<byte[]> out = new ArrayList<>();
        if (greenMail == null) {
            return out;
        }
        for (MimeMessage m : greenMail.getReceivedMessagesForDomain(domain)) {
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                m.writeTo(bytes);
                out.add(bytes.toByteArray());
            } catch (IOException | MessagingException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    @Override
    public void close() {
        stop();
    }
}
