package dev.ticketd.mail;

import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.jsoup.Jsoup;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/**
 * Turns raw RFC 822 bytes into {@link ParsedMail}: a pure function, no I/O, thread-safe.
 *
 * <p>A mail that cannot be read (no usable From address, a broken MIME structure) yields
 * {@link ParseResult.Failed} with a reason a person can act on; it never throws, so one bad mail
 * never stops the others.
 */
public final class MailParser {

    /** The longest address the schema stores (RFC 5321 allows 254 in practice; 320 in theory). */
    static final int MAX_ADDRESS_LENGTH = 320;

    private final Session session;

    public MailParser() {
        Properties props = new Properties();
        // be strict about structure we depend on: a multipart without its boundary is broken
        props.setProperty("mail.mime.multipart.ignoremissingendboundary", "true");
        props.setProperty("mail.mime.multipart.allowempty", "false");
        props.setProperty("mail.mime.address.strict", "false");
        this.session = Session.getInstance(props);
    }

    public ParseResult parse(byte[] raw) {
        try {
            MimeMessage message = new MimeMessage(session, new ByteArrayInputStream(raw));
            InternetAddress from = sender(message);
            if (from == null) {
                return new ParseResult.Failed("no valid From address");
            }
            if (from.getAddress().length() > MAX_ADDRESS_LENGTH) {
                return new ParseResult.Failed("From address longer than " + MAX_ADDRESS_LENGTH + " characters");
            }
            String subject = Optional.ofNullable(message.getSubject()).map(MailParser::clean).map(String::strip).orElse("");
            Optional<OffsetDateTime> sentAt = Optional.ofNullable(message.getSentDate())
                    .map(Date::toInstant).map(i -> i.atOffset(ZoneOffset.UTC));
            Optional<String> messageId = Optional.ofNullable(message.getMessageID()).map(MailParser::clean).map(String::strip)
                    .filter(id -> !id.isEmpty() && id.length() <= 998);
            String text = clean(textOf(message));
            String name = from.getPersonal() == null ? "" : clean(from.getPersonal()).strip();
            return new ParseResult.Parsed(new ParsedMail(from.getAddress().toLowerCase(Locale.ROOT), name, subject,
                    sentAt, messageId, text));
        } catch (MessagingException | IOException | RuntimeException e) {
            return new ParseResult.Failed("unreadable MIME structure: " + e.getMessage());
        }
    }

    /** PostgreSQL text cannot hold NUL; a decoded header or body part may contain one. */
    private static String clean(String s) {
        return s.indexOf('\u0000') < 0 ? s : s.replace("\u0000", "");
    }

    private static InternetAddress sender(MimeMessage message) {
        try {
            var addresses = message.getFrom();
            if (addresses == null) {
                return null;
            }
            for (var a : addresses) {
                if (a instanceof InternetAddress ia && ia.getAddress() != null && ia.getAddress().contains("@")) {
                    ia.validate();
                    return ia;
                }
            }
            return null;
        } catch (MessagingException e) { // includes AddressException: an unusable From is no From
            return null;
        }
    }

    /** The first text/plain part, else the first text/html part as text, else empty. */
    private static String textOf(Part part) throws MessagingException, IOException {
        String plain = find(part, "text/plain");
        if (plain != null) {
            return plain;
        }
        String html = find(part, "text/html");
        return html == null ? "" : Jsoup.parse(html).wholeText().strip();
    }

    private static String find(Part part, String mimeType) throws MessagingException, IOException {
        if (part.isMimeType(mimeType) && !Part.ATTACHMENT.equalsIgnoreCase(part.getDisposition())) {
            return decode(part);
        }
        if (part.isMimeType("multipart/*")) {
            Multipart multipart = (Multipart) part.getContent();
            for (int i = 0; i < multipart.getCount(); i++) {
                BodyPart child = multipart.getBodyPart(i);
                String found = find(child, mimeType);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** Decodes a text part; a charset the JDK does not know falls back to UTF-8 instead of failing. */
    private static String decode(Part part) throws MessagingException, IOException {
        try {
            Object content = part.getContent();
            if (content instanceof String s) {
                return s;
            }
        } catch (UnsupportedEncodingException unknownCharset) {
            // fall through to the lenient decoding below
        }
        try (InputStream in = part.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
