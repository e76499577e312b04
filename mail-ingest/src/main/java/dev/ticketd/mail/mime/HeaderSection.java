package dev.ticketd.mail.mime;

import java.io.ByteArrayOutputStream;

/**
 * Mends the two header-section mistakes that make Jakarta Mail read a mail differently from every
 * mail program, before it is parsed (the stored original is never changed):
 * <ul>
 *   <li>a header section ended by a line of spaces instead of an empty one: the body's first lines
 *       would be read as headers, and the text would be lost. A line of only spaces or tabs that is
 *       followed (past any more such lines) by a line that is neither a header field nor a continuation
 *       ends the header section. Followed by a field or a continuation, it is an obsolete empty fold
 *       (RFC 5322 4.2) and dropped.</li>
 *   <li>white space between a field name and its colon ({@code Subject :}), obsolete syntax that RFC
 *       5322 4.5.3 says to read: without the mend {@code From :} is no From.</li>
 * </ul>
 * One pass over the header section, linear in its length; pure and thread-safe.
 */
public final class HeaderSection {

    private HeaderSection() {
    }

    /** The mail with its header section mended, or {@code raw} itself when nothing needed mending. */
    public static byte[] repair(byte[] raw) {
        ByteArrayOutputStream out = null;
        int copied = 0; // bytes of raw already in out
        int line = 0;
        int lineNumber = 0;
        while (line < raw.length) {
            int end = lineEnd(raw, line);
            int next = end < raw.length ? end + 1 : end;
            int contentEnd = end > line && raw[end - 1] == '\r' ? end - 1 : end;
            if (contentEnd == line) {
                break; // the empty line: the header section ends as it should
            }
            if (isBlank(raw, line, contentEnd)) {
                // one look past the whole run of blank lines decides for all of them: linear
                int after = next;
                while (after < raw.length && isBlankLine(raw, after)) {
                    after = lineEnd(raw, after) + 1;
                }
                out = out == null ? new ByteArrayOutputStream(raw.length) : out;
                out.write(raw, copied, line - copied);
                if (!isFieldOrFold(raw, after)) {
                    // the body starts after this line, which becomes the empty line that ends the headers
                    out.write(raw, contentEnd, next - contentEnd);
                    copied = next;
                    break;
                }
                copied = Math.min(after, raw.length);
                line = copied;
                lineNumber++;
                continue;
            }
            boolean mboxFromLine = lineNumber == 0 && startsWith(raw, line, "From ") && !isFieldOrFold(raw, line);
            if (!mboxFromLine && raw[line] != ' ' && raw[line] != '\t') {
                int name = nameEnd(raw, line, contentEnd);
                int colon = name;
                while (colon < contentEnd && (raw[colon] == ' ' || raw[colon] == '\t')) {
                    colon++;
                }
                if (colon > name && name > line && colon < contentEnd && raw[colon] == ':') {
                    out = out == null ? new ByteArrayOutputStream(raw.length) : out;
                    out.write(raw, copied, name - copied);
                    copied = colon;
                }
            }
            line = next;
            lineNumber++;
        }
        if (out == null) {
            return raw;
        }
        out.write(raw, copied, raw.length - copied);
        return out.toByteArray();
    }

    private static int lineEnd(byte[] raw, int from) {
        int i = from;
        while (i < raw.length && raw[i] != '\n') {
            i++;
        }
        return i;
    }

    /** A line of only spaces and tabs, not empty. */
    private static boolean isBlankLine(byte[] raw, int from) {
        int end = lineEnd(raw, from);
        int contentEnd = end > from && raw[end - 1] == '\r' ? end - 1 : end;
        return contentEnd > from && isBlank(raw, from, contentEnd);
    }

    private static boolean isBlank(byte[] raw, int from, int to) {
        for (int i = from; i < to; i++) {
            if (raw[i] != ' ' && raw[i] != '\t') {
                return false;
            }
        }
        return true;
    }

    /** Whether the line at {@code from} starts a header field or continues one (a non-blank fold). */
    private static boolean isFieldOrFold(byte[] raw, int from) {
        if (from >= raw.length) {
            return false;
        }
        int end = lineEnd(raw, from);
        int contentEnd = end > from && raw[end - 1] == '\r' ? end - 1 : end;
        if (raw[from] == ' ' || raw[from] == '\t') {
            return !isBlank(raw, from, contentEnd);
        }
        int name = nameEnd(raw, from, contentEnd);
        while (name < contentEnd && (raw[name] == ' ' || raw[name] == '\t')) {
            name++;
        }
        return name > from && name < contentEnd && raw[name] == ':';
    }

    /** The end of the field name (printable ASCII but the colon, RFC 5322 2.2) starting at {@code from}. */
    private static int nameEnd(byte[] raw, int from, int to) {
        int i = from;
        while (i < to && raw[i] >= 0x21 && raw[i] <= 0x7E && raw[i] != ':') {
            i++;
        }
        return i;
    }

    private static boolean startsWith(byte[] raw, int from, String prefix) {
        if (raw.length - from < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (raw[from + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
