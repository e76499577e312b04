package dev.ticketd.mail.mime;

import dev.ticketd.mail.MailAttachment;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.ParseException;
import jakarta.mail.util.ByteArrayDataSource;

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
 * <p>Walks every multipart depth first and reads it as a mail program shows it: of a
 * {@code multipart/alternative} one text and one HTML version; of any other multipart (mixed, related,
 * ...) every text part, in order, so plain and HTML siblings of a {@code multipart/mixed} are all in the
 * text. An inline text/plain or text/html part is body text; every other leaf is an attachment (so TNEF
 * {@code winmail.dat}, calendars and inline images are kept as sent). A nested {@code message/rfc822}
 * is kept whole as an attachment; its text is used only when the outer mail has none. The children of
 * a {@code multipart/digest} are such messages (RFC 2046 5.1.5), each an attachment.
 *
 * <p>Lenient about structure: a multipart whose boundary never comes, whose body is empty, or whose
 * Content-Type cannot be read (Outlook Express's unquoted {@code boundary=----=_NextPart...}) yields
 * the text it holds instead of failing; {@code Content-Type: text} without a subtype is text/plain.
 * Attachment names lose direction overrides (bidi controls), as reply attachments' do.
 */
public final class MimeBodies {

    /** The text, sanitised HTML (empty when none) and attachments of a message. */
    public record Bodies(String text, String html, List<MailAttachment> attachments) {
    }

    /** One piece of body text: a plain version, an HTML version, or both when they are alternatives. */
    private record Piece(String plain, String html) {
    }

    static final int MAX_DEPTH = 20;
    /**
     * The most text a mail's body yields (in chars, about 1 MB): more is no message a person reads on
     * screen, and the whole mail stays in the original for whoever needs it.
     */
    static final int MAX_TEXT = 1_000_000;
    static final String CUT_NOTE = "\n\n(the rest of this text is in the original mail)";
    /**
     * The most of a raw file name (or a forwarded mail's subject, which names it) that is decoded: a
     * name is cut to 255 chars anyway, and encoded words take at most a few times the room of their text.
     */
    private static final int MAX_NAME_SOURCE = 4 * 1024;
    private static final Pattern MIME_TYPE = Pattern.compile("[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+");
    private static final Map<String, String> EXTENSIONS = Map.of("image/png", ".png", "image/jpeg", ".jpg",
            "image/gif", ".gif", "image/webp", ".webp", "application/pdf", ".pdf", "text/calendar", ".ics",
            "message/rfc822", ".eml", "text/plain", ".txt", "text/html", ".html");

    private final Session session;
    private final HtmlSanitizer sanitizer;
    /** The body's text in the order of the mail: each piece a plain text, an HTML text, or both (one alternative). */
    private final List<Piece> pieces = new ArrayList<>();
    /** Attachments found before this walk began (by the walk of an enclosing alternative), for default names. */
    private int attachmentsBefore;
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
        boolean anyHtml = pieces.stream().anyMatch(p -> p.html() != null);
        List<String> texts = new ArrayList<>();
        List<String> htmlParts = new ArrayList<>();
        for (Piece piece : pieces) {
            String plain = piece.plain() != null ? piece.plain().strip()
                    : sanitizer.toText(sanitizer.sanitize(piece.html())).strip();
            if (!plain.isEmpty()) {
                texts.add(plain);
            }
            if (anyHtml) {
                // a plain part beside HTML ones (siblings in a mixed) is shown in the HTML view too
                htmlParts.add(piece.html() != null ? piece.html() : "<pre>" + escape(piece.plain()) + "</pre>");
            }
        }
        String text = capped(String.join("\n\n", texts));
        String html = htmlParts.isEmpty() ? "" : sanitizer.sanitize(String.join("\n", htmlParts));
        if (text.isEmpty() && html.isEmpty() && nested != null) {
            text = nested.text();
            html = nested.html();
        }
        return new Bodies(text, html, attachments);
    }

    private static String capped(String value, int max) {
        return value.length() <= max ? value : value.substring(0, max);
    }

    private static String capped(String text) {
        return text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT) + CUT_NOTE;
    }

    private static String escape(String plain) {
        StringBuilder out = new StringBuilder(plain.length() + 16);
        for (int i = 0; i < plain.length(); i++) {
            char c = plain.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private void walk(Part part, int depth) throws MessagingException, IOException {
        walk(part, depth, "text/plain");
    }

    /** @param defaultType the type of a part without Content-Type: message/rfc822 in a digest, else text/plain */
    private void walk(Part part, int depth, String defaultType) throws MessagingException, IOException {
        LenientHeaders.capStructureHeaders(part);
        String type = part.getHeader("Content-Type") == null ? defaultType : baseType(part);
        if (type.startsWith("multipart/") && depth < MAX_DEPTH) {
            Optional<Multipart> multipart = multipartOf(part);
            if (multipart.isEmpty()) {
                // no part boundary ever comes (or the body is empty): the text is what the body holds
                pieces.add(new Piece(textOf(part), null));
                return;
            }
            Multipart children = multipart.get();
            if (type.equals("multipart/alternative")) {
                walkAlternative(children, depth);
                return;
            }
            String childDefault = type.equals("multipart/digest") ? "message/rfc822" : "text/plain";
            int attachedBefore = attachments.size();
            for (int i = 0; i < children.getCount(); i++) {
                walk(children.getBodyPart(i), depth + 1, childDefault);
            }
            if (type.equals("multipart/digest")) {
                List<String> names = attachments.subList(attachedBefore, attachments.size()).stream()
                        .map(MailAttachment::filename).toList();
                pieces.add(new Piece("(A digest of " + names.size() + (names.size() == 1 ? " message" : " messages")
                        + (names.isEmpty() ? "" : ", attached: " + String.join(", ", names)) + ".)", null));
            }
            return;
        }
        if (type.equals("message/rfc822")) {
            byte[] bytes = bytesOf(part);
            attachments.add(new MailAttachment(filename(part, type, bytes), type, contentId(part), bytes));
            if (nested == null && depth < MAX_DEPTH) {
                try {
                    nested = read(new MimeMessage(session, new ByteArrayInputStream(HeaderSection.repair(bytes))),
                            session, sanitizer, depth + 1);
                } catch (MessagingException | IOException | RuntimeException brokenInside) {
                    nested = null; // the forwarded mail stays an attachment; only its text is lost
                }
            }
            return;
        }
        boolean text = type.equals("text/plain") || type.equals("text/html");
        if (text && !Part.ATTACHMENT.equalsIgnoreCase(disposition(part))) {
            String content = textOf(part);
            pieces.add(type.equals("text/plain") ? new Piece(content, null) : new Piece(null, content));
            // A named inline text part is both: mail programs show it in place, and the name says the
            // sender attached a file (Apple Mail's dragged-in notes.txt, a log sent as a file), so
            // staff can also download it as sent. Without a name it is only the body.
            if (rawFilename(part) == null) {
                return;
            }
        }
        byte[] bytes = bytesOf(part);
        attachments.add(new MailAttachment(filename(part, type, bytes), type, contentId(part), bytes));
    }

    /**
     * One version of an alternative as text (the first with plain text: senders put the plain one
     * first, RFC 2046 5.1.4) and one as HTML (the last with HTML). Attachments inside are kept.
     */
    private void walkAlternative(Multipart alternative, int depth) throws MessagingException, IOException {
        String plain = null;
        String html = null;
        for (int i = 0; i < alternative.getCount(); i++) {
            MimeBodies version = new MimeBodies(session, sanitizer);
            version.attachmentsBefore = attachmentsBefore + attachments.size();
            version.walk(alternative.getBodyPart(i), depth + 1, "text/plain");
            attachments.addAll(version.attachments);
            if (nested == null) {
                nested = version.nested;
            }
            List<String> plains = version.pieces.stream().map(Piece::plain).filter(p -> p != null && !p.isBlank()).toList();
            List<String> htmls = version.pieces.stream().map(Piece::html).filter(h -> h != null).toList();
            if (plain == null && !plains.isEmpty()) {
                plain = String.join("\n\n", plains);
            }
            if (!htmls.isEmpty()) {
                html = String.join("\n", htmls);
            }
        }
        if (plain != null || html != null) {
            pieces.add(new Piece(plain, html));
        }
    }

    /**
     * The parts of a multipart, or empty when it has none that can be read. A Content-Type Jakarta Mail
     * cannot parse (an unquoted boundary with '=' in it) is read again with the boundary found by a
     * plain scan.
     */
    private static Optional<Multipart> multipartOf(Part part) throws MessagingException, IOException {
        try {
            if (part.getContent() instanceof Multipart multipart) {
                multipart.getCount(); // parses: a boundary that never comes throws here, not while walking
                return Optional.of(multipart);
            }
            return Optional.empty();
        } catch (MessagingException | IOException | RuntimeException unreadable) {
            String boundary = LenientHeaders.parameterOf(part.getHeader("Content-Type")[0], "boundary");
            if (boundary == null) {
                return Optional.empty();
            }
            try {
                MimeMultipart multipart = new MimeMultipart(new ByteArrayDataSource(rawBytesOf(part),
                        "multipart/mixed; boundary=\"" + boundary + "\""));
                multipart.getCount();
                return Optional.of(multipart);
            } catch (MessagingException | RuntimeException stillUnreadable) {
                return Optional.empty();
            }
        }
    }

    /** The disposition's first word, even when the rest of the header cannot be parsed; null when none. */
    private static String disposition(Part part) throws MessagingException {
        try {
            return part.getDisposition();
        } catch (MessagingException unparseable) {
            String[] raw = part.getHeader("Content-Disposition");
            return raw == null ? null : raw[0].split(";", 2)[0].strip();
        }
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
            if (before.equals("text")) {
                return "text/plain"; // "Content-Type: text" of old mail programs: text/plain is what they mean
            }
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

    /**
     * The file name as Jakarta Mail reads it, or, when it cannot (raw 8-bit bytes) or cuts it (an
     * unquoted name with spaces), as a plain scan of Content-Disposition's filename and Content-Type's
     * name finds it.
     */
    private static String rawFilename(Part part) {
        String name;
        try {
            name = part.getFileName();
        } catch (MessagingException | RuntimeException unparseable) {
            name = null;
        }
        try {
            String[] disposition = part.getHeader("Content-Disposition");
            String[] type = part.getHeader("Content-Type");
            String scanned = disposition == null ? null : LenientHeaders.parameterOf(disposition[0], "filename");
            if (scanned == null && type != null) {
                scanned = LenientHeaders.parameterOf(type[0], "name");
            }
            // Jakarta Mail cuts an unquoted name at its first space ("name=This is a test.txt" gives "This")
            if (scanned != null && (name == null || name.isBlank() || scanned.startsWith(name) && scanned.length() > name.length())) {
                name = scanned;
            }
        } catch (MessagingException unreadable) {
            return name == null || name.isBlank() ? null : name;
        }
        return name == null || name.isBlank() ? null : name;
    }

    /** The body as it is in the mail, transfer encoding and all. */
    private static byte[] rawBytesOf(Part part) throws MessagingException, IOException {
        InputStream raw = part instanceof MimeBodyPart b ? b.getRawInputStream()
                : part instanceof MimeMessage m ? m.getRawInputStream() : part.getInputStream();
        try (raw) {
            return raw.readAllBytes();
        }
    }

    /** The decoded file name (RFC 2231 by Jakarta Mail, RFC 2047 and raw 8-bit here), without a path. */
    private String filename(Part part, String type, byte[] bytes) {
        String name = rawFilename(part);
        if (name == null && type.equals("message/rfc822")) {
            name = subjectOf(bytes).map(s -> s + ".eml").orElse(null);
        }
        if (name != null) {
            name = clean(EncodedWords.decode(Charsets.fix8bit(capped(name, MAX_NAME_SOURCE))));
            name = LenientHeaders.withoutControls(name).replace('/', '_').replace('\\', '_').strip();
            while (name.startsWith(".")) {
                name = name.substring(1);
            }
            if (name.length() > 255) {
                name = name.substring(0, 255);
            }
        }
        if (name == null || name.isBlank()) {
            String base = type.startsWith("image/") ? "image" : type.equals("message/rfc822") ? "message" : "attachment";
            name = base + (attachmentsBefore + attachments.size() + 1) + EXTENSIONS.getOrDefault(type, ".bin");
        }
        return name;
    }

    private Optional<String> subjectOf(byte[] bytes) {
        try {
            String[] subject = new MimeMessage(session, new ByteArrayInputStream(bytes)).getHeader("Subject");
            if (subject == null || subject[0].isBlank()) {
                return Optional.empty();
            }
            return Optional.of(EncodedWords.decode(Charsets.fix8bit(LenientHeaders.unfold(capped(subject[0], MAX_NAME_SOURCE)))).strip());
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
            String id = clean(HtmlSanitizer.normalizeContentId(LenientHeaders.unfold(v)));
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
