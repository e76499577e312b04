package dev.ticketd.chaos.scenario.report;

import dev.ticketd.chaos.scenario.RunReport;
import dev.ticketd.chaos.scenario.RunReport.Fault;
import dev.ticketd.chaos.scenario.RunReport.Leadership;
import dev.ticketd.chaos.scenario.RunReport.UiSample;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.ticketd.chaos.scenario.report.Html.esc;
import static dev.ticketd.chaos.scenario.report.Html.num;

/**
 * The run on one inline SVG, time across: fault bands (stacked into lanes where they overlap, and
 * shaded faintly behind everything below), each mailbox's lease holder, each mail's time to ticket
 * and each node's UI availability. Tooltips are SVG {@code <title>}s, so the page needs no script.
 */
final class Timeline {

    private static final int WIDTH = 1360;
    private static final int LEFT = 150;
    private static final int RIGHT = 14;
    private static final int LANE = 18;
    private static final int BAR = 14;
    private static final int UI_LANE = 11;
    private static final int GAP = 14;
    private static final int LOST_STRIP = 16;
    private static final int PLOT = 230;
    private static final int AXIS = 34;

    private final RunReport report;
    private final RunSpan span;
    private final Palette palette;
    private final StringBuilder out = new StringBuilder(64 * 1024);

    private Timeline(RunReport report, RunSpan span, Palette palette) {
        this.report = report;
        this.span = span;
        this.palette = palette;
    }

    static String svg(RunReport report, RunSpan span, Palette palette) {
        return new Timeline(report, span, palette).draw();
    }

    private String draw() {
        List<Lanes.Placed<Fault>> faults = Lanes.assign(report.faults(), Fault::start, Fault::end, span.end());
        Map<String, List<Lanes.Placed<Leadership>>> leaders = new TreeMap<>();
        report.leaderships().stream().map(Leadership::mailbox).distinct().forEach(mailbox -> leaders.put(mailbox,
                Lanes.assign(report.leaderships().stream().filter(l -> l.mailbox().equals(mailbox)).toList(),
                        Leadership::from, Leadership::to, span.end())));
        Map<String, List<UiSample>> ui = new TreeMap<>();
        report.ui().stream().filter(s -> s.at() != null)
                .forEach(s -> ui.computeIfAbsent(s.node(), k -> new ArrayList<>()).add(s));

        int yFaults = 8;
        int yLeaders = yFaults + Math.max(1, Lanes.count(faults)) * LANE + GAP;
        int leaderLanes = leaders.values().stream().mapToInt(l -> Math.max(1, Lanes.count(l))).sum();
        int yPlot = yLeaders + leaderLanes * LANE + GAP;
        int yUi = yPlot + PLOT + GAP;
        int yAxis = yUi + ui.size() * (UI_LANE + 3) + 4;
        int height = yAxis + AXIS;

        out.append("<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ")
                .append(WIDTH).append(' ').append(height).append("\" role=\"img\" aria-label=\"timeline of the run\">\n");
        List<Instant> ticks = ticks();
        backdrop(faults, ticks, yFaults, yAxis);
        faultBands(faults, yFaults);
        leaderLanes(leaders, yLeaders);
        timeToTicket(yPlot);
        uiLanes(ui, yUi);
        axis(ticks, yAxis);
        out.append("</svg>\n");
        return out.toString();
    }

    private double x(Instant t) {
        double total = Math.max(1, span.length().toMillis());
        double ms = Duration.between(span.start(), t == null ? span.end() : t).toMillis();
        return LEFT + Math.max(0, Math.min(total, ms)) / total * (WIDTH - LEFT - RIGHT);
    }

    private void label(double y, String text, String cls) {
        out.append("<text class=\"").append(cls).append("\" x=\"").append(LEFT - 8).append("\" y=\"").append(num(y))
                .append("\" text-anchor=\"end\" dominant-baseline=\"middle\">").append(esc(text)).append("</text>\n");
    }

    private void rect(double x0, double x1, double y, double h, String fill, String cls, String title) {
        out.append("<rect");
        if (cls != null) {
            out.append(" class=\"").append(cls).append('"');
        }
        out.append(" x=\"").append(num(x0)).append("\" y=\"").append(num(y)).append("\" width=\"")
                .append(num(Math.max(1, x1 - x0))).append("\" height=\"").append(num(h)).append("\" fill=\"").append(fill).append('"');
        if (title == null) {
            out.append("/>\n");
        } else {
            out.append("><title>").append(esc(title)).append("</title></rect>\n");
        }
    }

    /** Text inside a bar when it fits (about 6.5 px a character at 11 px). */
    private void barText(double x0, double x1, double y, String text) {
        if (x1 - x0 >= text.length() * 6.5 + 6) {
            out.append("<text class=\"bar\" x=\"").append(num(x0 + 3)).append("\" y=\"").append(num(y + BAR / 2.0))
                    .append("\" dominant-baseline=\"middle\">").append(esc(text)).append("</text>\n");
        }
    }

    private String when(Instant t) {
        return Html.offset(span.start(), t);
    }

    private void backdrop(List<Lanes.Placed<Fault>> faults, List<Instant> ticks, int yTop, int yBottom) {
        rect(LEFT, WIDTH - RIGHT, yTop, yBottom - yTop, "#fafafa", null, null);
        for (Instant t : ticks) {
            out.append("<line class=\"grid\" x1=\"").append(num(x(t))).append("\" x2=\"").append(num(x(t)))
                    .append("\" y1=\"").append(yTop).append("\" y2=\"").append(yBottom + 4).append("\"/>\n");
        }
        for (Lanes.Placed<Fault> f : faults) {
            rect(x(f.from()), x(f.to()), yTop, yBottom - yTop, palette.fault(f.item().type()), "shade", null);
        }
    }

