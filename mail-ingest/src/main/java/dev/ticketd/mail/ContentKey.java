package dev.ticketd.mail;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Recognises the same mail when it arrives again under other IMAP coordinates (a changed
 * UIDVALIDITY, a second delivery). The key hashes the body and the headers that an author sets
 * (From, To, Cc, Date, Subject, Message-ID), never the trace headers that every server on the way
 * adds or rewrites (Received, Return-Path, Delivered-To, DKIM and authentication results).
 *
 * <p>Line endings and trailing white space are normalised and header names folded to lower case,
 * so a relay that rewrites CRLF to LF or re-folds a header does not make a mail look new. A mail
 * without a Message-ID is identified by its exact bytes as well.
 */
public final class ContentKey {

    private static final List<String> STABLE_HEADERS = List.of("from", "to", "cc", "date", "subject", "message-id");

    private ContentKey() {
    }

    /** Hex SHA-256 of the canonical form of {@code raw}. */
    public static String of(byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1); // byte-preserving
        String normalised = text.replace("\r\n", "\n").replace('\r', '\n');
        int split = normalised.indexOf("\n\n");
        String head = split < 0 ? normalised : normalised.substring(0, split);
        String body = split < 0 ? "" : normalised.substring(split + 2);

        Map<String, StringBuilder> headers = new TreeMap<>();
        StringBuilder collecting = null; // the stable header whose continuation lines follow
        for (String line : head.split("\n", -1)) {
            if (!line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
                if (collecting != null) {
                    collecting.append(' ').append(line.strip());
                }
                continue;
            }
            collecting = null;
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            // the first occurrence wins; a later duplicate header does not change identity
            if (STABLE_HEADERS.contains(name) && !headers.containsKey(name)) {
                collecting = new StringBuilder(line.substring(colon + 1).strip());
                headers.put(name, collecting);
            }
        }

        MessageDigest sha = sha256();
        for (Map.Entry<String, StringBuilder> h : headers.entrySet()) {
            sha.update((h.getKey() + ":" + h.getValue().toString().replaceAll("\\s+", " ") + "\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        sha.update((byte) 0);
        for (String line : body.split("\n", -1)) {
            sha.update(line.stripTrailing().getBytes(StandardCharsets.ISO_8859_1));
            sha.update((byte) '\n');
        }
        if (!headers.containsKey("message-id")) {
            // Without a Message-ID two different mails (say, two identical alerts within one second)
            // could share every hashed field; the exact bytes keep them apart. The same copy read
            // again (after a UIDVALIDITY change) still has the same bytes and the same key.
            sha.update((byte) 0);
            sha.update(raw);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Hex SHA-256 of the bytes exactly as stored. */
    public static String rawSha256(byte[] raw) {
        return HexFormat.of().formatHex(sha256().digest(raw));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
