package dev.ticketd.mail.outbound;

import dev.ticketd.mail.TransportSecurity;
import jakarta.activation.DataHandler;
import jakarta.mail.Address;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.internet.ParseException;
import jakarta.mail.util.ByteArrayDataSource;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Supplier;

/**
 * One SMTP connection, opened on demand and reused for the mails of a batch. Jakarta Mail stays
 * inside this class. Not thread-safe: used by the sender's thread only.
 */
final class SmtpDelivery implements AutoCloseable {

    /** How a delivery ended. */
    sealed interface Result {
        record Sent(String smtpReply) implements Result {
        }

        /** Worth trying again later (the server is away, busy, says 4xx, refuses our login or sender). */
        record Transient(String error, boolean connectionLost) implements Result {
        }

        /** The server refused this mail for good (5xx for the recipient or the content). */
        record Permanent(String error) implements Result {
        }

        /**
         * The whole mail went to the server but its answer never came (a timeout or a dropped
         * connection after the data): the server may have accepted it. Sending it again at once
         * could deliver it twice, so it waits for the claim expiry like a send whose sender died.
         */
        record Uncertain(String error) implements Result {
        }
    }

    private final SmtpSettings settings;
    private final Session session;
    private final Supplier<Date> now;
    private Transport transport;
    /** Set once the current mail's data was written to the server; only its answer was then outstanding. */
    private boolean dataWritten;

    SmtpDelivery(SmtpSettings settings, Supplier<Date> now) {
        this.settings = settings;
        this.now = now;
        this.session = Session.getInstance(properties(settings));
    }

    static Properties properties(SmtpSettings s) {
        Properties p = new Properties();
        p.setProperty("mail.smtp.host", s.host());
        p.setProperty("mail.smtp.port", Integer.toString(s.port()));
        p.setProperty("mail.smtp.connectiontimeout", Long.toString(s.connectTimeout().toMillis()));
        p.setProperty("mail.smtp.timeout", Long.toString(s.readTimeout().toMillis()));
        p.setProperty("mail.smtp.writetimeout", Long.toString(s.writeTimeout().toMillis()));
        p.setProperty("mail.smtp.from", s.fromAddress());
        p.setProperty("mail.smtp.auth", Boolean.toString(s.authenticates()));
        if (s.security() == TransportSecurity.STARTTLS) {
            p.setProperty("mail.smtp.starttls.enable", "true");
            p.setProperty("mail.smtp.starttls.required", "true");
        }
        if (s.security() == TransportSecurity.TLS) {
            p.setProperty("mail.smtp.ssl.enable", "true");
        }
        if (s.security() != TransportSecurity.NONE) {
            p.setProperty("mail.smtp.ssl.checkserveridentity", "true");
        }
        return p;
    }

    Result deliver(OutboxRows.Claimed row) {
        MimeMessage message;
        InternetAddress to;
        try {
            to = new InternetAddress(row.to(), true);
            message = build(row);
        } catch (MessagingException | UnsupportedEncodingException e) {
            return new Result.Permanent("cannot build the mail: " + e.getMessage());
        }
        dataWritten = false;
        try {
            Transport t = connected();
            t.sendMessage(message, new Address[]{to});
            String reply = t instanceof SMTPTransport smtp ? smtp.getLastServerResponse() : null;
            return new Result.Sent(reply == null ? "" : reply.strip());
        } catch (MessagingException e) {
            close(); // the connection's state is unknown; the next mail starts on a fresh one
            if (dataWritten && !answered(e)) {
                return new Result.Uncertain(describe(e));
            }
            return classify(e);
        }
    }

