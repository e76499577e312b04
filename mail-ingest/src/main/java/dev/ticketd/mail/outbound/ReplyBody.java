package dev.ticketd.mail.outbound;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;

/**
 * The plain-text body of a staff reply as it is mailed: what staff typed, the mailbox's signature,
 * then the previous message of the ticket quoted. Only the mail carries this; the ticket message
 * keeps what staff typed. A pure function, so a reply sent again after a lost claim is built the
 * same way (unless someone changed the signature meanwhile).
 */
public final class ReplyBody {

    /** At most this many lines of the previous message are quoted... */
    public static final int MAX_QUOTED_LINES = 60;
    /** ...and at most this many characters of it. */
    public static final int MAX_QUOTED_CHARS = 4_000;

    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("EEE, d MMM yyyy 'at' HH:mm xxx", Locale.ENGLISH);

    /** The message a reply answers: when it was written, by whom (a name, an address or both), its text. */
    public record Quoted(OffsetDateTime at, String who, String text) {
    }

    private ReplyBody() {
    }

    public static String compose(String typed, Optional<String> signature, Optional<Quoted> previous) {
        if (signature.filter(s -> !s.isBlank()).isEmpty() && previous.filter(q -> !q.text().isBlank()).isEmpty()) {
            return typed;
        }
        StringBuilder sb = new StringBuilder(typed.stripTrailing());
        signature.map(String::strip).filter(s -> !s.isEmpty()).ifPresent(s -> {
            sb.append("\n\n");
            if (!s.startsWith("--")) {
                sb.append("-- \n"); // the usual separator: mail clients recognise and fold what follows
            }
            sb.append(s);
        });
        previous.filter(q -> !q.text().isBlank()).ifPresent(q -> {
            sb.append("\n\nOn ").append(WHEN.format(q.at())).append(", ").append(oneLine(q.who())).append(" wrote:\n");
            quote(q.text(), sb);
        });
        return sb.charAt(sb.length() - 1) == '\n' ? sb.toString() : sb.append('\n').toString();
    }

    private static void quote(String text, StringBuilder sb) {
        String[] lines = text.replace("\r\n", "\n").replace('\r', '\n').strip().split("\n", -1);
        int chars = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].stripTrailing();
            if (i == MAX_QUOTED_LINES || chars + line.length() > MAX_QUOTED_CHARS) {
                if (i < MAX_QUOTED_LINES && chars < MAX_QUOTED_CHARS) {
                    sb.append("> ").append(line, 0, MAX_QUOTED_CHARS - chars).append('\n'); // a very long line, cut
                }
                sb.append("> [...]\n");
                return;
            }
            chars += line.length();
            sb.append(line.startsWith(">") ? ">" : "> ").append(line).append('\n');
        }
    }

    private static String oneLine(String s) {
        return s == null || s.isBlank() ? "someone" : s.replaceAll("[\\r\\n\\t]+", " ").strip();
    }
}
