package dev.ticketd.node.quarantine;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stored quarantine reason as the page shows it. New reasons are plain sentences and are shown
 * as they are. Reasons stored by older nodes may end in a raw exception text ("unreadable MIME
 * structure: jakarta.mail.MessagingException: Missing start boundary; nested exception is …"):
 * that tail is split off as {@code technical}, for the page to show smaller and wrapped, and the
 * words before it stay the reason. Pure.
 *
 * @param plain     what went wrong, for people; never empty
 * @param technical the raw exception text, or null
 */
public record QuarantineReason(String plain, String technical) {

    static final String UNREADABLE = "This mail could not be read.";

    /** A Java exception class name or a stack frame: where a raw exception text starts. */
    private static final Pattern RAW = Pattern.compile(
            "(?:[a-z][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error)\\b|\\bat (?:[a-z][\\w$]*\\.)+[\\w$<>]+\\(");

    public static QuarantineReason of(String stored) {
        if (stored == null || stored.isBlank()) {
            return new QuarantineReason(UNREADABLE, null);
        }
        String reason = stored.strip();
        Matcher raw = RAW.matcher(reason);
        if (!raw.find()) {
            return new QuarantineReason(reason, null);
        }
        String words = reason.substring(0, raw.start()).replaceAll("[\\s:;,(\\-]+$", "");
        return new QuarantineReason(words.isEmpty() ? UNREADABLE : words, reason.substring(raw.start()));
    }
}
