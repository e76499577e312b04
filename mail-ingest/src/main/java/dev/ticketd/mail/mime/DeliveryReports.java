package dev.ticketd.mail.mime;

import dev.ticketd.mail.Bounce;
import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.ParseException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises a delivery status notification (RFC 3464, and its internationalised form, RFC 6533): a
 * {@code multipart/report} (the mail itself, or a {@code message/rfc822} part of it: see
 * {@link #read(Part)}) with {@code report-type=delivery-status} that has a
 * {@code message/delivery-status} (or {@code message/global-delivery-status}) part. Other reports (read
 * receipts: {@code report-type=disposition-notification}, feedback reports, ...) are no bounces. The
 * reported mail's Message-ID is read from the returned headers: a {@code message/rfc822},
 * {@code text/rfc822-headers} or {@code message/global(-headers)} part.
 *
 * <p>Lenient: a field it cannot read is empty, never an error. Pure and thread-safe.
 */
public final class DeliveryReports {

    static final int MAX_RECIPIENTS = 100;
    static final int MAX_FIELD = 1000;
    private static final Pattern MSG_ID = Pattern.compile("<[^<>\\s]+>");
    private static final Pattern STATUS_CODE = Pattern.compile("\\b[245]\\.\\d{1,3}\\.\\d{1,3}\\b");
    private static final Pattern REPORT_TYPE = Pattern.compile("(?i)report-type\\s*=\\s*\"?([a-z0-9-]+)");

    private DeliveryReports() {
    }

    /**
     * The bounce this message is, or empty when it is no delivery status notification. A message that
     * is no report itself but carries one as a {@code message/rfc822} part (a forwarding rule or a
     * person forwarded the bounce as an attachment; up to {@value #MAX_NESTING} levels deep) yields that
     * report, marked {@link Bounce#nested()}: the caller decides whether it counts.
     */
    public static Optional<Bounce> read(Part message) {
        return read(message, 0);
    }

    static final int MAX_NESTING = 3;
    /** Parts of one multipart looked at for a nested report; a mail with more is not searched further. */
    static final int MAX_PARTS = 100;

    private static Optional<Bounce> read(Part message, int depth) {
        Optional<Bounce> top = readTopLevel(message);
        if (top.isPresent() || depth >= MAX_NESTING) {
            return depth == 0 ? top : top.map(Bounce::asNested);
        }
        return nestedIn(message, depth, 0);
    }

    /**
     * The first report found in a {@code message/rfc822} part of a multipart message, depth first.
     * {@code levels} counts the multiparts around this one within the same message: like the body's
     * walk, the search goes at most {@link MimeBodies#MAX_DEPTH} deep, so a mail of thousands of nested
     * multiparts costs as much as one of twenty (each level parses all of what it holds) and cannot
     * overflow the stack.
     */
    private static Optional<Bounce> nestedIn(Part message, int depth, int levels) {
        try {
            if (levels >= MimeBodies.MAX_DEPTH || !MimeBodies.baseType(message).startsWith("multipart/")
                    || !(message.getContent() instanceof Multipart multipart)) {
                return Optional.empty();
            }
            for (int i = 0; i < multipart.getCount() && i < MAX_PARTS; i++) {
                BodyPart part = multipart.getBodyPart(i);
                String type = MimeBodies.baseType(part);
                Optional<Bounce> found = Optional.empty();
                if (type.equals("message/rfc822") && part.getContent() instanceof Part inner) {
                    found = read(inner, depth + 1);
                } else if (type.startsWith("multipart/")) {
                    found = nestedIn(part, depth + 1, levels + 1);
                }
                if (found.isPresent()) {
                    return found.map(Bounce::asNested);
                }
            }
            return Optional.empty();
        } catch (MessagingException | IOException | RuntimeException unreadable) {
            return Optional.empty();
        }
    }

    private static Optional<Bounce> readTopLevel(Part message) {
        try {
            if (!MimeBodies.baseType(message).equals("multipart/report") || !isDeliveryStatus(message.getContentType())) {
                return Optional.empty();
            }
            if (!(message.getContent() instanceof Multipart multipart)) {
                return Optional.empty();
            }
            String status = null;
            Optional<String> originalId = Optional.empty();
            for (int i = 0; i < multipart.getCount(); i++) {
                BodyPart part = multipart.getBodyPart(i);
                String type = MimeBodies.baseType(part);
                switch (type) {
                    case "message/delivery-status", "message/global-delivery-status" -> {
                        if (status == null) {
                            status = new String(bytesOf(part), StandardCharsets.UTF_8);
                        }
                    }
                    case "message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers" -> {
                        if (originalId.isEmpty()) {
                            originalId = messageIdOf(bytesOf(part));
                        }
                    }
                    default -> {
                        // the human-readable part is the mail's text body; anything else is an attachment
                    }
                }
            }
            if (status == null) {
                return Optional.empty();
            }
            return Optional.of(parse(status, originalId));
        } catch (MessagingException | IOException | RuntimeException unreadable) {
            return Optional.empty(); // the mail is still read as an ordinary one
        }
    }

    private static boolean isDeliveryStatus(String contentType) {
        if (contentType == null) {
            return false;
        }
        String reportType;
        try {
            reportType = new ContentType(contentType).getParameter("report-type");
        } catch (ParseException e) {
            Matcher m = REPORT_TYPE.matcher(contentType);
            reportType = m.find() ? m.group(1) : null;
        }
        return reportType != null && reportType.strip().equalsIgnoreCase("delivery-status");
    }

    /** The fields of a {@code message/delivery-status} body: per-message fields, then one group per recipient. */
    static Bounce parse(String deliveryStatus, Optional<String> originalId) {
        List<Map<String, String>> groups = groups(deliveryStatus);
        String reportingMta = groups.isEmpty() ? "" : withoutType(groups.get(0).getOrDefault("reporting-mta", ""));
        List<Bounce.Recipient> recipients = new ArrayList<>();
        for (int i = 1; i < groups.size() && recipients.size() < MAX_RECIPIENTS; i++) {
            Map<String, String> g = groups.get(i);
            String recipient = withoutType(g.getOrDefault("final-recipient", g.getOrDefault("original-recipient", "")));
            String action = firstWord(g.getOrDefault("action", ""));
            if (recipient.isEmpty() && action.isEmpty()) {
                continue;
            }
            String rawStatus = g.getOrDefault("status", "");
            Matcher code = STATUS_CODE.matcher(rawStatus);
            recipients.add(new Bounce.Recipient(limit(recipient), limit(action),
                    limit(code.find() ? code.group() : rawStatus), limit(g.getOrDefault("diagnostic-code", ""))));
        }
        // some MTAs write a single block: per-message and per-recipient fields together
        if (recipients.isEmpty() && !groups.isEmpty() && groups.get(0).containsKey("action")) {
            Map<String, String> g = groups.get(0);
            Matcher code = STATUS_CODE.matcher(g.getOrDefault("status", ""));
            recipients.add(new Bounce.Recipient(limit(withoutType(g.getOrDefault("final-recipient", ""))),
                    limit(firstWord(g.get("action"))), code.find() ? code.group() : limit(g.getOrDefault("status", "")),
                    limit(g.getOrDefault("diagnostic-code", ""))));
        }
        return new Bounce(originalId, limit(reportingMta), recipients);
    }

    /** Blank-line separated groups of fields, unfolded, names lower case; the first value of a name wins. */
    private static List<Map<String, String>> groups(String text) {
        List<Map<String, String>> groups = new ArrayList<>();
        Map<String, String> current = new LinkedHashMap<>();
        String name = null;
        for (String line : text.replace("\r\n", "\n").replace('\r', '\n').split("\n", -1)) {
            if (line.isBlank()) {
                if (!current.isEmpty()) {
                    groups.add(current);
                    current = new LinkedHashMap<>();
                }
                name = null;
            } else if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && name != null) {
                current.computeIfPresent(name, (k, v) -> v + " " + line.strip());
            } else {
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    name = null;
                    continue;
                }
                name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
                current.putIfAbsent(name, line.substring(colon + 1).strip());
            }
        }
        if (!current.isEmpty()) {
            groups.add(current);
        }
        return groups;
    }

    private static Optional<String> messageIdOf(byte[] headers) {
        try {
            String[] values = new InternetHeaders(new ByteArrayInputStream(headers)).getHeader("Message-ID");
            if (values == null) {
                return Optional.empty();
            }
            for (String v : values) {
                String value = Charsets.fix8bit(LenientHeaders.unfold(v)).strip();
                Matcher m = MSG_ID.matcher(value);
                if (m.find() && m.group().length() <= 998) {
                    return Optional.of(m.group());
                }
                if (!value.isEmpty() && value.length() <= 998) {
                    return Optional.of(value);
                }
            }
            return Optional.empty();
        } catch (MessagingException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** {@code rfc822; ann@example.test} is {@code ann@example.test}. */
    private static String withoutType(String value) {
        int semi = value.indexOf(';');
        return (semi >= 0 ? value.substring(semi + 1) : value).strip();
    }

    private static String firstWord(String value) {
        String v = value.strip();
        int end = 0;
        while (end < v.length() && Character.isLetter(v.charAt(end))) {
            end++;
        }
        return v.substring(0, end).toLowerCase(Locale.ROOT);
    }

    private static String limit(String s) {
        String clean = s.indexOf('\u0000') < 0 ? s : s.replace("\u0000", "");
        return clean.length() <= MAX_FIELD ? clean : clean.substring(0, MAX_FIELD);
    }

    private static byte[] bytesOf(Part part) throws MessagingException, IOException {
        try (InputStream in = part.getInputStream()) {
            return in.readAllBytes();
        }
    }
}
