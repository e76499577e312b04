package dev.ticketd.chaos.scenario.report;

import dev.ticketd.chaos.scenario.RunReport;
import dev.ticketd.chaos.scenario.RunReport.Check;
import dev.ticketd.chaos.scenario.RunReport.Fault;
import dev.ticketd.chaos.scenario.RunReport.Meta;
import dev.ticketd.chaos.scenario.RunReport.Verdict;

import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.ticketd.chaos.scenario.report.Html.esc;

/**
 * {@code report.html}: one self-contained page for the operator — verdict and headline numbers, the
 * timeline, a table per fault type, the checks, the verdict again. Inline CSS and SVG only: it must
 * open from a CI artifact or a mail attachment with no network and no script. Every string that came
 * from the run (fault details, node names, tags) goes through {@link Html#esc}.
 */
final class HtmlReport {

    private static final DateTimeFormatter UTC = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    private final RunReport report;
    private final Map<String, FaultTypeSummary> byType;
    private final RunSpan span;
    private final Palette palette;
    private final StringBuilder out = new StringBuilder(256 * 1024);

    private HtmlReport(RunReport report, Map<String, FaultTypeSummary> byType) {
        this.report = report;
        this.byType = byType;
        this.span = RunSpan.of(report);
        List<String> nodes = Stream.concat(
                        report.leaderships().stream().map(RunReport.Leadership::holder),
                        report.ui().stream().map(RunReport.UiSample::node))
                .distinct().sorted().toList();
        this.palette = new Palette(List.copyOf(byType.keySet()), nodes);
    }

    static String page(RunReport report, Map<String, FaultTypeSummary> byType) {
        return new HtmlReport(report, byType).render();
    }

    private boolean pass() {
        return "pass".equals(report.verdict().verdict());
    }

    private String render() {
        String verdictClass = pass() ? "pass" : "fail";
        out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>ticketd chaos run: ").append(esc(verdictWord())).append("</title>\n<style>\n")
                .append(Css.STYLE).append("</style>\n</head>\n<body>\n");
        out.append("<header class=\"verdict ").append(verdictClass).append("\">\n<div class=\"badge\">")
                .append(esc(verdictWord())).append("</div>\n<div><h1>ticketd chaos run</h1>\n<p class=\"meta\">")
                .append(esc(metaLine())).append("</p></div>\n</header>\n");
        numbers();
        timeline();
        faultTables();
        checks();
        out.append("<footer class=\"verdict ").append(verdictClass).append("\">\n<div class=\"badge\">")
                .append(esc(verdictWord())).append("</div>\n<p>").append(esc(verdictSentence())).append("</p>\n</footer>\n");
        out.append("</body>\n</html>\n");
        return out.toString();
    }

    private String verdictWord() {
        String v = report.verdict().verdict();
        return v == null ? "NO VERDICT" : v.toUpperCase(Locale.ROOT);
    }

    private String metaLine() {
        Meta m = report.meta();
        return "started " + (m.started() == null ? "?" : UTC.format(m.started()))
                + " · ran " + Html.millis(span.length().toMillis())
                + " · seed " + m.seed()
                + " · " + String.format(Locale.ROOT, "%.1f", m.ratePerSecond()) + " mails/s"
                + " · " + report.faults().size() + " faults of " + byType.size() + " types"
                + (m.machine() == null ? "" : " · " + m.machine());
    }

    private String verdictSentence() {
        List<Check> failed = report.checks().stream().filter(c -> !c.ok()).toList();
        if (failed.isEmpty()) {
            return "All " + report.checks().size() + " checks passed.";
        }
        return failed.size() + " of " + report.checks().size() + " checks failed: "
                + failed.stream().map(Check::name).collect(Collectors.joining(", ")) + ".";
    }

    private void numbers() {
        Verdict v = report.verdict();
        out.append("<section class=\"numbers\">\n");
        card("mails sent", String.valueOf(v.mailsSent()), false, false);
        card("lost", String.valueOf(v.lost()), v.lost() > 0, false);
        card("duplicated", String.valueOf(v.duplicated()), v.duplicated() > 0, false);
        card("unexpected", String.valueOf(v.unexpected()), v.unexpected() > 0, false);
        card("unknown outcome / of them stored", v.unknownOutcomes() + " / " + v.unknownStored(), false, true);
        card("replies in the wrong ticket", String.valueOf(v.repliesMisthreaded()), v.repliesMisthreaded() > 0, false);
        card("staff replies sent / captured / duplicated",
                v.staffRepliesSent() + " / " + v.staffRepliesCaptured() + " / " + v.staffRepliesDuplicated(),
                v.staffRepliesCaptured() < v.staffRepliesSent() || v.staffRepliesDuplicated() > 0, true);
        card("time to ticket p50 / p99 / max", Html.millis(v.timeToTicketP50Millis()) + " / "
                + Html.millis(v.timeToTicketP99Millis()) + " / " + Html.millis(v.timeToTicketMaxMillis()), false, true);
        card("overlapping epochs", String.valueOf(v.overlappingEpochs()), v.overlappingEpochs() > 0, false);
        card("spurious leader changes", String.valueOf(v.spuriousLeaderChanges()), v.spuriousLeaderChanges() > 0, false);
        out.append("</section>\n");
    }

