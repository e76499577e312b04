package dev.ticketd.chaos.scenario.report;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/** Escaping and the few number formats the page uses. */
final class Html {

    private Html() {
    }

    /** Safe in element text and in quoted attribute values, also inside inline SVG. */
    static String esc(Object value) {
        String s = String.valueOf(value);
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A time as an offset from the run's start: "+12:05", "+1:02:03". */
    static String offset(Instant origin, Instant t) {
        if (t == null) {
            return "–";
        }
        long s = Duration.between(origin, t).toSeconds();
        String sign = s < 0 ? "-" : "+";
        s = Math.abs(s);
        return s >= 3600
                ? String.format(Locale.ROOT, "%s%d:%02d:%02d", sign, s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%s%d:%02d", sign, s / 60, s % 60);
    }

    /** Milliseconds for people: "850 ms", "12.4 s", "3 min 20 s"; -1 (not measured) as a dash. */
    static String millis(long ms) {
        if (ms < 0) {
            return "–";
        }
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 120_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        return String.format(Locale.ROOT, "%d min %d s", ms / 60_000, ms / 1000 % 60);
    }

    /** A number with fixed decimals, independent of the machine's locale (SVG wants a dot). */
    static String num(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
