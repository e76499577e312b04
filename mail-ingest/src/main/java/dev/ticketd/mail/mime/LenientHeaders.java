package dev.ticketd.mail.mime;

import jakarta.mail.MessagingException;
import jakarta.mail.Part;

import java.util.Locale;

/**
 * What Jakarta Mail refuses to read in a part's headers, read by plain scans that are linear in the
 * header's length (no regular expression): a parameter whose value it cannot tokenise, and file
 * names cleaned of the characters that disguise them; and what it reads in more than linear time,
 * done here in one pass or cut before it gets there (unfolding, over-long structure headers).
 * Thread-safe; only {@link #capStructureHeaders} changes anything (the part it is given).
 */
public final class LenientHeaders {

    /** The longest parameter value a lenient read takes (a boundary has at most 70 chars, a file name 255). */
    private static final int MAX_PARAMETER = 1000;

    private LenientHeaders() {
    }

    /**
     * Content-Type and Content-Disposition longer than this (in characters) are cut, at the end of a
     * parameter, before Jakarta Mail parses them: its parameter parsing (RFC 2231 continuations
     * above all) grows faster than the header, and no real mail needs 16 KB to name a type and a file.
     */
    static final int MAX_STRUCTURE_HEADER = 16 * 1024;

    /** Cuts a part's over-long Content-Type and Content-Disposition (see {@link #MAX_STRUCTURE_HEADER}). */
    static void capStructureHeaders(Part part) {
        for (String name : new String[]{"Content-Type", "Content-Disposition"}) {
            try {
                String[] values = part.getHeader(name);
                if (values != null && values[0].length() > MAX_STRUCTURE_HEADER) {
                    String v = values[0];
                    int lastParameterEnd = v.lastIndexOf(';', MAX_STRUCTURE_HEADER);
                    part.setHeader(name, lastParameterEnd > 0 ? v.substring(0, lastParameterEnd) : v.substring(0, MAX_STRUCTURE_HEADER));
                }
            } catch (MessagingException | RuntimeException readOnly) {
                // a part we cannot change is read as it is; the parse budget still bounds it
            }
        }
    }

    /**
     * A header value without its folding, exactly as Jakarta Mail's {@code MimeUtility.unfold} reads
     * it: a line break followed by a space or tab, or ending the value, is removed (the blanks stay);
     * a line break escaped by a backslash loses the backslash and stays; any other stays. One pass:
     * {@code MimeUtility.unfold} copies the rest of the value at every fold, which is quadratic in a
     * header folded many times.
     */
    public static String unfold(String value) {
        if (value == null || (value.indexOf('\r') < 0 && value.indexOf('\n') < 0)) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length());
        int i = 0;
        while (i < value.length()) {
            char c = value.charAt(i);
            if (c != '\r' && c != '\n') {
                out.append(c);
                i++;
                continue;
            }
            int after = i + 1;
            if (c == '\r' && after < value.length() && value.charAt(after) == '\n') {
                after++;
            }
            boolean escaped = i > 0 && value.charAt(i - 1) == '\\';
            if (escaped) {
                out.setLength(out.length() - 1);
                out.append(value, i, after);
            } else if (after == value.length() || value.charAt(after) == ' ' || value.charAt(after) == '\t') {
                // a fold (or a break ending the value): the break goes, the blanks after it stay
            } else {
                out.append(value, i, after);
            }
            i = after;
        }
        return out.toString();
    }

    /**
     * A parameter's value, quoted or not, found by a plain scan that is linear in the header's length
     * (each start of the name is looked at once); null when none. For headers Jakarta Mail refuses.
     */
    static String parameterOf(String headerValue, String parameter) {
        if (headerValue == null) {
            return null;
        }
        String header = unfold(headerValue);
        String lower = header.toLowerCase(Locale.ROOT);
        int at = lower.indexOf(parameter);
        while (at >= 0) {
            int i = at + parameter.length();
            while (i < header.length() && (header.charAt(i) == ' ' || header.charAt(i) == '\t')) {
                i++;
            }
            boolean parameterName = at == 0 || ";\t ".indexOf(header.charAt(at - 1)) >= 0;
            if (parameterName && i < header.length() && header.charAt(i) == '=') {
                i++;
                while (i < header.length() && (header.charAt(i) == ' ' || header.charAt(i) == '\t')) {
                    i++;
                }
                StringBuilder value = new StringBuilder();
                boolean quoted = i < header.length() && header.charAt(i) == '"';
                if (quoted) {
                    i++;
                }
                for (; i < header.length() && value.length() <= MAX_PARAMETER; i++) {
                    char c = header.charAt(i);
                    if (quoted ? c == '"' : c == ';') { // unquoted names may hold spaces: "name=My file.pdf"
                        break;
                    }
                    value.append(c);
                }
                return value.length() == 0 || value.length() > MAX_PARAMETER ? null : value.toString().strip();
            }
            at = lower.indexOf(parameter, at + 1);
        }
        return null;
    }

    /**
     * Without control characters, line separators (U+2028, U+2029) and direction overrides (U+202A-202E,
     * U+2066-2069, U+200E, U+200F), which make "invoice" U+202E "fdp.exe" look like "invoiceexe.pdf";
     * the same characters reply attachments lose.
     */
    static String withoutControls(String name) {
        StringBuilder out = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean bidi = (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069') || c == '\u200E' || c == '\u200F'
                    || c == '\u2028' || c == '\u2029';
            if (!bidi && !Character.isISOControl(c)) {
                out.append(c);
            }
        }
        return out.toString();
    }
}
