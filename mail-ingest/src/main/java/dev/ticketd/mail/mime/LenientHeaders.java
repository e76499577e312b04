package dev.ticketd.mail.mime;

import jakarta.mail.internet.MimeUtility;

import java.util.Locale;

/**
 * What Jakarta Mail refuses to read in a part's headers, read by plain scans that are linear in the
 * header's length (no regular expression): a parameter whose value it cannot tokenise, and file
 * names cleaned of the characters that disguise them. Pure and thread-safe.
 */
final class LenientHeaders {

    /** The longest parameter value a lenient read takes (a boundary has at most 70 chars, a file name 255). */
    private static final int MAX_PARAMETER = 1000;

    private LenientHeaders() {
    }

    /**
     * A parameter's value, quoted or not, found by a plain scan that is linear in the header's length
     * (each start of the name is looked at once); null when none. For headers Jakarta Mail refuses.
     */
    static String parameterOf(String headerValue, String parameter) {
        if (headerValue == null) {
            return null;
        }
        String header = MimeUtility.unfold(headerValue);
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