    /** {@code wide}: a value of three figures, given two columns so it stays on one line. */
    private void card(String label, String value, boolean bad, boolean wide) {
        out.append("<div class=\"card").append(bad ? " bad" : "").append(wide ? " wide" : "").append("\"><div class=\"value\">").append(esc(value))
                .append("</div><div class=\"label\">").append(esc(label)).append("</div></div>\n");
    }

    private void timeline() {
        out.append("<h2>Timeline</h2>\n<div class=\"legend\">");
        palette.faultColours().forEach((type, colour) -> swatch(colour, type));
        out.append("<span class=\"sep\"></span>");
        palette.nodeColours().forEach((node, colour) -> swatch(colour, "leader " + node));
        out.append("<span class=\"sep\"></span>");
        swatch("#4e79a7", "mail ticketed");
        swatch("#e36209", "duplicated");
        swatch("#8250df", "wrong ticket");
        swatch("#bf3989", "unexpected");
        out.append("<span class=\"item\"><span class=\"cross\">\u2715</span>lost</span>");
        swatch("#2da44e", "UI 200");
        swatch("#cf222e", "UI not 200");
        out.append("</div>\n");
        out.append(Timeline.svg(report, span, palette));
        long refused = report.mails().stream().filter(m -> "fail".equals(m.outcome()) && m.messages() == 0).count();
        long unknownAbsent = report.mails().stream().filter(m -> "unknown".equals(m.outcome()) && m.messages() == 0).count();
        out.append("<p class=\"caption\">Fault bands are stacked where faults overlap and shaded behind the lanes below; "
                + "a band with a red outline was not confirmed. Leader lanes are coloured by the lease holder (epoch in the "
                + "tooltip; a red marker is a spurious change). Each dot is a mail: x when it was sent, y the time until its "
                + "ticket message committed, log scale, anything under 0.1 s at 0.1 s; dots on the same pixel are merged and "
                + "only the ten slowest and the wrong ones have tooltips.")
                .append(refused > 0 ? " " + refused + " mails refused by the mail server are not drawn." : "")
                .append(unknownAbsent > 0 ? " " + unknownAbsent + " mails whose send had no observed answer and that are not"
                        + " tickets (allowed) are not drawn." : "")
                .append(" UI lanes: one per node, from each request to the next.</p>\n");
    }

    private void swatch(String colour, String text) {
        out.append("<span class=\"item\"><span class=\"sw\" style=\"background:").append(colour).append("\"></span>")
                .append(esc(text)).append("</span>");
    }

    private void faultTables() {
        out.append("<h2>Faults by type</h2>\n<table class=\"summary\">\n<thead><tr><th>type</th><th>injected</th><th>confirmed</th>"
                + "<th>intake gap median</th><th>intake gap worst</th><th>UI gap median</th><th>UI gap worst</th></tr></thead>\n<tbody>\n");
        byType.values().forEach(s -> {
            boolean bad = s.injected() == 0 || s.confirmed() < s.injected();
            out.append("<tr").append(bad ? " class=\"bad\"" : "").append("><td><a href=\"#").append(anchor(s.type())).append("\">")
                    .append(esc(s.type())).append("</a></td>");
            summaryCells(s);
            out.append("</tr>\n");
        });
        out.append("</tbody>\n</table>\n");
        for (FaultTypeSummary s : byType.values()) {
            out.append("<section class=\"fault-type\" id=\"").append(anchor(s.type())).append("\">\n<h3><span class=\"sw\" style=\"background:")
                    .append(palette.fault(s.type())).append("\"></span>").append(esc(s.type())).append("</h3>\n");
            out.append("<table class=\"summary\"><thead><tr><th></th><th>injected</th><th>confirmed</th><th>intake gap median</th>"
                    + "<th>intake gap worst</th><th>UI gap median</th><th>UI gap worst</th></tr></thead>\n<tbody><tr><td>")
                    .append(esc(s.type())).append("</td>");
            summaryCells(s);
            out.append("</tr></tbody></table>\n");
            if (s.faults().isEmpty()) {
                out.append("<p class=\"bad\">Scheduled but never injected.</p>\n");
            } else {
                faultRows(s.faults());
            }
            out.append("</section>\n");
        }
    }