    MimeMessage build(OutboxRows.Claimed row) throws MessagingException, UnsupportedEncodingException {
        String messageId = angle(row.messageId());
        MimeMessage m = new MimeMessage(session) {
            @Override
            protected void updateMessageID() throws MessagingException {
                setHeader("Message-ID", messageId); // stable: the same on every attempt
            }

            @Override
            public void writeTo(OutputStream os, String[] ignoreList) throws IOException, MessagingException {
                super.writeTo(os, ignoreList); // the transport writes the DATA this way
                dataWritten = true;
            }
        };
        m.setFrom(settings.fromName().isBlank() ? new InternetAddress(settings.fromAddress())
                : new InternetAddress(settings.fromAddress(), settings.fromName(), StandardCharsets.UTF_8.name()));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress(row.to()));
        m.setSubject(row.subject(), StandardCharsets.UTF_8.name());
        m.setSentDate(now.get());
        if (row.attachments().isEmpty()) {
            m.setText(row.body(), StandardCharsets.UTF_8.name());
        } else {
            MimeMultipart mixed = new MimeMultipart("mixed");
            MimeBodyPart text = new MimeBodyPart();
            text.setText(row.body(), StandardCharsets.UTF_8.name());
            mixed.addBodyPart(text);
            for (OutboxRows.Attachment a : row.attachments()) {
                mixed.addBodyPart(attachmentPart(a));
            }
            m.setContent(mixed);
        }
        if (row.inReplyTo().isPresent()) {
            m.setHeader("In-Reply-To", angle(row.inReplyTo().get()));
        }
        String references = row.references().or(row::inReplyTo).orElse(null);
        if (references != null && !references.isBlank()) {
            m.setHeader("References", MimeUtility.fold("References: ".length(), references.strip()));
        }
        if (row.automatic()) {
            // RFC 3834: an automatic answer says so, and asks Exchange-style responders not to answer it
            m.setHeader("Auto-Submitted", "auto-replied");
            m.setHeader("X-Auto-Response-Suppress", "All");
        } else if (row.notice()) {
            // a mail the desk writes by itself (an SLA digest to staff), answering nothing: RFC 3834's auto-generated
            m.setHeader("Auto-Submitted", "auto-generated");
            m.setHeader("X-Auto-Response-Suppress", "All");
        }
        m.saveChanges();
        return m;
    }

    /**
     * One file, base64 whatever its type, so that a text file's line ends arrive as stored; its
     * name as {@link AttachmentHeaders} writes it.
     */
    static MimeBodyPart attachmentPart(OutboxRows.Attachment a) throws MessagingException, UnsupportedEncodingException {
        String type;
        try {
            type = new ContentType(a.contentType()).getBaseType().toLowerCase(Locale.ROOT);
        } catch (ParseException e) {
            type = "application/octet-stream"; // stored types are checked; never fail a reply over one
        }
        MimeBodyPart part = new MimeBodyPart();
        part.setDataHandler(new DataHandler(new ByteArrayDataSource(a.content(), type)));
        // after setDataHandler, which drops these headers; saveChanges keeps them once set
        part.setHeader("Content-Type", AttachmentHeaders.contentType(type, a.filename()));
        part.setHeader("Content-Disposition", AttachmentHeaders.disposition(a.filename()));
        part.setHeader("Content-Transfer-Encoding", "base64");
        return part;
    }

    private Transport connected() throws MessagingException {
        if (transport == null || !transport.isConnected()) {
            close();
            Transport t = session.getTransport("smtp");
            if (settings.authenticates()) {
                t.connect(settings.host(), settings.port(), settings.user(), settings.password());
            } else {
                t.connect(settings.host(), settings.port(), null, null);
            }
            transport = t;
        }
        return transport;
    }

    /**
     * 5xx for the recipient or the message is permanent. Everything else is transient, including a
     * refused login or a refused sender: those are the configuration's fault, not the mail's, and
     * the mail must wait until an operator fixed it rather than be given up.
     */
    static Result classify(MessagingException e) {
        String error = describe(e);
        boolean connectionLost = true;
        for (Throwable t = e; t != null; t = next(t)) {
            if (t instanceof AuthenticationFailedException || t instanceof SMTPSenderFailedException) {
                return new Result.Transient(error, true);
            }
            if (t instanceof SMTPAddressFailedException a) {
                if (a.getReturnCode() >= 500) {
                    return new Result.Permanent(error);
                }
                connectionLost = false; // greylisted or busy recipient: the server itself is fine
            }
            if (t instanceof SMTPSendFailedException s) {
                if (s.getReturnCode() >= 500 && s.getReturnCode() < 600) {
                    return new Result.Permanent(error);
                }
                connectionLost = false;
            }
        }
        return new Result.Transient(error, connectionLost);
    }

    /** Whether the server gave an answer (a 4xx or 5xx code) rather than none at all. */
    static boolean answered(MessagingException e) {
        for (Throwable t = e; t != null; t = next(t)) {
            if (t instanceof SMTPSendFailedException s && s.getReturnCode() >= 400) {
                return true;
            }
            if (t instanceof SMTPAddressFailedException a && a.getReturnCode() >= 400) {
                return true;
            }
        }
        return false;
    }

    private static Throwable next(Throwable t) {
        if (t instanceof MessagingException m && m.getNextException() != null && m.getNextException() != t) {
            return m.getNextException();
        }
        return t.getCause() == t ? null : t.getCause();
    }

    private static String describe(MessagingException e) {
        StringBuilder s = new StringBuilder();
        int depth = 0;
        for (Throwable t = e; t != null && depth < 4; t = next(t), depth++) {
            if (depth > 0) {
                s.append(" <- ");
            }
            s.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage() == null ? "" : t.getMessage().strip());
            if (t instanceof SendFailedException sf && sf.getInvalidAddresses() != null && sf.getInvalidAddresses().length > 0
                    && depth == 0) {
                s.append(" (invalid recipients)");
            }
        }
        return s.length() > 2000 ? s.substring(0, 2000) : s.toString();
    }

    /** Message-IDs are stored with their angle brackets; tolerate a row that lacks them. */
    static String angle(String id) {
        String s = id.strip();
        return s.startsWith("<") ? s : "<" + s + ">";
    }

    @Override
    public void close() {
        Transport t = transport;
        transport = null;
        if (t != null) {
            try {
                t.close();
            } catch (MessagingException ignored) {
                // closing a broken connection: nothing left to release
            }
        }
    }
}
