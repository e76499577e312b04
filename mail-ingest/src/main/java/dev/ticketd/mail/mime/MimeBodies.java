package dev.ticketd.mail.mime;

import dev.ticketd.mail.MailAttachment;
import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.internet.ParseException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The body of a MIME message: its text, its HTML (sanitised here, so unsafe HTML never leaves this
 * class) and its attachments. One instance per message; not thread-safe.
 *
 * <p>Walks every multipart (alternative, mixed, related, anything else) depth first. An inline
 * text/plain or text/html part without a file name is body text; every other leaf is an attachment
 * (so TNEF {@code winmail.dat}, calendars and inline images are kept as sent). A nested
 * {@code message/rfc822} is kept whole as an attachment; its text is used only when the outer mail
 * has none. A broken multipart throws (the caller reports the mail as unreadable); a broken nested
 * mail only loses its text.
 */
public final class MimeBodies {

    /** The text, sanitised HTML (empty when none) and attachments of a message. */
    public record Bodies(String text, String html, List<MailAttachment> attachments) {
    }

    static final int MAX_DEPTH = 20;
    private static final Pattern MIME_TYPE = Pattern.compile("[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+");
    private static final Map<String, String> EXTENSIONS = Map.of("image/png", ".png", "image/jpeg", ".jpg",
            "image/gif", ".gif", "image/webp", ".webp", "application/pdf", ".pdf", "text/calendar", ".ics",
            "message/rfc822", ".eml", "text/plain", ".txt", "text/html", ".html");

    private final Session session;
    private final HtmlSanitizer sanitizer;
    private final List<String> plains = new ArrayList<>();
    private final List<String> htmls = new ArrayList<>();
    private final List<MailAttachment> attachments = new ArrayList<>();
    private Bodies nested;

    private MimeBodies(Session session, HtmlSanitizer sanitizer) {
        this.session = session;
        this.sanitizer = sanitizer;
    }

    public static Bodies read(Part message, Session session, HtmlSanitizer sanitizer) throws MessagingException, IOException {
        return read(message, session, sanitizer, 0);
    }

    private static Bodies read(Part message, Session session, HtmlSanitizer sanitizer, int depth) throws MessagingException, IOException {
        MimeBodies bodies = new MimeBodies(session, sanitizer);
        bodies.walk(message, depth);
        return bodies.result();
    }

    private Bodies result() {
        String text = String.join("\n\n", plains.stream().map(String::strip).filter(s -> !s.isEmpty()).toList());
        String html = htmls.isEmpty() ? "" : sanitizer.sanitize(String.join("\n", htmls));
        if (text.isEmpty() && !html.isEmpty()) {
            text = sanitizer.toText(html);
        }
        if (text.isEmpty() && html.isEmpty() && nested != null) {
            text = nested.text();
            html = nested.html();
        }
        return new Bodies(text, html, attachments);
    }

    private void walk(Part part, int depth) throws MessagingException, IOException {
        String type = baseType(part);
        if (type.startsWith("multipart/") && depth < MAX_DEPTH) {
            Object content = part.getContent();
            if (content instanceof Multipart multipart) {
                for (int i = 0; i < multipart.getCount(); i++) {
                    BodyPart child = multipart.getBodyPart(i);
                    walk(child, depth + 1);
                }
                return;
            }
        }
        if (type.equals("message/rfc822")) {
            byte[] bytes = bytesOf(part);
            attachments.add(new MailAttachment(filename(part, type, bytes), type, contentId(part), bytes));
            if (nested == null && depth < MAX_DEPTH) {
                try {
                    nested = read(new MimeMessage(session, new ByteArrayInputStream(bytes)), session, sanitizer, depth + 1);
                } catch (MessagingException | IOException | RuntimeException brokenInside) {
                    nested = null; // the forwarded mail stays an attachment; only its text is lost
                }
            }
            return;
        }
        if (!isAttachment(part, type)) {
            if (type.equals("text/plain")) {
                plains.add(textOf(part));
                return;
            }
            if (type.equals("text/html")) {
                htmls.add(textOf(part));
                return;
            }
        }
        byte[] bytes = bytesOf(part);
        attachments.add(new MailAttachment(filename(part, type, bytes), type, contentId(part), bytes));
    }