    private void summaryCells(FaultTypeSummary s) {
        out.append("<td class=\"n\">").append(s.injected()).append("</td><td class=\"n\">").append(s.confirmed()).append("</td>");
        for (long ms : new long[] {s.intakeGapMedianMillis(), s.intakeGapWorstMillis(), s.uiGapMedianMillis(), s.uiGapWorstMillis()}) {
            out.append("<td class=\"n\">").append(esc(Html.millis(ms))).append("</td>");
        }
    }

    private void faultRows(List<Fault> faults) {
        out.append("<table class=\"faults\">\n<thead><tr><th>#</th><th>target</th><th>start</th><th>duration</th><th>confirmed</th>"
                + "<th>intake gap</th><th>UI gap</th><th>detail</th></tr></thead>\n<tbody>\n");
        int n = 1;
        for (Fault f : faults) {
            String duration = f.start() == null || f.end() == null ? "–" : Html.millis(Duration.between(f.start(), f.end()).toMillis());
            out.append("<tr").append(f.confirmed() ? "" : " class=\"bad\"").append("><td class=\"n\">").append(n++)
                    .append("</td><td>").append(esc(f.target()))
                    .append("</td><td class=\"n\">").append(esc(Html.offset(span.start(), f.start())))
                    .append("</td><td class=\"n\">").append(esc(duration))
                    .append("</td><td>").append(f.confirmed() ? "yes" : "<strong>NO</strong>")
                    .append("</td><td class=\"n\">").append(esc(Html.millis(f.intakeGapMillis())))
                    .append("</td><td class=\"n\">").append(esc(Html.millis(f.uiGapMillis())))
                    .append("</td><td class=\"detail\">").append(f.detail() == null ? "" : esc(f.detail()));
            alerting(f.alerting());
            out.append("</td></tr>\n");
        }
        out.append("</tbody>\n</table>\n");
    }

    /** A silent fault's figures as operations received them, one line per channel. */
    private void alerting(RunReport.Alerting a) {
        if (a == null) {
            return;
        }
        for (RunReport.ChannelAlerting c : a.channels()) {
            out.append("<br><strong>").append(esc(c.channel())).append("</strong>: ");
            if (c.alertMillis() < 0) {
                out.append("no stall alert (").append(c.notices()).append(" notices)");
            } else {
                out.append(esc(c.rule())).append(" after ").append(esc(Html.millis(c.alertMillis())))
                        .append(", all-clear ").append(c.allClearMillis() < 0 ? "<strong>none</strong>" : esc(Html.millis(c.allClearMillis()))
                                + " after the repair")
                        .append(", ").append(c.episodes()).append(" episode(s), at most ").append(c.openNotices()).append(" opening(s) each");
            }
        }
    }

    private void checks() {
        out.append("<h2>Checks</h2>\n<table class=\"checks\">\n<thead><tr><th>check</th><th>result</th><th>detail</th></tr></thead>\n<tbody>\n");
        for (Check c : report.checks()) {
            out.append("<tr class=\"").append(c.ok() ? "ok" : "bad").append("\"><td>").append(esc(c.name())).append("</td><td>")
                    .append(c.ok() ? "pass" : "<strong>FAIL</strong>").append("</td><td class=\"detail\">")
                    .append(c.detail() == null ? "" : esc(c.detail())).append("</td></tr>\n");
        }
        out.append("</tbody>\n</table>\n");
        Map<String, String> settings = report.meta().settings();
        if (settings != null && !settings.isEmpty()) {
            out.append("<details><summary>Run settings</summary>\n<table class=\"settings\"><tbody>\n");
            settings.forEach((k, v) -> out.append("<tr><td>").append(esc(k)).append("</td><td>").append(esc(v)).append("</td></tr>\n"));
            out.append("</tbody></table>\n</details>\n");
        }
    }

    /** An id for a fault type's section: only [a-z0-9-], and unique because it carries the type's position. */
    private String anchor(String type) {
        int position = List.copyOf(byType.keySet()).indexOf(type);
        return "type-" + position + "-" + String.valueOf(type).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }
}
