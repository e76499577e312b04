package dev.ticketd.mail;

import dev.ticketd.mail.mime.Charsets;
import dev.ticketd.mail.mime.DeliveryReports;
import dev.ticketd.mail.mime.EncodedWords;
import dev.ticketd.mail.mime.HeaderSection;
import dev.ticketd.mail.mime.HtmlSanitizer;
import dev.ticketd.mail.mime.LenientHeaders;
import dev.ticketd.mail.mime.MimeBodies;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MailDateFormat;
import jakarta.mail.internet.MimeMessage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.text.ParsePosition;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns raw RFC 822 bytes into {@link ParsedMail}: a pure function, no I/O, thread-safe.
 *
 * <p>Headers are read leniently: raw 8-bit header bytes are taken as UTF-8 when valid, else as
 * windows-1252; RFC 2047 encoded words in any charset the JDK knows (with the same fallback for
 * unknown ones); of duplicate Message-ID, Date or From headers the first usable one wins; a missing
 * Date or Message-ID is simply absent. The body is read by {@link MimeBodies}, which sanitises any
 * HTML, so a {@link ParsedMail} never carries HTML as it arrived.
 *
 * <p>A mail that cannot be read (no sender address anyone could read, a MIME structure even the
 * lenient reading cannot follow) yields {@link ParseResult.Failed} with a reason in plain words for
 * staff, any technical detail short and last; it never throws, so one bad mail never stops the others.
 *
 * <p>Every header value is capped before it is unfolded or decoded ({@link #MAX_HEADER_VALUE}), the
 * subject and display name after ({@link #MAX_SUBJECT}, {@link #MAX_DISPLAY_NAME}), and the text
 * body by {@link MimeBodies}; no pattern here can backtrack.
 */
public final class MailParser {

    /** The longest address the schema stores (RFC 5321 allows 254 in practice; 320 in theory). */
    static final int MAX_ADDRESS_LENGTH = 320;
    /** References beyond this many (the newest are kept) add nothing to threading. */
    static final int MAX_REFERENCES = 100;
    /**
     * Every header value is cut to this many chars before it is unfolded or decoded, so no header makes
     * the work grow past it (a real one, even a long References, fits well below).
     */
    static final int MAX_HEADER_VALUE = 16 * 1024;
    /** The longest subject kept: more is no subject a person reads, and it is in the original mail. */
    static final int MAX_SUBJECT = 1000;
    /** The longest sender's display name kept. */
    static final int MAX_DISPLAY_NAME = 200;
    /** The longest technical detail a quarantine reason ends with (the sentence before it is short). */
    static final int MAX_DETAIL = 150;

    static final String NO_SENDER = "The mail has no sender address we can read";
    static final String BROKEN_MIME = "The mail's MIME structure is broken";
    private static final Pattern MSG_ID = Pattern.compile("<[^<>\\s]+>");

    static {
        MailStreams.named();
    }

    private final Session session;
    private final HtmlSanitizer sanitizer = new HtmlSanitizer();

    public MailParser() {
        Properties props = new Properties();
        // a multipart without its end boundary ends where the mail does; one without parts is read
        // by MimeBodies as the text it holds
        props.setProperty("mail.mime.multipart.ignoremissingendboundary", "true");
        props.setProperty("mail.mime.multipart.allowempty", "false");
        props.setProperty("mail.mime.address.strict", "false");
        // lenient about what customers' mail programs get wrong
        props.setProperty("mail.mime.base64.ignoreerrors", "true");
        props.setProperty("mail.mime.decodeparameters", "true");
        props.setProperty("mail.mime.parameters.strict", "false");
        this.session = Session.getInstance(props);
    }

    public ParseResult parse(byte[] raw) {
        try {
            MimeMessage message = new MimeMessage(session, new ByteArrayInputStream(HeaderSection.repair(raw)));
            Optional<Sender> from = sender(message, "From").or(() -> sender(message, "Sender"));
            if (from.isEmpty()) {
                return new ParseResult.Failed(NO_SENDER);
            }
            if (from.get().address().length() > MAX_ADDRESS_LENGTH) {
                return new ParseResult.Failed("The sender's address is longer than " + MAX_ADDRESS_LENGTH
                        + " characters, more than we can store");
            }
            String subject = cut(headerText(message, "Subject").map(String::strip).orElse(""), MAX_SUBJECT);
            Optional<String> messageId = messageIds(message, "Message-ID").stream().findFirst()
                    .or(() -> firstHeader(message, "Message-ID").map(String::strip).filter(id -> !id.isEmpty() && id.length() <= 998));
            Optional<String> inReplyTo = messageIds(message, "In-Reply-To").stream().findFirst();
            List<String> references = messageIds(message, "References");
            if (references.size() > MAX_REFERENCES) {
                references = references.subList(references.size() - MAX_REFERENCES, references.size());
            }
            MimeBodies.Bodies bodies = MimeBodies.read(message, session, sanitizer);
            String name = cut(clean(EncodedWords.decode(from.get().name())).strip(), MAX_DISPLAY_NAME);
            return new ParseResult.Parsed(new ParsedMail(from.get().address().toLowerCase(Locale.ROOT), name, subject,
                    sentAt(message), messageId, clean(bodies.text()),
                    bodies.html().isEmpty() ? Optional.empty() : Optional.of(clean(bodies.html())),
                    bodies.attachments(), inReplyTo, references, loopHeaders(message), DeliveryReports.read(message)));
        } catch (MessagingException | IOException | RuntimeException e) {
            return new ParseResult.Failed(BROKEN_MIME + ": " + detail(e));
        }
    }

    /** The exception's own words, short, for whoever looks deeper; the sentence before them is for staff. */
    private static String detail(Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return cut(message.replaceAll("\\s+", " ").strip(), MAX_DETAIL);
    }

    /** At most {@code max} chars; a cut one ends with an ellipsis, so a reader sees there was more. */
    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1).strip() + "…";
    }

    /** The RFC 3834 signals (and the common non-standard ones) of an automatic or list mail. */
    private static ParsedMail.LoopHeaders loopHeaders(MimeMessage message) {
        boolean report;
        try {
            String type = message.getContentType();
            report = type != null && type.strip().toLowerCase(Locale.ROOT).startsWith("multipart/report");
        } catch (MessagingException e) {
            report = false;
        }
        return new ParsedMail.LoopHeaders(
                firstHeader(message, "Auto-Submitted").orElse(""),
                firstHeader(message, "Precedence").orElse(""),
                firstHeader(message, "List-Id").orElse(""),
                firstHeader(message, "Return-Path"),
                String.join(",", allHeaders(message, "X-Auto-Response-Suppress")),
                firstHeader(message, "X-Autoreply").isPresent() || firstHeader(message, "X-Autorespond").isPresent(),
                report);
    }

    /** PostgreSQL text cannot hold NUL; a decoded header or body part may contain one. */
    private static String clean(String s) {
        return s.indexOf('\u0000') < 0 ? s : s.replace("\u0000", "");
    }

    /** The raw value of the first such header, unfolded and with raw 8-bit bytes decoded. */
    private static Optional<String> firstHeader(MimeMessage message, String name) {
        return allHeaders(message, name).stream().findFirst();
    }

    private static List<String> allHeaders(MimeMessage message, String name) {
        try {
            String[] values = message.getHeader(name);
            if (values == null) {
                return List.of();
            }
            List<String> out = new ArrayList<>(values.length);
            for (String v : values) {
                String capped = v.length() <= MAX_HEADER_VALUE ? v : v.substring(0, MAX_HEADER_VALUE);
                out.add(clean(Charsets.fix8bit(LenientHeaders.unfold(capped))));
            }
            return out;
        } catch (MessagingException e) {
            return List.of();
        }
    }

    private static Optional<String> headerText(MimeMessage message, String name) {
        return firstHeader(message, name).map(v -> clean(EncodedWords.decode(v)));
    }

    /** Every {@code <id>} in the first such header that has one. */
    private static List<String> messageIds(MimeMessage message, String name) {
        for (String value : allHeaders(message, name)) {
            List<String> ids = new ArrayList<>();
            Matcher m = MSG_ID.matcher(value);
            while (m.find()) {
                if (m.group().length() <= 998 && !ids.contains(m.group())) {
                    ids.add(m.group());
                }
            }
            if (!ids.isEmpty()) {
                return ids;
            }
        }
        return List.of();
    }

    /** The first Date header that parses; none is fine (the mail simply has no sent time). */
    private static Optional<OffsetDateTime> sentAt(MimeMessage message) {
        for (String value : allHeaders(message, "Date")) {
            Date date = new MailDateFormat().parse(value.strip(), new ParsePosition(0));
            if (date != null) {
                OffsetDateTime at = date.toInstant().atOffset(ZoneOffset.UTC);
                // PostgreSQL timestamptz holds years 4713 BC to 294276 AD; a silly year is no date
                if (at.getYear() >= 1970 && at.getYear() <= 9999) {
                    return Optional.of(at);
                }
            }
        }
        return Optional.empty();
    }

    /** A sender: the address as found, and the display name as it stands in the header (maybe encoded). */
    record Sender(String address, String name) {
    }

    /**
     * The first usable address of the first such header that has one: as Jakarta Mail reads it, else as
     * {@link LenientAddress} finds it (comments, unquoted names, obsolete syntax that Jakarta refuses
     * but every mail program shows).
     */
    private static Optional<Sender> sender(MimeMessage message, String header) {
        for (String value : allHeaders(message, header)) {
            try {
                InternetAddress[] parsed = LenientAddress.closed(value)
                        ? InternetAddress.parseHeader(value, false) : new InternetAddress[0];
                for (InternetAddress ia : parsed) {
                    if (ia.getAddress() != null && ia.getAddress().contains("@")) {
                        ia.validate();
                        return Optional.of(new Sender(ia.getAddress(), ia.getPersonal() == null ? "" : ia.getPersonal()));
                    }
                }
            } catch (AddressException refused) {
                // read below, leniently
            }
            Optional<Sender> lenient = LenientAddress.first(value);
            if (lenient.isPresent()) {
                return lenient;
            }
        }
        return Optional.empty();
    }
}
