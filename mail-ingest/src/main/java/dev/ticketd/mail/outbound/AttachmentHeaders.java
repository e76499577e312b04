package dev.ticketd.mail.outbound;

import jakarta.mail.internet.MimeUtility;

import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Content-Type and Content-Disposition headers of a file sent with a reply, written here
 * rather than by Jakarta Mail's {@code setFileName}: that takes the charset and the encoding
 * rules from JVM-wide system properties, and splits a long RFC 2047 name into RFC 2231
 * continuations, which no client decodes. Every line stays well below SMTP's 998 characters.
 *
 * <p>An ASCII name is a quoted string in both headers. Any other name is, as mail clients write
 * it: in the Content-Disposition RFC 2231 {@code filename*=UTF-8''…} (in numbered sections when
 * long), which current clients read; in the Content-Type's {@code name} RFC 2047 encoded words,
 * which older ones (Outlook) read instead.
 */
final class AttachmentHeaders {

    /** Percent-encoded characters per RFC 2231 continuation section. */
    private static final int SECTION_LENGTH = 60;
    private static final String UTF_8 = StandardCharsets.UTF_8.name();

    private AttachmentHeaders() {
    }

    /** {@code type/subtype; name="…"}; {@code baseType} must already be a valid lower-case type/subtype. */
    static String contentType(String baseType, String filename) throws UnsupportedEncodingException {
        String name = clean(filename);
        if (isAscii(name)) {
            return baseType + ";\r\n name=" + quoted(name);
        }
        // a line per encoded word (at most 75 characters each): a quoted string may be folded
        String words = String.join("\r\n ", MimeUtility.unfold(MimeUtility.encodeText(name, UTF_8, "B")).split(" +"));
        return baseType + ";\r\n name=\"" + words + "\"";
    }

    /** {@code attachment; filename="…"}, or {@code attachment; filename*=UTF-8''…} (with {@code *0*}, {@code *1*}… when long). */
    static String disposition(String filename) {
        String name = clean(filename);
        if (isAscii(name)) {
            return "attachment;\r\n filename=" + quoted(name);
        }
        List<String> sections = sections(name);
        if (sections.size() == 1) {
            return "attachment;\r\n filename*=UTF-8''" + sections.get(0);
        }
        StringBuilder header = new StringBuilder("attachment");
        for (int i = 0; i < sections.size(); i++) {
            header.append(";\r\n filename*").append(i).append("*=").append(i == 0 ? "UTF-8''" : "").append(sections.get(i));
        }
        return header.toString();
    }

    /**
     * The name percent-encoded in sections of at most {@value #SECTION_LENGTH} characters. A
     * character's bytes stay in one section: some clients decode each section on its own.
     */
    static List<String> sections(String name) {
        List<String> sections = new ArrayList<>();
        StringBuilder section = new StringBuilder();
        name.codePoints().forEach(cp -> {
            String encoded = percentEncoded(new String(Character.toChars(cp)));
            if (section.length() + encoded.length() > SECTION_LENGTH) {
                sections.add(section.toString());
                section.setLength(0);
            }
            section.append(encoded);
        });
        sections.add(section.toString());
        return sections;
    }

    /** Stored names are clean already (ReplyAttachments); a header must never carry a line break, whatever a row holds. */
    private static String clean(String filename) {
        String name = filename == null ? "" : filename.replaceAll("\\p{Cntrl}", "").strip();
        return name.isEmpty() ? "attachment" : name;
    }

    private static boolean isAscii(String s) {
        return s.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
    }

    private static String quoted(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** RFC 2231 / RFC 5987 attr-chars as they are; every other UTF-8 byte as %XX. */
    static String percentEncoded(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$&+-.^_`|~".indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return out.toString();
    }
}
