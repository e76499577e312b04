package dev.ticketd.node.quarantine;

import dev.ticketd.mail.mime.Charsets;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Readable text of a header value that {@link dev.ticketd.mail.quarantine.HeaderPeek} read from
 * refused mail. HeaderPeek reads raw header bytes one char per byte (ISO-8859-1) and decodes only
 * RFC 2047 encoded words, so a raw UTF-8 subject ("Grüße") comes out as mojibake ("GrÃ¼Ãe");
 * this decodes such a value's bytes again, as UTF-8 when they are UTF-8 and else as windows-1252
 * ({@link Charsets#fix8bit}). HeaderPeek also cuts a value at 300 chars, which can split the last
 * UTF-8 character; that broken tail is dropped rather than letting it turn the whole value into
 * windows-1252. A value that already holds proper Unicode is returned unchanged. Pure.
 */
final class HeaderText {

    private HeaderText() {
    }

    static String readable(String peeked) {
        if (peeked == null || !oneCharPerByte(peeked)) {
            return peeked;
        }
        byte[] bytes = peeked.getBytes(StandardCharsets.ISO_8859_1);
        int whole = withoutBrokenTail(bytes);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, whole))
                    .toString();
        } catch (CharacterCodingException notUtf8) {
            return Charsets.fix8bit(peeked);
        }
    }

    /** Holds a char from 0x80 to 0xFF and none above: it may be raw bytes read as ISO-8859-1. */
    private static boolean oneCharPerByte(String value) {
        boolean high = false;
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if (ch > 0xFF) {
                return false;
            }
            high |= ch >= 0x80;
        }
        return high;
    }

    /** The length of {@code bytes} without a UTF-8 sequence that starts in the last three bytes and is cut short. */
    private static int withoutBrokenTail(byte[] bytes) {
        for (int back = 1; back <= Math.min(3, bytes.length); back++) {
            int b = bytes[bytes.length - back] & 0xFF;
            if (b < 0x80) {
                return bytes.length; // ASCII: nothing is cut
            }
            if (b >= 0xC0) { // a lead byte: how long its sequence should be
                int length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
                return length > back ? bytes.length - back : bytes.length;
            }
        }
        return bytes.length;
    }
}
