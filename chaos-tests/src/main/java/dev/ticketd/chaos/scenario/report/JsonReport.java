package dev.ticketd.chaos.scenario.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.ticketd.chaos.scenario.RunReport;
import dev.ticketd.chaos.scenario.RunReport.Verdict;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code report.json}: the machine-readable result. The top level starts with what CI and the README
 * read ({@code verdict}, {@code mailsSent}, {@code lost}, {@code duplicated}, {@code unexpected},
 * {@code faults} keyed by type), then the rest of the verdict (first the sends whose outcome was
 * never seen: {@code unknownOutcomes}, of which {@code unknownStored} became tickets), the run's settings, the checks, every
 * fault, every leadership and the raw samples. Instants are ISO-8601 strings (chaos-tests has no
 * jsr310 module, and a string is what every reader wants anyway); gaps of -1 were not measured.
 *
 * <p>The file is indented for people, except that each mail, UI sample and staff reply is one compact
 * line: a run has tens of thousands of them and {@code grep TAG report.json} should find a mail.
 */
final class JsonReport {

    /** Immutable once built, so sharing it is safe. */
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new SimpleModule("instants-as-iso-strings").addSerializer(Instant.class, ToStringSerializer.instance));
    private static final ObjectWriter PRETTY = MAPPER.writer(
            new DefaultPrettyPrinter().withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE));

    private JsonReport() {
    }

    static void write(RunReport report, Map<String, FaultTypeSummary> byType, Path file) {
        try {
            PRETTY.writeValue(file.toFile(), tree(report, byType));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    static Map<String, Object> tree(RunReport report, Map<String, FaultTypeSummary> byType) {
        Verdict v = report.verdict();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("verdict", v.verdict());
        json.put("mailsSent", v.mailsSent());
        json.put("lost", v.lost());
        json.put("duplicated", v.duplicated());
        json.put("unexpected", v.unexpected());
        Map<String, Object> faults = new LinkedHashMap<>();
        byType.forEach((type, s) -> faults.put(type, faultType(s)));
        json.put("faults", faults);
        json.put("unknownOutcomes", v.unknownOutcomes());
        json.put("unknownStored", v.unknownStored());
        json.put("repliesMisthreaded", v.repliesMisthreaded());
        json.put("staffRepliesSent", v.staffRepliesSent());
        json.put("staffRepliesCaptured", v.staffRepliesCaptured());
        json.put("staffRepliesDuplicated", v.staffRepliesDuplicated());
        json.put("overlappingEpochs", v.overlappingEpochs());
        json.put("spuriousLeaderChanges", v.spuriousLeaderChanges());
        json.put("timeToTicketP50Millis", v.timeToTicketP50Millis());
        json.put("timeToTicketP99Millis", v.timeToTicketP99Millis());
        json.put("timeToTicketMaxMillis", v.timeToTicketMaxMillis());
        json.put("meta", report.meta());
        json.put("checks", report.checks());
        json.put("faultLog", report.faults());
        json.put("leaderships", report.leaderships());
        json.put("staffReplies", compactLines(report.staffReplies()));
        json.put("mails", compactLines(report.mails()));
        json.put("ui", compactLines(report.ui()));
        return json;
    }

    private static Map<String, Object> faultType(FaultTypeSummary s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("injected", s.injected());
        m.put("confirmed", s.confirmed());
        m.put("intakeGapMedianMillis", s.intakeGapMedianMillis());
        m.put("intakeGapWorstMillis", s.intakeGapWorstMillis());
        m.put("uiGapMedianMillis", s.uiGapMedianMillis());
        m.put("uiGapWorstMillis", s.uiGapWorstMillis());
        // silent faults: what operations received, per fault and channel (alertMillis, allClearMillis, openNotices)
        List<RunReport.Alerting> alerting = s.faults().stream().map(RunReport.Fault::alerting).filter(java.util.Objects::nonNull).toList();
        if (!alerting.isEmpty()) {
            m.put("alerting", alerting);
        }
        return m;
    }

    /** Each element pre-serialized without indentation, so the pretty printer puts it on one line. */
    private static List<RawValue> compactLines(List<?> items) {
        return items.stream().map(item -> {
            try {
                return new RawValue(MAPPER.writeValueAsString(item));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("cannot serialize " + item, e);
            }
        }).toList();
    }
}
