package dev.ticketd.mail.mime;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * Decoding of mail text whose declared charset may be missing, unknown or wrong. Every charset the
 * JDK knows is used as declared when the bytes are valid in it; otherwise the bytes are read as
 * UTF-8 when they are valid UTF-8, else as windows-1252 (which maps every byte to something, so
 * decoding never fails).
 */
public final class Charsets {

    public static final Charset WINDOWS_1252 = Charset.forName("windows-1252");

    private Charsets() {
    }

    /** The JDK charset of a MIME charset name (quotes, RFC 2231 language suffixes tolerated), if known. */
    public static Optional<Charset> lookup(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String n = name.strip();
        if (n.length() >= 2 && n.startsWith("\"") && n.endsWith("\"")) {
            n = n.substring(1, n.length() - 1).strip();
        }
        int star = n.indexOf('*'); // RFC 2231 charset*language
        if (star >= 0) {
            n = n.substring(0, star);
        }
        n = n.toLowerCase(Locale.ROOT);
        if (n.isEmpty()) {
            return Optional.empty();
        }
        // common labels the JDK does not know by these names
        n = switch (n) {
            case "utf8", "unicode-1-1-utf-8" -> "utf-8";
            case "latin1", "latin-1" -> "iso-8859-1";
            case "ks_c_5601-1987" -> "x-windows-949";
            default -> n;
        };
        try {
            return Charset.isSupported(n) ? Optional.of(Charset.forName(n)) : Optional.empty();
        } catch (IllegalArgumentException e) { // an illegal charset name
            return Optional.empty();
        }
    }

    /**
     * Decodes text bytes labelled with {@code declared} (may be null). A declared single-byte Latin
     * charset (us-ascii, iso-8859-1, windows-1252) on bytes that are valid, non-ASCII UTF-8 is taken
     * as the lie it almost always is: Latin text practically never forms valid UTF-8 sequences.
     * Bytes labelled us-ascii or iso-8859-1 are read as windows-1252, as browsers do (WHATWG Encoding):
     * the C1 range 0x80-0x9F holds no text in ISO-8859-1, and mail programs on Windows that label
     * their text ISO-8859-1 mean the euro sign and the typographic quotes there.
     */
    public static String decode(byte[] bytes, String declared) {
        Optional<Charset> charset = lookup(declared);
        if (charset.isPresent()) {
            Charset c = charset.get();
            boolean latin = c.equals(StandardCharsets.US_ASCII) || c.equals(StandardCharsets.ISO_8859_1) || c.equals(WINDOWS_1252);
            if (latin && !isAscii(bytes)) {
                Optional<String> utf8 = strict(bytes, StandardCharsets.UTF_8);
                if (utf8.isPresent()) {
                    return utf8.get();
                }
            }
            Optional<String> asDeclared = strict(bytes, latin ? WINDOWS_1252 : c);
            if (asDeclared.isPresent()) {
                return asDeclared.get();
            }
        }
        return fallback(bytes);
    }

    /** UTF-8 when the bytes are valid UTF-8, else windows-1252. */
    public static String fallback(byte[] bytes) {
        return strict(bytes, StandardCharsets.UTF_8).orElseGet(() -> new String(bytes, WINDOWS_1252));
    }

    /**
     * Repairs a header value read as one char per byte (Jakarta Mail reads raw 8-bit header bytes
     * as ISO-8859-1): when it holds any char from 0x80 to 0xFF and none above, its bytes are decoded
     * again with {@link #fallback}. A value that is already proper Unicode is returned unchanged.
     */
    public static String fix8bit(String value) {
        if (value == null) {
            return null;
        }
        boolean high = false;
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if (ch > 0xFF) {
                return value;
            }
            high |= ch >= 0x80;
        }
        return high ? fallback(value.getBytes(StandardCharsets.ISO_8859_1)) : value;
    }

    private static boolean isAscii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    private static Optional<String> strict(byte[] bytes, Charset charset) {
        try {
            CharBuffer chars = charset.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return Optional.of(chars.toString());
        } catch (CharacterCodingException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }
}
