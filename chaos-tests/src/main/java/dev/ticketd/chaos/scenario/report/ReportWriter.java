package dev.ticketd.chaos.scenario.report;

import dev.ticketd.chaos.scenario.RunReport;
import dev.ticketd.chaos.scenario.RunReport.Meta;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a chaos run's report into a folder: {@code report.json} for machines (CI, the README's
 * figures) and {@code report.html}, one self-contained page for the operator. Both are written from
 * the same per-type figures, so the page and the JSON never disagree.
 *
 * <p>A report of a run that failed half-way is still written: missing lists count as empty and a
 * missing start or end is taken from the data.
 */
public final class ReportWriter {

    private ReportWriter() {
    }

    /** Creates {@code outDir} if needed and overwrites both files in it. */
    public static void write(RunReport report, Path outDir) {
        RunReport r = complete(report);
        Map<String, FaultTypeSummary> byType = FaultTypeSummary.byType(r.meta().faultTypes(), r.faults());
        try {
            Files.createDirectories(outDir);
            JsonReport.write(r, byType, outDir.resolve("report.json"));
            Files.writeString(outDir.resolve("report.html"), HtmlReport.page(r, byType), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report into " + outDir, e);
        }
    }

    private static RunReport complete(RunReport r) {
        Objects.requireNonNull(r.meta(), "report.meta");
        Objects.requireNonNull(r.verdict(), "report.verdict");
        Meta m = r.meta();
        Meta meta = m.faultTypes() != null ? m
                : new Meta(m.started(), m.ended(), m.seed(), m.ratePerSecond(), m.durationSeconds(), List.of(), m.machine(), m.settings());
        return new RunReport(meta, r.verdict(), orEmpty(r.mails()), orEmpty(r.faults()), orEmpty(r.leaderships()),
                orEmpty(r.ui()), orEmpty(r.staffReplies()), orEmpty(r.checks()));
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
