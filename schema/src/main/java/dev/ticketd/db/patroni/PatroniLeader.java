package dev.ticketd.db.patroni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Which PostgreSQL server is the primary, as Patroni decides it: asks the members' REST APIs for
 * {@code GET /cluster} every {@code interval} and remembers the member whose role is
 * {@code leader} and whose state is {@code running}.
 *
 * <p>Why not just trust {@code targetServerType=primary}: when only the primary's Patroni dies,
 * its PostgreSQL keeps running and still says it is primary, while a standby is promoted in its
 * place. The driver may keep choosing that zombie, whose commits wait for ever for a
 * synchronous standby. Patroni's own view never names the zombie: its leader key has expired.
 * When no member answers, the last known leader is kept (the connection attempt then decides). The
 * member that answered last is asked first.
 */
public final class PatroniLeader implements AutoCloseable {

    /** A PostgreSQL server's address as Patroni advertises it. */
    public record Endpoint(String host, int port) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(PatroniLeader.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<URI> restUrls;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final AtomicReference<Endpoint> leader = new AtomicReference<>();
    private final ScheduledExecutorService poller;
    private volatile Runnable onChange = () -> { };
    /** Notified whenever {@link #leader} changes (see {@link #awaitOtherThan}). */
    private final Object changed = new Object();
    /**
     * The member asked first: the one that answered last. A member whose host went silent costs a
     * poll its request timeout; asked first every time, it would delay every poll of a failover by
     * that much, so it is asked first no more after it failed once.
     */
    private volatile int askFirst;

    /**
     * Starts polling. {@code restUrls} are the members' REST API base addresses
     * (e.g. {@code http://10.0.0.1:8008}); each poll asks them in turn until one answers.
     */
    public PatroniLeader(List<URI> restUrls, Duration interval) {
        if (restUrls.isEmpty()) {
            throw new IllegalArgumentException("no Patroni REST address given");
        }
        this.restUrls = List.copyOf(restUrls);
        this.requestTimeout = Duration.ofMillis(Math.max(200, Math.min(interval.toMillis() * 2, 2_000)));
        this.http = HttpClient.newBuilder().connectTimeout(requestTimeout).build();
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "patroni-leader");
            t.setDaemon(true);
            return t;
        });
        refresh();
        poller.scheduleWithFixedDelay(this::refreshQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Parses {@code db.patroni-urls}: comma-separated {@code http://host:port} addresses. */
    public static List<URI> parseUrls(String commaSeparated) {
        return java.util.Arrays.stream(commaSeparated.split(","))
                .map(String::strip).filter(s -> !s.isEmpty())
                .map(s -> {
                    URI uri;
                    try {
                        uri = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
                    } catch (IllegalArgumentException e) {
                        uri = null;
                    }
                    if (uri == null || !"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                        throw new IllegalArgumentException("not a Patroni REST address (http://host:port): " + s);
                    }
                    return uri;
                }).toList();
    }

    /** The current leader, if Patroni has named one since start. */
    public Optional<Endpoint> leader() {
        return Optional.ofNullable(leader.get());
    }

    /**
     * Waits at most {@code max} for a leader other than {@code seen} (null: any leader); returns at once
     * when there is one already. For a connection attempt that failed on {@code seen}: the next one
     * should go out as soon as Patroni names the promoted member, not after a pool's backoff.
     */
    public void awaitOtherThan(Endpoint seen, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        synchronized (changed) {
            while (Objects.equals(leader.get(), seen)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(changed, left);
            }
        }
    }

    /** Runs {@code action} (on the poller's thread) whenever the leader changes. */
    public void onChange(Runnable action) {
        this.onChange = Objects.requireNonNull(action);
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            log.warn("patroni leader poll failed: {}", e.toString());
        }
    }

    /** One poll; public for tests that want the newest view now. */
    public void refresh() {
        int from = askFirst;
        for (int k = 0; k < restUrls.size(); k++) {
            int index = (from + k) % restUrls.size();
            URI base = restUrls.get(index);
            Optional<JsonNode> cluster = fetchCluster(base);
            if (cluster.isEmpty()) {
                continue;
            }
            askFirst = index;
            Endpoint found = null;
            for (JsonNode m : cluster.get().path("members")) {
                if (m.path("role").asText().equals("leader") && m.path("state").asText().equals("running")
                        && m.hasNonNull("host") && m.path("port").canConvertToInt()) {
                    found = new Endpoint(m.path("host").asText(), m.path("port").asInt());
                }
            }
            if (found == null) {
                return; // this member answers and knows of no running leader (a failover is under way): keep the last one
            }
            Endpoint previous = leader.getAndSet(found);
            if (!found.equals(previous)) {
                synchronized (changed) {
                    changed.notifyAll();
                }
                log.info("database primary is now {} (was {}), according to Patroni at {}", found, previous, base);
                onChange.run();
            }
            return;
        }
    }

    private Optional<JsonNode> fetchCluster(URI base) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve("/cluster"))
                    .timeout(requestTimeout).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return Optional.empty();
            }
            return Optional.of(JSON.readTree(response.body()));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
