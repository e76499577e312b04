package dev.ticketd.node.watch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code ticketd watch}: the watcher of the watchers, run on a machine outside the cluster's hosts.
 * Every interval it asks each node's {@code /health/ready} and {@code /health/watch}, and alerts
 * through its own channels when the whole cluster falls silent — no node ready for
 * {@code silentAfter} (all nodes down, their network gone, the database gone everywhere) — or when
 * nodes are ready but none has watched the cluster for that long (the self-watch itself is broken).
 * One process, so its episodes live in memory: one opening notice, reminders, one all-clear. Not
 * thread-safe: one thread calls {@link #round()}.
 */
public final class OutsideWatch {

    private static final Logger log = LoggerFactory.getLogger(OutsideWatch.class);
    static final String CLUSTER_SILENT = "cluster-silent";
    static final String NOBODY_WATCHES = "nobody-watches";
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);

    /**
     * @param nodes       every node's staff URL (its {@code http.public-url})
     * @param interval    how often the nodes are asked
     * @param silentAfter how long no node may be ready (or none watch) before the alert
     * @param remindEvery how often an open alert is repeated
     */
    public record Settings(String clusterName, List<URI> nodes, Duration interval, Duration silentAfter, Duration remindEvery) {
        public Settings {
            nodes = List.copyOf(nodes);
            if (nodes.isEmpty()) {
                throw new IllegalArgumentException("no node to watch");
            }
            if (silentAfter.compareTo(interval) <= 0) {
                throw new IllegalArgumentException("the silent time must be longer than the interval");
            }
        }
    }

    /**
     * What one node answered: ready or not (and why), watching or not, and — when it watches — at
     * how many mailboxes its canaries are late (else 0).
     */
    public record NodeAnswer(URI node, boolean ready, boolean watching, int canariesLate, String problem) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Settings settings;
    private final List<AlertChannel> channels;
    private final HttpClient http;
    private final Clock clock;
    private final Hysteresis hysteresis = new Hysteresis(1, 2);
    /** Since when no node was ready / none watched, or null while one was. */
    private Instant silentSince;
    private Instant unwatchedSince;
    private final Map<Finding.Key, Open> open = new LinkedHashMap<>();

    private static final class Open {
        final Finding finding;
        final Instant openedAt;
        Instant lastSent;
        int reminders;
        boolean opened;

        Open(Finding finding, Instant openedAt) {
            this.finding = finding;
            this.openedAt = openedAt;
        }
    }

    public OutsideWatch(Settings settings, List<AlertChannel> channels, HttpClient http, Clock clock) {
        this.settings = settings;
        this.channels = List.copyOf(channels);
        this.http = http;
        this.clock = clock;
    }

    /** Asks every node once. */
    public List<NodeAnswer> probe() {
        List<NodeAnswer> out = new ArrayList<>();
        for (URI node : settings.nodes()) {
            String base = node.toString().endsWith("/") ? node.toString() : node + "/";
            String problem = null;
            boolean ready = false;
            boolean watching = false;
            int canariesLate = 0;
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(base + "health/ready")).timeout(PROBE_TIMEOUT).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                ready = r.statusCode() == 200;
                if (!ready) {
                    problem = "not ready (HTTP " + r.statusCode() + ")";
                }
                HttpResponse<String> w = http.send(HttpRequest.newBuilder(URI.create(base + "health/watch")).timeout(PROBE_TIMEOUT).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (w.statusCode() == 200) {
                    JsonNode body = JSON.readTree(w.body());
                    watching = body.path("watching").asBoolean(false);
                    canariesLate = body.path("canariesLate").asInt(0);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                problem = "interrupted";
            } catch (Exception e) {
                problem = problem != null ? problem : "no answer: " + e.getClass().getSimpleName();
            }
            out.add(new NodeAnswer(node, ready, watching, canariesLate, problem));
        }
        return out;
    }

    /** Asks the nodes, applies the two rules and sends what is owed. */
    public List<NodeAnswer> round() {
        Instant now = clock.instant();
        List<NodeAnswer> answers = probe();
        boolean anyReady = answers.stream().anyMatch(NodeAnswer::ready);
        boolean anyWatching = answers.stream().anyMatch(NodeAnswer::watching);
        silentSince = anyReady ? null : Objects.requireNonNullElse(silentSince, now);
        unwatchedSince = !anyReady || anyWatching ? null : Objects.requireNonNullElse(unwatchedSince, now);
        List<Finding> found = new ArrayList<>();
        if (silentSince != null && Duration.between(silentSince, now).compareTo(settings.silentAfter()) >= 0) {
            found.add(new Finding(CLUSTER_SILENT, settings.clusterName(), Finding.Severity.STALL, "no ticketd node of cluster "
                    + settings.clusterName() + " has been ready for " + StallRules.human(Duration.between(silentSince, now))
                    + ": nothing is taken in and staff cannot work (" + describe(answers) + ")"));
        }
        if (unwatchedSince != null && Duration.between(unwatchedSince, now).compareTo(settings.silentAfter()) >= 0) {
            found.add(new Finding(NOBODY_WATCHES, settings.clusterName(), Finding.Severity.WARNING, "the nodes of cluster "
                    + settings.clusterName() + " are ready but none has watched itself for "
                    + StallRules.human(Duration.between(unwatchedSince, now)) + ": a stall inside would not be alerted"));
        }
        int late = answers.stream().filter(NodeAnswer::watching).mapToInt(NodeAnswer::canariesLate).max().orElse(0);
        if (late > 0) {
            // the cluster alerts this itself, through its own channels; here it is only said
            log.warn("the cluster's self-watch finds the canaries of {} mailbox(es) late", late);
        }
        hysteresis.update(found);
        for (Finding f : hysteresis.raised()) {
            Open o = open.computeIfAbsent(f.key(), k -> new Open(f, now));
            if (!o.opened) {
                o.opened = sendAll(new Alert(Alert.Event.OPEN, 0, f.rule(), f.subject(), f.severity(), f.summary(), o.openedAt,
                        settings.clusterName(), "outside watcher"));
                o.lastSent = now;
            } else if (Duration.between(o.lastSent, now).compareTo(settings.remindEvery()) >= 0) {
                o.reminders++;
                sendAll(new Alert(Alert.Event.REMIND, o.reminders, f.rule(), f.subject(), f.severity(), f.summary(), o.openedAt,
                        settings.clusterName(), "outside watcher"));
                o.lastSent = now;
            }
        }
        open.values().removeIf(o -> {
            if (!hysteresis.cleared(o.finding.key())) {
                return false;
            }
            if (o.opened) {
                sendAll(new Alert(Alert.Event.CLEAR, 0, o.finding.rule(), o.finding.subject(), o.finding.severity(), o.finding.summary(),
                        o.openedAt, settings.clusterName(), "outside watcher"));
            }
            return true;
        });
        return answers;
    }

    /** Open alerts, by rule. */
    public List<String> openRules() {
        return open.keySet().stream().map(Finding.Key::rule).toList();
    }

    /** Sends on every channel; true when at least one took it (the others are not retried: the reminder repeats it). */
    private boolean sendAll(Alert alert) {
        boolean any = false;
        for (AlertChannel c : channels) {
            try {
                c.send(alert);
                any = true;
                log.info("outside watcher sent channel={} event={} rule={}", c.name(), alert.event().value(), alert.rule());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                log.warn("outside watcher could not send channel={} event={} rule={} error={}: {}", c.name(), alert.event().value(),
                        alert.rule(), e.getClass().getSimpleName(), e.getMessage());
            }
        }
        return any;
    }

    private static String describe(List<NodeAnswer> answers) {
        return String.join("; ", answers.stream().map(a -> a.node().getHost() + ":" + a.node().getPort() + " "
                + (a.ready() ? "ready" : a.problem())).toList());
    }
}
