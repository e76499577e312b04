package dev.ticketd.mail.mime;

import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * RFC 2047 encoded words ({@code =?charset?B|Q?text?=}) in header text, decoded leniently: an
 * unknown or lying charset falls back like {@link Charsets#decode}; whitespace between adjacent
 * encoded words is dropped (RFC 2047 §6.2); adjacent words in the same charset are joined as bytes
 * before decoding, so a multi-byte character split over two words survives; a malformed word is
 * kept as it is. Never throws.
 */
public final class EncodedWords {

    private static final Pattern WORD = Pattern.compile("=\\?([^?\\s]+)\\?([BbQq])\\?([^?\\s]*)\\?=");

    private EncodedWords() {
    }

    public static String decode(String text) {
        if (text == null || !text.contains("=?")) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        Matcher m = WORD.matcher(text);
        int last = 0;
        String pendingCharset = null;
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        while (m.find()) {
            String between = text.substring(last, m.start());
            boolean adjacent = pendingCharset != null && between.isBlank();
            String charset = m.group(1);
            byte[] bytes = m.group(2).equalsIgnoreCase("B") ? base64(m.group(3)) : quoted(m.group(3));
            if (bytes == null) { // not decodable: keep the word literally
                flush(out, pending, pendingCharset);
                pendingCharset = null;
                out.append(between).append(m.group());
                last = m.end();
                continue;
            }
            if (!adjacent || !charset.equalsIgnoreCase(pendingCharset)) {
                flush(out, pending, pendingCharset);
                if (!adjacent) {
                    out.append(between);
                }
            }
            pendingCharset = charset;
            pending.writeBytes(bytes);
            last = m.end();
        }
        flush(out, pending, pendingCharset);
        out.append(text, last, text.length());
        return out.toString();
    }

    private static void flush(StringBuilder out, ByteArrayOutputStream pending, String charset) {
        if (pending.size() > 0) {
            out.append(Charsets.decode(pending.toByteArray(), charset));
            pending.reset();
        }
    }

    private static byte[] base64(String s) {
        try {
            return Base64.getMimeDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static byte[] quoted(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '_') {
                out.write(' ');
            } else if (c == '=' && i + 2 < s.length()
                    && Character.digit(s.charAt(i + 1), 16) >= 0 && Character.digit(s.charAt(i + 2), 16) >= 0) {
                out.write(Character.digit(s.charAt(i + 1), 16) * 16 + Character.digit(s.charAt(i + 2), 16));
                i += 2;
            } else if (c == '=') {
                return null;
            } else {
                out.write(c > 0xFF ? '?' : c);
            }
        }
        return out.toByteArray();
    }
}