    private void faultBands(List<Lanes.Placed<Fault>> faults, int y0) {
        label(y0 + BAR / 2.0, "faults", "section");
        for (Lanes.Placed<Fault> p : faults) {
            Fault f = p.item();
            double x0 = x(p.from());
            double x1 = x(p.to());
            double y = y0 + p.lane() * LANE;
            String title = f.type() + " on " + f.target() + ", " + when(f.start()) + " to " + when(f.end())
                    + (f.confirmed() ? ", confirmed" : ", NOT CONFIRMED") + ", intake gap " + Html.millis(f.intakeGapMillis())
                    + ", UI gap " + Html.millis(f.uiGapMillis()) + (f.detail() == null ? "" : "\n" + f.detail());
            rect(x0, x1, y, BAR, palette.fault(f.type()), f.confirmed() ? "band" : "band unconfirmed", title);
            barText(x0, x1, y, f.type());
        }
    }

    private void leaderLanes(Map<String, List<Lanes.Placed<Leadership>>> leaders, int y0) {
        int y = y0;
        for (Map.Entry<String, List<Lanes.Placed<Leadership>>> mailbox : leaders.entrySet()) {
            label(y + BAR / 2.0, "leader: " + mailbox.getKey(), "lane");
            Instant first = mailbox.getValue().stream().map(Lanes.Placed::from).min(Comparator.naturalOrder()).orElse(null);
            for (Lanes.Placed<Leadership> p : mailbox.getValue()) {
                Leadership l = p.item();
                double x0 = x(p.from());
                double x1 = x(p.to());
                double ly = y + p.lane() * LANE;
                boolean spurious = !l.causedByFault() && !p.from().equals(first);
                rect(x0, x1, ly, BAR, palette.node(l.holder()), "seg", mailbox.getKey() + ": " + l.holder() + ", epoch " + l.epoch()
                        + ", " + when(l.from()) + " to " + (l.to() == null ? "the end" : when(l.to()))
                        + (spurious ? ", a spurious change (no fault caused it)" : l.causedByFault() ? ", after a fault" : ""));
                barText(x0, x1, ly, l.holder() + " e" + l.epoch());
                if (spurious) {
                    out.append("<path class=\"spurious\" d=\"M").append(num(x0 - 5)).append(' ').append(num(ly - 3)).append("h10l-5 7z\">")
                            .append("<title>spurious leader change of ").append(esc(mailbox.getKey())).append(" at ")
                            .append(esc(when(l.from()))).append("</title></path>\n");
                }
            }
            y += Math.max(1, Lanes.count(mailbox.getValue())) * LANE;
        }
    }

    private void timeToTicket(int y0) {
        MailPoints.draw(out, report.mails(), this::x, y0, LOST_STRIP, PLOT, LEFT, WIDTH - RIGHT, span);
    }

    private void uiLanes(Map<String, List<UiSample>> ui, int y0) {
        int y = y0;
        for (Map.Entry<String, List<UiSample>> node : ui.entrySet()) {
            label(y + UI_LANE / 2.0, "UI " + node.getKey(), "lane");
            List<UiSample> samples = node.getValue();
            samples.sort(Comparator.comparing(UiSample::at));
            int runStart = 0;
            for (int i = 1; i <= samples.size(); i++) {
                boolean ok = samples.get(runStart).status() == 200;
                if (i < samples.size() && (samples.get(i).status() == 200) == ok) {
                    continue;
                }
                Instant from = samples.get(runStart).at();
                Instant to = i < samples.size() ? samples.get(i).at() : samples.get(i - 1).at();
                int count = i - runStart;
                String title = node.getKey() + (ok ? ": answered 200, " : ": no 200 answer, ") + when(from) + " to " + when(to)
                        + " (" + Html.millis(Duration.between(from, to).toMillis()) + ", " + count + " requests)";
                rect(x(from), x(to), y, UI_LANE, ok ? "#2da44e" : "#cf222e", null, ok ? null : title);
                runStart = i;
            }
            y += UI_LANE + 3;
        }
    }

    /** Round offsets from the start, at most a dozen of them. */
    private List<Instant> ticks() {
        long totalSeconds = Math.max(1, span.length().toSeconds());
        long step = 21600;
        for (long candidate : new long[] {5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800}) {
            if (totalSeconds / candidate <= 12) {
                step = candidate;
                break;
            }
        }
        List<Instant> ticks = new ArrayList<>();
        for (long s = 0; s <= totalSeconds; s += step) {
            ticks.add(span.start().plusSeconds(s));
        }
        return ticks;
    }

    private void axis(List<Instant> ticks, int y) {
        out.append("<g class=\"axis\">\n");
        out.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(WIDTH - RIGHT).append("\" y1=\"").append(y)
                .append("\" y2=\"").append(y).append("\"/>\n");
        for (Instant t : ticks) {
            double x = x(t);
            // the outermost labels would be cut in half by the edges (and the first would run into the caption)
            String anchor = x - LEFT < 20 ? "start" : WIDTH - RIGHT - x < 20 ? "end" : "middle";
            out.append("<text x=\"").append(num(x)).append("\" y=\"").append(y + 16).append("\" text-anchor=\"").append(anchor)
                    .append("\">").append(esc(when(t))).append("</text>\n");
        }
        out.append("<text x=\"").append(LEFT - 8).append("\" y=\"").append(y + 16)
                .append("\" text-anchor=\"end\">since start</text>\n</g>\n");
    }
}
