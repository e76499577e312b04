package dev.ticketd.mail.outbound;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * One plain-text mail sent at once over its own SMTP connection, for mail that is not a ticket's
 * (the self-watch's alerts to operations): no outbox, no retry here — the caller knows whether to
 * try again. The same connection settings, timeouts and TLS rules as the outbox's sender.
 */
public final class OneOffMail {

    private OneOffMail() {
    }

    /**
     * Sends {@code text} to every address of {@code to} in one SMTP transaction.
     *
     * @param headers extra headers (e.g. {@code Auto-Submitted}); values are plain ASCII
     * @throws MessagingException when the server could not be reached or refused the mail
     */
    public static void send(SmtpSettings settings, List<String> to, String subject, String text, Map<String, String> headers)
            throws MessagingException {
        send(settings, to, subject, text, headers, null);
    }

    /**
     * As {@link #send(SmtpSettings, List, String, String, Map)}, with the mail's own Message-ID.
     *
     * @param messageId the Message-ID ({@code <…@…>}), or null for one Jakarta Mail makes
     */
    public static void send(SmtpSettings settings, List<String> to, String subject, String text, Map<String, String> headers,
                            String messageId) throws MessagingException {
        Session session = Session.getInstance(SmtpDelivery.properties(settings));
        MimeMessage m = messageId == null ? new MimeMessage(session) : new MimeMessage(session) {
            @Override
            protected void updateMessageID() throws MessagingException {
                setHeader("Message-ID", messageId);
            }
        };
        try {
            m.setFrom(settings.fromName().isBlank() ? new InternetAddress(settings.fromAddress())
                    : new InternetAddress(settings.fromAddress(), settings.fromName(), StandardCharsets.UTF_8.name()));
        } catch (UnsupportedEncodingException e) {
            throw new AddressException("cannot encode the from name: " + e.getMessage());
        }
        Address[] recipients = new Address[to.size()];
        for (int i = 0; i < to.size(); i++) {
            recipients[i] = new InternetAddress(to.get(i), true);
        }
        m.setRecipients(MimeMessage.RecipientType.TO, recipients);
        m.setSubject(subject, StandardCharsets.UTF_8.name());
        m.setSentDate(new Date());
        for (Map.Entry<String, String> h : headers.entrySet()) {
            m.setHeader(h.getKey(), h.getValue());
        }
        m.setText(text, StandardCharsets.UTF_8.name());
        if (settings.authenticates()) {
            Transport.send(m, recipients, settings.user(), settings.password());
        } else {
            Transport.send(m, recipients);
        }
    }
}
