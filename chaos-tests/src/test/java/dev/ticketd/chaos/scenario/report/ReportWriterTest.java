package dev.ticketd.chaos.scenario.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ticketd.chaos.scenario.RunReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ReportWriterTest {

    /** Kept under target/ on purpose: a person changing the page opens (or screenshots) what the test wrote. */
    private static final Path SAMPLE = Path.of("target", "report-writer-test");

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void theJsonStartsWithTheVerdictAndTheFiguresPerFaultType() throws IOException {
        RunReport report = SyntheticRun.report(300, 7);
        ReportWriter.write(report, SAMPLE);

        JsonNode root = json.readTree(SAMPLE.resolve("report.json").toFile());
        List<String> keys = new ArrayList<>();
        root.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).startsWith("verdict", "mailsSent", "lost", "duplicated", "unexpected", "faults");
        assertThat(keys).contains("meta", "checks", "faultLog", "leaderships", "timeToTicketP99Millis", "spuriousLeaderChanges", "mails", "ui");
        assertThat(root.get("verdict").asText()).isEqualTo("fail");
        assertThat(root.get("mailsSent").asInt()).as("300 sends, 2 of them without an observed answer").isEqualTo(298);
        assertThat(root.get("lost").asInt()).isEqualTo(1);
        assertThat(root.get("duplicated").asInt()).isEqualTo(1);
        assertThat(root.get("unexpected").asInt()).isZero();
        assertThat(root.get("unknownOutcomes").asInt()).isEqualTo(2);
        assertThat(root.get("unknownStored").asInt()).isEqualTo(1);

        JsonNode faults = root.get("faults");
        List<String> types = new ArrayList<>();
        faults.fieldNames().forEachRemaining(types::add);
        assertThat(types).containsExactlyElementsOf(SyntheticRun.TYPES);
        for (String type : List.of("kill-leader", "zombie-leader", "host-loss", "partition")) {
            assertThat(faults.get(type).get("injected").asInt()).as(type).isEqualTo(3);
        }
        assertThat(faults.get("zombie-leader").get("confirmed").asInt()).isEqualTo(2);
        assertThat(faults.get("kill-leader").get("confirmed").asInt()).isEqualTo(3);
        assertThat(faults.get("uidvalidity-reset").get("injected").asInt()).as("scheduled, never injected").isZero();
        JsonNode kill = faults.get("kill-leader");
        assertThat(kill.get("intakeGapMedianMillis").asLong()).isEqualTo(6_000);
        assertThat(kill.get("intakeGapWorstMillis").asLong()).isEqualTo(9_000);
        assertThat(kill.get("uiGapMedianMillis").asLong()).isEqualTo(900);
        assertThat(kill.get("uiGapWorstMillis").asLong()).isEqualTo(1_200);
        JsonNode zombie = faults.get("zombie-leader");
        assertThat(zombie.get("intakeGapMedianMillis").asLong()).as("the unmeasured -1 is left out").isEqualTo(6_800);
        assertThat(faults.get("uidvalidity-reset").get("intakeGapWorstMillis").asLong()).isEqualTo(-1);

        assertThat(root.get("faultLog")).hasSize(12);
        assertThat(root.get("faultLog").get(0).get("start").asText()).isEqualTo("2025-03-01T10:01:00Z");
        assertThat(root.get("mails")).hasSize(300);
        assertThat(root.get("meta").get("started").asText()).isEqualTo("2025-03-01T10:00:00Z");
        assertThat(root.get("leaderships").get(5).get("to").isNull()).isTrue();
    }

    @Test
    void eachMailIsOneLineOfTheJsonSoGrepFindsIt() throws IOException {
        RunReport report = SyntheticRun.report(300, 7);
        ReportWriter.write(report, SAMPLE);

        List<String> lines = Files.readAllLines(SAMPLE.resolve("report.json"));
        assertThat(lines).filteredOn(l -> l.contains("\"tag\":\"" + SyntheticRun.LOST_TAG + "\"")).singleElement()
                .satisfies(line -> assertThat(line).contains("\"accepted\":true", "\"messages\":0", "\"ticketedAt\":null"));
        assertThat(lines).filteredOn(l -> l.contains("\"tag\":\"m-")).hasSize(300);
        assertThat(lines).filteredOn(l -> l.contains("\"tag\":\"" + SyntheticRun.UNKNOWN_ABSENT_TAG + "\"")).singleElement()
                .satisfies(line -> assertThat(line).contains("\"accepted\":false", "\"outcome\":\"unknown\"", "\"messages\":0"));
    }

    @Test
    void aMailWhoseSendHadNoObservedAnswerIsNeitherLostWhenAbsentNorUnexpectedWhenStored() throws IOException {
        RunReport report = SyntheticRun.report(300, 7);
        ReportWriter.write(report, SAMPLE);

        String html = Files.readString(SAMPLE.resolve("report.html"));
        assertThat(html).as("no cross with its tooltip").doesNotContain(SyntheticRun.UNKNOWN_ABSENT_TAG + " (");
        assertThat(html).as("the stored one is drawn as a fine mail, not as unexpected")
                .doesNotContain("not accepted by the mail server, yet a ticket");
        assertThat(html).contains("1 mails whose send had no observed answer and that are not tickets (allowed) are not drawn.");
        assertThat(html).contains("<div class=\"value\">2 / 1</div><div class=\"label\">unknown outcome / of them stored</div>");
    }

    @Test
    void thePageShowsTheVerdictTheTimelineAndATablePerFaultType() throws IOException {
        RunReport report = SyntheticRun.report(300, 7);
        ReportWriter.write(report, SAMPLE);

        String html = Files.readString(SAMPLE.resolve("report.html"));
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<header class=\"verdict fail\">", "<div class=\"badge\">FAIL</div>");
        assertThat(html).contains("<svg class=\"timeline\"", "class=\"cross\"");
        for (String type : SyntheticRun.TYPES) {
            assertThat(html).as(type).containsPattern("<section class=\"fault-type\" id=\"type-\\d+-[a-z-]+\">\\s*<h3>.*" + type + "</h3>");
        }
        assertThat(html).contains("Scheduled but never injected.");
        assertThat(html).contains("<title>ticketd chaos run: FAIL</title>", "<footer class=\"verdict fail\">");
    }

    @Test
    void textFromTheRunIsEscapedAndThePageLoadsNothing() throws IOException {
        RunReport report = SyntheticRun.report(300, 7);
        ReportWriter.write(report, SAMPLE);

        String html = Files.readString(SAMPLE.resolve("report.html"));
        assertThat(html).doesNotContain("<script", "src=", "href=\"http", "url(", "@import");
        assertThat(html).contains("iptables said: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; gave up");
    }

    @Test
    void aPassingRunIsGreen(@TempDir Path dir) throws IOException {
        RunReport failing = SyntheticRun.report(300, 7);
        RunReport.Verdict v = failing.verdict();
        RunReport passing = new RunReport(failing.meta(), new RunReport.Verdict("pass", v.mailsSent(), 0, 0, 0, 0, 0, 0,
                40, 40, 0, 0, 0, 900, 11_800, 14_700), failing.mails(), failing.faults(), failing.leaderships(),
                failing.ui(), failing.staffReplies(), failing.checks().stream().map(c -> new RunReport.Check(c.name(), true, c.detail())).toList());

        ReportWriter.write(passing, dir);

        assertThat(Files.readString(dir.resolve("report.html"))).contains("<header class=\"verdict pass\">", "All 6 checks passed.");
        assertThat(json.readTree(dir.resolve("report.json").toFile()).get("verdict").asText()).isEqualTo("pass");
    }

    @Test
    void twentyThousandMailsStillMakeAPageOfReasonableSize() throws IOException {
        Path dir = Path.of("target", "report-writer-test-large");
        RunReport report = SyntheticRun.report(20_000, 11);

        ReportWriter.write(report, dir);

        long htmlBytes = Files.size(dir.resolve("report.html"));
        assertThat(htmlBytes).as("report.html bytes").isLessThan(1_000_000);
        assertThat(json.readTree(dir.resolve("report.json").toFile()).get("mails")).hasSize(20_000);
    }
}
