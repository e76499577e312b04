package dev.ticketd.chaos.scenario.report;

import dev.ticketd.chaos.scenario.RunReport.Mail;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToDoubleFunction;

import static dev.ticketd.chaos.scenario.report.Html.esc;
import static dev.ticketd.chaos.scenario.report.Html.num;

/**
 * Each mail's time to ticket on the timeline: x is when it was sent, y the seconds until its ticket
 * message was committed on a log scale from 0.1 s (faster is drawn at 0.1 s). Lost mails are red
 * crosses in a strip above the plot.
 *
 * <p>Size: a run has tens of thousands of mails, nearly all of them fine. Those are drawn as one path
 * of round dots, merged where two fall on the same pixel, with no tooltip. Every mail that is wrong
 * (lost, duplicated, in the wrong ticket, unexpected) and the ten slowest get their own element with
 * its tag in a tooltip, up to {@value #MARKED_LIMIT} of each kind (the rest of that kind as larger
 * dots without one), so a failing run stays readable and its mails findable.
 */
final class MailPoints {

    static final int MARKED_LIMIT = 300;
    private static final int SLOWEST = 10;
    private static final long FLOOR_MILLIS = 100;

    private enum Kind {
        LOST("lost", "#cf222e"), DUPLICATED("duplicated", "#e36209"), MISTHREADED("in the wrong ticket", "#8250df"),
        UNEXPECTED("not accepted by the mail server, yet a ticket", "#bf3989"), OK("ticketed", "#4e79a7");

        final String words;
        final String colour;

        Kind(String words, String colour) {
            this.words = words;
            this.colour = colour;
        }
    }

    private MailPoints() {
    }

    static void draw(StringBuilder out, List<Mail> mails, ToDoubleFunction<Instant> x, int y0, int lostStrip, int height,
                     int left, int right, RunSpan span) {
        double top = y0 + lostStrip + 8;
        double bottom = y0 + height;
        long maxMillis = mails.stream().filter(m -> ticketed(m)).mapToLong(MailPoints::millis).max().orElse(0);
        int topDecade = Math.max(1, (int) Math.ceil(Math.log10(Math.max(1, maxMillis) / 1000.0)));
        ToDoubleFunction<Long> y = ms -> bottom - (Math.log10(Math.max(FLOOR_MILLIS, ms) / 1000.0) + 1) / (topDecade + 1) * (bottom - top);

        out.append("<text class=\"section\" x=\"8\" y=\"").append(num((top + bottom) / 2)).append("\" dominant-baseline=\"middle\">time to ticket</text>\n");
        out.append("<text class=\"lane lost\" x=\"").append(left - 8).append("\" y=\"").append(num(y0 + lostStrip / 2.0))
                .append("\" text-anchor=\"end\" dominant-baseline=\"middle\">lost \u2715</text>\n");
        out.append("<rect x=\"").append(left).append("\" y=\"").append(y0).append("\" width=\"").append(right - left)
                .append("\" height=\"").append(lostStrip).append("\" fill=\"#fff0f0\"/>\n");
        for (int decade = -1; decade <= topDecade; decade++) {
            double yd = y.applyAsDouble((long) (Math.pow(10, decade) * 1000));
            out.append("<line class=\"hgrid\" x1=\"").append(left).append("\" x2=\"").append(right).append("\" y1=\"").append(num(yd))
                    .append("\" y2=\"").append(num(yd)).append("\"/>\n");
            out.append("<text class=\"tick\" x=\"").append(left - 6).append("\" y=\"").append(num(yd))
                    .append("\" text-anchor=\"end\" dominant-baseline=\"middle\">")
                    .append(decade < 0 ? "0.1 s" : (long) Math.pow(10, decade) + " s").append("</text>\n");
        }

        List<Mail> ok = new ArrayList<>();
        StringBuilder dots = new StringBuilder();
        Set<Long> pixels = new HashSet<>();
        StringBuilder marks = new StringBuilder();
        int[] marked = new int[Kind.values().length];
        StringBuilder[] overflow = new StringBuilder[Kind.values().length];
        for (Mail m : mails) {
            Kind kind = kind(m);
            if (kind == null || m.sentAt() == null) {
                continue;
            }
            double px = x.applyAsDouble(m.sentAt());
            double py = kind == Kind.LOST ? y0 + lostStrip / 2.0 : y.applyAsDouble(millis(m));
            if (kind == Kind.OK) {
                ok.add(m);
                if (pixels.add(Math.round(px) * 100_000 + Math.round(py))) {
                    dots.append('M').append(Math.round(px)).append(' ').append(Math.round(py)).append("h0");
                }
            } else if (marked[kind.ordinal()]++ < MARKED_LIMIT) {
                mark(marks, kind, m, px, py, span);
            } else {
                if (overflow[kind.ordinal()] == null) {
                    overflow[kind.ordinal()] = new StringBuilder();
                }
                overflow[kind.ordinal()].append('M').append(Math.round(px)).append(' ').append(Math.round(py)).append("h0");
            }
        }
        // the many fine mails first, so that the few wrong ones are painted over them, not hidden under them
        out.append("<path class=\"dots\" stroke=\"").append(Kind.OK.colour).append("\" d=\"").append(dots).append("\"/>\n");
        for (Kind kind : Kind.values()) {
            if (overflow[kind.ordinal()] != null) {
                out.append("<path class=\"dots more\" stroke=\"").append(kind.colour).append("\" d=\"")
                        .append(overflow[kind.ordinal()]).append("\"/>\n");
            }
        }
        out.append(marks);
        ok.sort(Comparator.comparingLong(MailPoints::millis).reversed());
        for (Mail m : ok.subList(0, Math.min(SLOWEST, ok.size()))) {
            out.append("<circle class=\"slow\" cx=\"").append(num(x.applyAsDouble(m.sentAt()))).append("\" cy=\"")
                    .append(num(y.applyAsDouble(millis(m)))).append("\" r=\"3.5\"><title>").append(esc(tooltip(Kind.OK, m, span)))
                    .append(" (one of the ").append(SLOWEST).append(" slowest)</title></circle>\n");
        }
    }

