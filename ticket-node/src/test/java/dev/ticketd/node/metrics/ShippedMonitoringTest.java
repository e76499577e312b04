package dev.ticketd.node.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.ticketd.cluster.DutyLeases;
import dev.ticketd.db.Database;
import dev.ticketd.desk.Tickets;
import dev.ticketd.node.health.DatabaseHealth;
import dev.ticketd.node.lifecycle.TicketTimerSettings;
import dev.ticketd.node.lifecycle.TicketTimers;
import dev.ticketd.node.watch.SelfWatch;
import dev.ticketd.node.watch.WatchSettings;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Prometheus alert rules and the Grafana dashboard shipped in {@code ops/}: well-formed, and
 * every ticketd metric they use is one the node has — documented in operations.md's metrics table
 * and, for the series a node has from its start, present in a real scrape. A renamed metric fails
 * here instead of silently never alerting.
 */
class ShippedMonitoringTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern METRIC = Pattern.compile("\\b(ticketd_[a-z_]+)\\b");
    private static final Set<String> SEVERITIES = Set.of("none", "info", "warning", "critical");

    @Test
    void everyAlertRuleIsCompleteAndUsesOnlyMetricsTheNodeHas() throws Exception {
        JsonNode rules = new YAMLMapper().readTree(ROOT.resolve("ops/prometheus/ticketd-alerts.yml").toFile());
        List<String> exprs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (JsonNode group : rules.get("groups")) {
            for (JsonNode rule : group.get("rules")) {
                String name = rule.path("alert").asText();
                assertThat(name).as("every rule is an alert with a name").isNotBlank();
                assertThat(names.add(name)).as("alert names are unique: %s", name).isTrue();
                assertThat(rule.path("expr").asText()).as("%s has an expression", name).isNotBlank();
                assertThat(rule.path("labels").path("severity").asText()).as("%s has a known severity", name).isIn(SEVERITIES);
                assertThat(rule.path("annotations").path("summary").asText()).as("%s says what is wrong", name).isNotBlank();
                exprs.add(rule.get("expr").asText());
            }
        }
        assertThat(names).contains("Watchdog", "TicketdAllNodesDown", "TicketdNobodyWatches");
        assertUsesOnlyKnownMetrics(exprs);
    }

    @Test
    void everyDashboardPanelUsesOnlyMetricsTheNodeHas() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(ROOT.resolve("ops/grafana/ticketd-dashboard.json").toFile());
        assertThat(dashboard.path("uid").asText()).isNotBlank();
        List<String> exprs = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(panel.path("title").asText()).isNotBlank();
            panel.get("targets").forEach(t -> exprs.add(t.path("expr").asText()));
        }
        assertThat(exprs).isNotEmpty();
        assertUsesOnlyKnownMetrics(exprs);
    }

    private static void assertUsesOnlyKnownMetrics(List<String> exprs) throws Exception {
        Set<String> used = new TreeSet<>();
        for (String e : exprs) {
            Matcher m = METRIC.matcher(e);
            while (m.find()) {
                used.add(m.group(1));
            }
        }
        assertThat(used).isNotEmpty();
        String operations = Files.readString(ROOT.resolve("docs/operations.md"));
        Set<String> documented = new HashSet<>();
        Matcher d = Pattern.compile("\\| `(ticketd_[a-z_]+)").matcher(operations);
        while (d.find()) {
            documented.add(d.group(1));
        }
        assertThat(documented).as("the metrics table of docs/operations.md").containsAll(used);

        // the series a node has from its start must be in its scrape under these names
        Set<String> scraped = scrapedNames();
        Set<String> fromStart = Set.of("ticketd_watch_watching", "ticketd_watch_open_alerts", "ticketd_watch_notices_total",
                "ticketd_zookeeper_connected", "ticketd_ticket_timers_running", "ticketd_mail_failing", "ticketd_outbox_pending",
                "ticketd_db_transaction_unavailable_total", "ticketd_db_transaction_retries_total");
        for (String name : used) {
            if (fromStart.contains(name)) {
                assertThat(scraped).as("a node's scrape").contains(name);
            }
        }
    }

    /** Every metric name in the scrape of a node's metrics, registered as the node registers them. */
    private static Set<String> scrapedNames() {
        try (Database db = TestPostgres.freshDatabase(); DatabaseHealth health = new DatabaseHealth(db, Duration.ofSeconds(2))) {
            NodeMetrics metrics = new NodeMetrics("node-a");
            metrics.watch(db, () -> true);
            TicketTimers timers = new TicketTimers(db, new DutyLeases(db.transactions(), Duration.ofSeconds(2)), new Tickets(),
                    new TicketTimerSettings("node-a", Duration.ofDays(7), Duration.ofMinutes(1), 10, Duration.ofSeconds(5),
                            Duration.ofSeconds(60)), Clock.systemUTC());
            metrics.watchTimers(timers);
            WatchSettings settings = WatchSettings.defaults().withChannels(null, new WatchSettings.AlertWebhook(
                    URI.create("http://127.0.0.1:9/hook"), WatchSettings.WebhookFormat.JSON, ""));
            SelfWatch watch = SelfWatch.create("node-a", "ticketd", settings, db, health, () -> {
                throw new IllegalStateException("no cluster");
            }, null, id -> Optional.empty(), id -> Optional.empty(), () -> true, Clock.systemUTC());
            metrics.watchSelfWatch(watch);
            Set<String> names = new HashSet<>();
            for (String line : metrics.scrape().split("\n")) {
                if (!line.startsWith("#") && !line.isBlank()) {
                    names.add(line.replaceAll("[{ ].*", ""));
                }
            }
            timers.close();
            return names;
        }
    }
}
