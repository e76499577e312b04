package dev.ticketd.chaos.scenario;

import dev.ticketd.chaos.scenario.AlertCapture.Notice;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A silent fault is measured by the notices operations received, per channel, and judged by SilentFaultCheck. */
class AlertMeasureTest {

    private static final Instant T0 = Instant.parse("2026-12-04T12:00:00Z");

    @Test
    void measuresTheFirstStallOpeningAndTheAllClearAfterTheRepairPerChannel() {
        List<Notice> notices = List.of(
                notice(-30, "webhook", "open", "node-down", "h2", "info"),
                notice(85, "webhook", "open", "canary-late", "support", "stall"),
                notice(86, "smtp", "open", "canary-late", "support", "stall"),
                notice(105, "webhook", "open", "mailbox-stalled", "support", "stall"),
                notice(106, "smtp", "open", "mailbox-stalled", "support", "stall"),
                notice(140, "webhook", "clear", "canary-late", "support", "stall"),
                notice(150, "webhook", "clear", "mailbox-stalled", "support", "stall"),
                notice(151, "smtp", "clear", "mailbox-stalled", "support", "stall"));

        RunReport.Alerting a = AlertMeasure.measure(notices, T0, T0.plusSeconds(110), T0.plusSeconds(300));

        RunReport.ChannelAlerting webhook = a.channels().get(0);
        assertThat(webhook.channel()).isEqualTo("webhook");
        assertThat(webhook.rule()).isEqualTo("canary-late");
        assertThat(webhook.alertMillis()).isEqualTo(85_000);
        assertThat(webhook.allClearMillis()).as("until the last stall episode cleared").isEqualTo(40_000);
        assertThat(webhook.episodes()).isEqualTo(2);
        assertThat(webhook.openNotices()).isEqualTo(1);
        RunReport.ChannelAlerting smtp = a.channels().get(1);
        assertThat(smtp.alertMillis()).isEqualTo(86_000);
        assertThat(smtp.allClearMillis()).as("canary-late never cleared by mail").isEqualTo(-1);
        assertThat(SilentFaultCheck.problems(fault("mailbox-password", a))).containsExactly("mailbox-password smtp: no all-clear");
    }

    @Test
    void duplicateOpeningsFailExceptOnePerNodeForAReadOnlyDatabase() {
        List<Notice> notices = List.of(
                notice(100, "webhook", "open", "mailbox-stalled", "support", "stall"),
                notice(115, "webhook", "open", "mailbox-stalled", "support", "stall"),
                notice(100, "smtp", "open", "mailbox-stalled", "support", "stall"),
                notice(160, "webhook", "clear", "mailbox-stalled", "support", "stall"),
                notice(160, "smtp", "clear", "mailbox-stalled", "support", "stall"));

        RunReport.Alerting a = AlertMeasure.measure(notices, T0, T0.plusSeconds(150), T0.plusSeconds(300));

        assertThat(a.channels().get(0).openNotices()).isEqualTo(2);
        assertThat(SilentFaultCheck.problems(fault("mailbox-password", a))).containsExactly("mailbox-password webhook: 2 openings of one episode (at most 1)");
        assertThat(SilentFaultCheck.problems(fault("pg-read-only", a))).isEmpty();
    }

    @Test
    void aFrozenIdleWithoutAnyAlertPassesAndARelayCutJudgesOnlyTheWebhook() {
        RunReport.Alerting none = AlertMeasure.measure(List.of(), T0, T0.plusSeconds(120), T0.plusSeconds(200));
        assertThat(SilentFaultCheck.problems(fault("imap-idle-freeze", none))).isEmpty();
        assertThat(SilentFaultCheck.problems(fault("delivery-stop", none))).containsExactly("delivery-stop webhook: no stall alert",
                "delivery-stop smtp: no stall alert");

        RunReport.Alerting webhookOnly = AlertMeasure.measure(List.of(
                notice(100, "webhook", "open", "mailbox-stalled", "support", "stall"),
                notice(130, "webhook", "clear", "mailbox-stalled", "support", "stall")), T0, T0.plusSeconds(110), T0.plusSeconds(300));
        assertThat(SilentFaultCheck.problems(fault("ops-relay-cut", webhookOnly))).isEmpty();
        assertThat(SilentFaultCheck.check(List.of(fault("ops-relay-cut", webhookOnly))).ok()).isTrue();
    }

    @Test
    void aSilentClusterMayTakeThreeMinutes() {
        RunReport.Alerting a = AlertMeasure.measure(List.of(
                notice(130, "webhook", "open", "cluster-silent", "ticketd", "stall"),
                notice(130, "smtp", "open", "cluster-silent", "ticketd", "stall"),
                notice(170, "webhook", "clear", "cluster-silent", "ticketd", "stall"),
                notice(170, "smtp", "clear", "cluster-silent", "ticketd", "stall")), T0, T0.plusSeconds(135), T0.plusSeconds(300));
        assertThat(SilentFaultCheck.problems(fault("all-nodes-kill", a))).isEmpty();
        assertThat(SilentFaultCheck.problems(fault("mailbox-password", a))).containsExactly("mailbox-password webhook: alert after 130.0 s",
                "mailbox-password smtp: alert after 130.0 s");
    }

    private static RunReport.Fault fault(String type, RunReport.Alerting a) {
        return new RunReport.Fault(type, "mail", T0, T0.plusSeconds(200), true, "", -1, -1, a);
    }

    private static Notice notice(int second, String channel, String event, String rule, String subject, String severity) {
        return new Notice(T0.plusSeconds(second), channel, event, rule, subject, severity, "h1");
    }
}