    private static void mark(StringBuilder out, Kind kind, Mail m, double px, double py, RunSpan span) {
        String title = "<title>" + esc(tooltip(kind, m, span)) + "</title>";
        if (kind == Kind.LOST) {
            out.append("<path class=\"cross\" d=\"M").append(num(px - 4)).append(' ').append(num(py - 4)).append("l8 8m0 -8l-8 8\">")
                    .append(title).append("</path>\n");
        } else {
            out.append("<circle cx=\"").append(num(px)).append("\" cy=\"").append(num(py)).append("\" r=\"4\" class=\"wrong\" fill=\"")
                    .append(kind.colour).append("\">").append(title).append("</circle>\n");
        }
    }

    private static String tooltip(Kind kind, Mail m, RunSpan span) {
        String s = m.tag() + " (" + m.kind() + "), sent " + Html.offset(span.start(), m.sentAt()) + ": " + kind.words;
        if (ticketed(m)) {
            s += " after " + Html.millis(millis(m)) + ", " + m.messages() + " message(s) in ticket " + m.ticket();
        }
        return s;
    }

    /** Null: not drawn (refused by the mail server, or of unknown outcome, and rightly not a ticket; or never sent). */
    private static Kind kind(Mail m) {
        if (m.messages() == 0) {
            return m.accepted() ? Kind.LOST : null;
        }
        if (!ticketed(m)) {
            return null;
        }
        if (m.messages() > 1) {
            return Kind.DUPLICATED;
        }
        if ("fail".equals(m.outcome())) {
            return Kind.UNEXPECTED; // an unknown outcome may rightly be a ticket
        }
        return m.inExpectedTicket() ? Kind.OK : Kind.MISTHREADED;
    }

    private static boolean ticketed(Mail m) {
        return m.ticketedAt() != null && m.sentAt() != null && m.messages() > 0;
    }

    private static long millis(Mail m) {
        return Math.max(0, Duration.between(m.sentAt(), m.ticketedAt()).toMillis());
    }
}
