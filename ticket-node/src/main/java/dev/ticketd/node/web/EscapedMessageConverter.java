package dev.ticketd.node.web;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The log message ({@code %msg}) with control characters escaped, so that no text from a request,
 * a mail or a database row — an email typed on the login page, a mail subject — can end a log line
 * and forge the next one. CR, LF and tab become {@code \r}, {@code \n}, {@code \t}; other C0 and C1
 * controls, DEL and the Unicode line and paragraph separators become {@code \\uXXXX}. Installed in one
 * place, the logback configuration (as {@code %safeMsg}), so no call site has to remember it.
 * Stateless and thread-safe.
 */
public final class EscapedMessageConverter extends MessageConverter {

    @Override
    public String convert(ILoggingEvent event) {
        return escape(super.convert(event));
    }

    static String escape(String message) {
        if (message == null) {
            return null;
        }
        int i = 0;
        while (i < message.length() && !needsEscape(message.charAt(i))) {
            i++;
        }
        if (i == message.length()) {
            return message;
        }
        StringBuilder b = new StringBuilder(message.length() + 16).append(message, 0, i);
        for (; i < message.length(); i++) {
            char c = message.charAt(i);
            switch (c) {
                case '\r' -> b.append("\\r");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> {
                    if (needsEscape(c)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    private static boolean needsEscape(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
    }
}
