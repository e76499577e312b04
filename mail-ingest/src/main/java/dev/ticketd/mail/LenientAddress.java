package dev.ticketd.mail;

import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;

import java.util.Optional;

/**
 * Finds the sender in a From (or Sender) value that Jakarta Mail refuses but mail programs show:
 * RFC 5322 comments anywhere ({@code Pete(A wonderful \) chap) <pete(his account)@silly.test(his host)>}),
 * obsolete white space inside the address ({@code <jdoe@machine.  example>}), a name that is not quoted
 * ({@code Big Bug bb@bug.com}), or several bare addresses in a row (the first is the sender).
 *
 * <p>Plain scans, each linear in the value's length (the caller caps it); no regular expression.
 * The address found must still be one Jakarta Mail accepts as an address on its own.
 */
final class LenientAddress {

    private LenientAddress() {
    }

    static Optional<MailParser.Sender> first(String value) {
        String text = withoutComments(value);
        int open = text.indexOf('<');
        while (open >= 0) {
            int close = text.indexOf('>', open);
            if (close < 0) {
                break;
            }
            String inside = withoutWhitespace(text.substring(open + 1, close));
            if (inside.indexOf('@') > 0) {
                return valid(inside, unquoted(text.substring(0, open)));
            }
            open = text.indexOf('<', close);
        }
        // no <address>: the first word with an @ in it is the address, the words before it the name
        int start = 0;
        while (start < text.length()) {
            while (start < text.length() && isSeparator(text.charAt(start))) {
                start++;
            }
            int end = start;
            while (end < text.length() && !isSeparator(text.charAt(end))) {
                end++;
            }
            String word = trimmed(text.substring(start, end));
            if (word.indexOf('@') > 0) {
                return valid(word, unquoted(text.substring(0, start)));
            }
            start = end;
        }
        return Optional.empty();
    }

    private static Optional<MailParser.Sender> valid(String address, String name) {
        if (address.indexOf('@') != address.lastIndexOf('@') || address.endsWith("@")) {
            return Optional.empty();
        }
        try {
            new InternetAddress(address, true).validate();
            return Optional.of(new MailParser.Sender(address, name));
        } catch (AddressException notAnAddress) {
            return Optional.empty();
        }
    }

    /**
     * Whether every quoted string, comment and {@code <} of the value is closed. Jakarta Mail's lenient
     * {@code InternetAddress.parseHeader} rescans the rest of the value for each unclosed {@code (} or
     * {@code <} (16 KB of them cost it 100-160 ms, four times as many sixteen times that), so a value that
     * is not closed goes straight to {@link #first}, which reads it in one pass.
     */
    static boolean closed(String value) {
        int depth = 0;
        boolean quoted = false;
        boolean angle = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && (quoted || depth > 0)) {
                i++;
            } else if (depth > 0) {
                depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            } else if (quoted) {
                quoted = c != '"';
            } else if (c == '"') {
                quoted = true;
            } else if (c == '(') {
                depth = 1;
            } else if (c == '<') {
                angle = true;
            } else if (c == '>') {
                angle = false;
            }
        }
        return depth == 0 && !quoted && !angle;
    }

    /** The value with every comment, nested or with escaped parentheses, replaced by a space; quoted strings kept. */
    static String withoutComments(String value) {
        StringBuilder out = new StringBuilder(value.length());
        int depth = 0;
        boolean quoted = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && (quoted || depth > 0) && i + 1 < value.length()) {
                if (depth == 0) {
                    out.append(c).append(value.charAt(i + 1));
                }
                i++;
            } else if (depth > 0) {
                depth += c == '(' ? 1 : c == ')' ? -1 : 0;
                if (depth == 0) {
                    out.append(' ');
                }
            } else if (c == '"') {
                quoted = !quoted;
                out.append(c);
            } else if (c == '(' && !quoted) {
                depth = 1;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String withoutWhitespace(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isWhitespace(s.charAt(i))) {
                out.append(s.charAt(i));
            }
        }
        return out.toString();
    }

    private static boolean isSeparator(char c) {
        return Character.isWhitespace(c) || c == ',' || c == ';';
    }

    /** A word without the quotes or brackets around it. */
    private static String trimmed(String word) {
        int from = 0;
        int to = word.length();
        while (from < to && "\"'<[".indexOf(word.charAt(from)) >= 0) {
            from++;
        }
        while (to > from && "\"'>].:".indexOf(word.charAt(to - 1)) >= 0) {
            to--;
        }
        return word.substring(from, to);
    }

    /** A display name without the quotes around it and the backslashes of its quoted pairs. */
    private static String unquoted(String name) {
        String s = name.strip();
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
            s = s.substring(1, s.length() - 1);
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                c = s.charAt(++i);
            }
            out.append(c);
        }
        return out.toString().strip();
    }
}
