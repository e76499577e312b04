package dev.ticketd.mail.quarantine;

import dev.ticketd.mail.mime.Charsets;
import dev.ticketd.mail.mime.EncodedWords;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Best-effort reading of a header from mail that the parser refused: no MIME structure is
 * assumed, only "Name: value" lines (with continuation lines) before the first empty line. What it
 * returns is for display and for naming a requester, never for threading or security decisions.
 * Pure and thread-safe.
 */
public final class HeaderPeek {

    private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63})+");
    private static final int MAX_VALUE = 300;
    /** The most of a mail read for its headers. */
    private static final int MAX_HEAD_BYTES = 256 * 1024;
    /** The most of one header value collected before it is decoded (the result is cut to {@link #MAX_VALUE}). */
    private static final int MAX_RAW_VALUE = 16 * 1024;

    private HeaderPeek() {
    }

    /** The first header named {@code name}, unfolded, encoded words decoded where possible, control characters removed. */
    public static Optional<String> header(byte[] raw, String name) {
        // the header section is what is read; beyond this much of a mail no header is looked for
        String text = new String(raw, 0, Math.min(raw.length, MAX_HEAD_BYTES), StandardCharsets.ISO_8859_1)
                .replace("\r\n", "\n").replace('\r', '\n');
        int end = text.indexOf("\n\n");
        String head = end < 0 ? text : text.substring(0, end);
        String wanted = name.toLowerCase(Locale.ROOT) + ":";
        StringBuilder value = null;
        for (String line : head.split("\n", -1)) {
            if (value != null) {
                if (!line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
                    if (value.length() < MAX_RAW_VALUE) {
                        value.append(' ').append(line.strip());
                    }
                    continue;
                }
                break;
            }
            if (line.toLowerCase(Locale.ROOT).startsWith(wanted)) {
                value = new StringBuilder(line.substring(wanted.length()).strip());
            }
        }
        if (value == null) {
            return Optional.empty();
        }
        // raw 8-bit bytes (read here one char per byte) are UTF-8 when they are, else windows-1252
        String v = Charsets.fix8bit(value.length() <= MAX_RAW_VALUE ? value.toString() : value.substring(0, MAX_RAW_VALUE));
        try {
            v = EncodedWords.decode(v);
        } catch (RuntimeException undecodable) {
            // keep the undecoded text: this is a best effort
        }
        v = v.replaceAll("[\\p{Cntrl}\\x{FFFD}]", "").strip();
        return v.isEmpty() ? Optional.empty() : Optional.of(v.length() <= MAX_VALUE ? v : v.substring(0, MAX_VALUE));
    }

    /** The first plain email address in the From header, lower-cased, when there is one. */
    public static Optional<String> fromAddress(byte[] raw) {
        return header(raw, "From").flatMap(v -> {
            Matcher m = ADDRESS.matcher(v);
            return m.find() && m.group().length() <= 320 ? Optional.of(m.group().toLowerCase(Locale.ROOT)) : Optional.empty();
        });
    }
}