    private static boolean isAttachment(Part part, String type) throws MessagingException {
        String disposition = null;
        try {
            disposition = part.getDisposition();
        } catch (MessagingException unparseable) {
            // an unreadable Content-Disposition says nothing; decide by type and name
        }
        return Part.ATTACHMENT.equalsIgnoreCase(disposition) || rawFilename(part) != null
                || !(type.equals("text/plain") || type.equals("text/html"));
    }

    /** The lower-case base type; a missing one is text/plain (RFC 2045), an unreadable one octet-stream. */
    static String baseType(Part part) throws MessagingException {
        String header = part.getContentType();
        if (header == null || header.isBlank()) {
            return "text/plain";
        }
        try {
            return new ContentType(header).getBaseType().toLowerCase(Locale.ROOT);
        } catch (ParseException e) {
            String before = header.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
            return MIME_TYPE.matcher(before).matches() ? before : "application/octet-stream";
        }
    }

    private static String charsetOf(Part part) throws MessagingException {
        try {
            String header = part.getContentType();
            return header == null ? null : new ContentType(header).getParameter("charset");
        } catch (ParseException e) {
            return null;
        }
    }

    private static String textOf(Part part) throws MessagingException, IOException {
        return clean(Charsets.decode(bytesOf(part), charsetOf(part)));
    }

    /** The decoded bytes; with an unknown transfer encoding, the bytes as they are. */
    private static byte[] bytesOf(Part part) throws MessagingException, IOException {
        try (InputStream in = part.getInputStream()) {
            return in.readAllBytes();
        } catch (MessagingException | IOException unknownEncoding) {
            InputStream raw = part instanceof MimeBodyPart b ? b.getRawInputStream()
                    : part instanceof MimeMessage m ? m.getRawInputStream() : null;
            if (raw == null) {
                throw unknownEncoding;
            }
            try (raw) {
                return raw.readAllBytes();
            }
        }
    }

    private static String rawFilename(Part part) {
        try {
            String name = part.getFileName();
            return name == null || name.isBlank() ? null : name;
        } catch (MessagingException unparseable) {
            return null;
        }
    }

    /** The decoded file name (RFC 2231 by Jakarta Mail, RFC 2047 and raw 8-bit here), without a path. */
    private String filename(Part part, String type, byte[] bytes) {
        String name = rawFilename(part);
        if (name == null && type.equals("message/rfc822")) {
            name = subjectOf(bytes).map(s -> s + ".eml").orElse(null);
        }
        if (name != null) {
            name = clean(EncodedWords.decode(Charsets.fix8bit(name)));
            name = name.replaceAll("[\\p{Cntrl}]", "").replace('/', '_').replace('\\', '_').strip();
            while (name.startsWith(".")) {
                name = name.substring(1);
            }
            if (name.length() > 255) {
                name = name.substring(0, 255);
            }
        }
        if (name == null || name.isBlank()) {
            String base = type.startsWith("image/") ? "image" : type.equals("message/rfc822") ? "message" : "attachment";
            name = base + (attachments.size() + 1) + EXTENSIONS.getOrDefault(type, ".bin");
        }
        return name;
    }

    private Optional<String> subjectOf(byte[] bytes) {
        try {
            String[] subject = new MimeMessage(session, new ByteArrayInputStream(bytes)).getHeader("Subject");
            if (subject == null || subject[0].isBlank()) {
                return Optional.empty();
            }
            return Optional.of(EncodedWords.decode(Charsets.fix8bit(MimeUtility.unfold(subject[0]))).strip());
        } catch (MessagingException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> contentId(Part part) throws MessagingException {
        String[] values = part.getHeader("Content-ID");
        if (values == null) {
            return Optional.empty();
        }
        for (String v : values) {
            String id = clean(HtmlSanitizer.normalizeContentId(MimeUtility.unfold(v)));
            if (!id.isEmpty() && id.length() <= 998) {
                return Optional.of(id);
            }
        }
        return Optional.empty();
    }

    /** PostgreSQL text cannot hold NUL; a decoded header or body part may contain one. */
    static String clean(String s) {
        return s.indexOf('\u0000') < 0 ? s : s.replace("\u0000", "");
    }
}
