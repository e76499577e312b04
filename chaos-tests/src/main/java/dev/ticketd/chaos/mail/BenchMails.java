package dev.ticketd.chaos.mail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The mails of the Dovecot ingest benchmark, as raw RFC 5322 bytes, each with a Message-ID that no
 * other mail of the run has (so each is stored as a mail of its own, never as a second delivery):
 * <ul>
 *   <li>{@link Mix#SMALL}: short plain-text mails from 97 customers, about 600 bytes;</li>
 *   <li>{@link Mix#MIXED}: the project's mail corpus in turn — {@code eml/*.eml} (multipart,
 *       HTML, attachments, odd charsets, auto-replies, bounces, broken MIME) and the peer corpus
 *       listed in {@code peer-corpus.psv} — each copy with its Message-ID replaced.</li>
 * </ul>
 * Immutable once built; {@link #mail(int)} may be called from any thread.
 */
final class BenchMails {

    enum Mix {
        SMALL, MIXED;

        static Mix parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "small" -> SMALL;
                case "mixed" -> MIXED;
                default -> throw new IllegalArgumentException("--mix: small or mixed, not " + s);
            };
        }

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final DateTimeFormatter RFC_5322 = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    private final Mix mix;
    private final String to;
    private final String tag;
    private final List<byte[]> corpus;
    private final List<String> corpusNames;

    private BenchMails(Mix mix, String to, String tag, List<String> corpusNames, List<byte[]> corpus) {
        this.mix = mix;
        this.to = to;
        this.tag = tag;
        this.corpusNames = corpusNames;
        this.corpus = corpus;
    }

    /**
     * @param tag       makes the Message-IDs of this run unique ({@code [a-z0-9-]})
     * @param resources mail-ingest's test resources (holding {@code eml/} and {@code peer-corpus/}), read for {@link Mix#MIXED}
     */
    static BenchMails of(Mix mix, String to, String tag, Path resources) throws IOException {
        if (mix == Mix.SMALL) {
            return new BenchMails(mix, to, tag, List.of(), List.of());
        }
        List<Path> files = new ArrayList<>();
        Path eml = resources.resolve("eml");
        Path peer = resources.resolve("peer-corpus");
        Path peerList = resources.resolve("peer-corpus.psv");
        if (!Files.isDirectory(eml) || !Files.isRegularFile(peerList)) {
            throw new IOException("the mixed mails come from mail-ingest's test corpus, not found under " + resources
                    + " (expected eml/ and peer-corpus.psv; run from the repository's root)");
        }
        try (Stream<Path> all = Files.walk(eml)) {
            all.filter(p -> p.getFileName().toString().endsWith(".eml")).sorted().forEach(files::add);
        }
        for (String line : Files.readAllLines(peerList, StandardCharsets.UTF_8)) {
            if (!line.isBlank() && !line.startsWith("#")) {
                files.add(peer.resolve(line.substring(0, line.indexOf('|')).strip()));
            }
        }
        List<byte[]> raws = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Path f : files) {
            raws.add(Files.readAllBytes(f));
            names.add(resources.relativize(f).toString());
        }
        return new BenchMails(mix, to, tag, names, raws);
    }

    Mix mix() {
        return mix;
    }

    /** How many distinct corpus files the mixed mails cycle through (0 for the small mix). */
    int corpusSize() {
        return corpus.size();
    }

    long corpusBytes() {
        return corpus.stream().mapToLong(b -> b.length).sum();
    }

    /** The Message-ID (without angle brackets) of mail {@code i}; {@link #mail(int)} carries it. */
    String messageId(int i) {
        return "bench-" + tag + "-" + i + "@customers.example";
    }

    /** Mail number {@code i} of this mix, with its own Message-ID. */
    byte[] mail(int i) {
        if (mix == Mix.SMALL) {
            return small(i);
        }
        return withMessageId(corpus.get(i % corpus.size()), messageId(i));
    }

    String sourceOf(int i) {
        return mix == Mix.SMALL ? "small" : corpusNames.get(i % corpus.size());
    }

    private byte[] small(int i) {
        int customer = i % 97;
        // LF line ends, as Dovecot itself stores mail (mail_save_crlf = no)
        String text = "From: Customer " + customer + " <c" + customer + "@customers.example>\n"
                + "To: " + to + "\n"
                + "Subject: bench " + tag + " mail " + i + "\n"
                + "Date: " + RFC_5322.format(ZonedDateTime.now(ZoneOffset.UTC)) + "\n"
                + "Message-ID: <" + messageId(i) + ">\n"
                + "MIME-Version: 1.0\n"
                + "Content-Type: text/plain; charset=UTF-8\n"
                + "Content-Transfer-Encoding: 7bit\n"
                + "\n"
                + "Hello,\n\nmy printer number " + i + " prints only blank pages since this morning.\n"
                + "I have already switched it off and on again. Could you please help?\n\n"
                + "Thanks,\nCustomer " + customer + "\n";
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * {@code raw} with every Message-ID header (and its continuation lines) removed and
     * {@code Message-ID: <id>} put first, in the line ending the mail's first line uses. The
     * bytes are handled as ISO-8859-1, so 8-bit headers and bodies pass unchanged.
     */
    static byte[] withMessageId(byte[] raw, String id) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int crlf = text.indexOf("\r\n\r\n");
        int lf = text.indexOf("\n\n");
        // the header block with its last line's end; the blank line and the body follow
        int headEnd = crlf < 0 ? lf + 1 : lf < 0 || crlf < lf ? crlf + 2 : lf + 1;
        if (crlf < 0 && lf < 0) {
            headEnd = text.length(); // headers only, no body
        }
        String head = text.substring(0, headEnd);
        String rest = text.substring(headEnd);
        int firstEnd = text.indexOf('\n');
        String eol = firstEnd > 0 && text.charAt(firstEnd - 1) == '\r' ? "\r\n" : "\n";

        StringBuilder out = new StringBuilder(text.length() + 80);
        out.append("Message-ID: <").append(id).append('>').append(eol);
        boolean dropping = false;
        int start = 0;
        while (start < head.length()) {
            int nl = head.indexOf('\n', start);
            int end = nl < 0 ? head.length() : nl + 1;
            String line = head.substring(start, end);
            boolean continuation = !line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t');
            if (!continuation) {
                int colon = line.indexOf(':');
                dropping = colon > 0 && line.substring(0, colon).strip().equalsIgnoreCase("message-id");
            }
            if (!dropping) {
                out.append(line);
            }
            start = end;
        }
        out.append(rest);
        return out.toString().getBytes(StandardCharsets.ISO_8859_1);
    }
}
