package dev.ticketd.node.watch;

import dev.ticketd.cluster.ClusterView;
import dev.ticketd.cluster.EnsembleProbe;
import dev.ticketd.cluster.LeadershipListener;
import dev.ticketd.db.Database;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.outbound.SmtpSettings;
import dev.ticketd.node.health.DatabaseHealth;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The help desk watching itself: samples every signal, applies the {@link StallRules} with
 * {@link Hysteresis}, keeps one {@link AlertEpisodes alert episode} per trouble and tells operations
 * through every {@link AlertChannel} once per episode, with reminders and an all-clear.
 *
 * <p><b>Who watches.</b> Normally the LEADER of the cluster duty {@value #DUTY} (Helix tells this
 * listener). Every other node checks each interval when another node last looked
 * ({@code watch_state}); when nobody has for {@code take-over-after} plus {@code rank-step} per node
 * ranked before it (by node id), it watches too — the runner is gone and Helix could not move the
 * duty, e.g. because ZooKeeper is away — and stops as soon as another node looks again. When the
 * database itself cannot be read, a node asks its peers' {@code /health/watch} instead and watches
 * when none of them has for as long. So a partition can give an alert twice (once per side), never
 * zero times.
 *
 * <p><b>Fail-open.</b> Episodes and notices are claimed in the database, so any number of watching
 * nodes send each notice once. When the database cannot be written, the watching node sends at once
 * what it sees, remembering in memory what it sent; when the database is back it records those
 * notices so they are not sent again.
 *
 * <p>Threading: one thread of its own, always running; leadership calls only set a flag.
 */
public final class SelfWatch implements LeadershipListener, AutoCloseable {

    public static final String DUTY = "self-watch";
    private static final Logger log = LoggerFactory.getLogger(SelfWatch.class);
    /** Writes of the watch retry this long at most: a database away must be noticed and worked around soon. */
    static final Duration RETRY_BUDGET = Duration.ofSeconds(3);
    /** A notice whose send failed is tried again after this long, by whichever node watches then. */
    static final Duration RESEND_AFTER = Duration.ofSeconds(60);
    /** All-clears still owed are looked for among episodes closed this recently. */
    static final Duration CLEAR_WINDOW = Duration.ofHours(1);
    static final Duration HEARTBEAT_EVERY = Duration.ofSeconds(30);
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(2);

    private final String nodeId;
    private final String clusterName;
    private final WatchSettings settings;
    private final Sampler sampler;
    /** The canary, or null when {@code watch.canary-interval} is zero. */
    private final Canaries canaries;
    private final AlertEpisodes episodes;
    private final List<AlertChannel> channels;
    private final Supplier<ClusterView> cluster;
    private final BooleanSupplier ready;
    private final HttpClient http;
    private final Clock clock;

    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean leader;
    /** Whether this node looked at the cluster in its last round (answers {@code /health/watch}). */
    private volatile boolean watching;

    // the watch thread's own state
    private StallRules rules;
    private Hysteresis hysteresis;
    private Instant lastLook = Instant.EPOCH;
    private Instant lastHeartbeat = Instant.EPOCH;
    /** Since when no other node is known to watch (by the database or by asking peers). */
    private Instant nobodyElseSince;
    /** The nodes of the cluster, ordered, as last read: a node's place in it is its rank. */
    private List<String> knownNodes = List.of();
    private Map<String, String> knownUrls = Map.of();
    /** Episodes this node alerted while the database was away, by trouble; recorded when it is back. */
    private final Map<Finding.Key, Direct> direct = new LinkedHashMap<>();
    /** The troubles open in the database at the last round that could read it: alerted already. */
    private Set<Finding.Key> openInDatabase = Set.of();
    /** When this node began its current spell of watching (by the watch's clock). */
    private Instant watchingSince;

    private record Direct(Finding finding, Instant openedAt, Set<String> sentOn) {
    }

    // counters for the metrics
    private final AtomicLong rounds = new AtomicLong();
    private final Map<String, AtomicLong> sent = new HashMap<>();
    private final Map<String, AtomicLong> failed = new HashMap<>();
    private volatile int openEpisodes;
    private volatile List<Sample.CanarySignal> canarySignals = List.of();

    /**
     * @param cluster reads the cluster from ZooKeeper (for ranks and peers); may throw
     * @param ready   whether this node is ready to serve (the heartbeat is pushed only then)
     */
    SelfWatch(String nodeId, String clusterName, WatchSettings settings, Sampler sampler, Canaries canaries, AlertEpisodes episodes,
                     List<AlertChannel> channels, Supplier<ClusterView> cluster, BooleanSupplier ready, HttpClient http, Clock clock) {
        this.nodeId = nodeId;
        this.clusterName = clusterName;
        this.settings = settings;
        this.sampler = sampler;
        this.canaries = canaries;
        this.episodes = episodes;
        this.channels = List.copyOf(channels);
        this.cluster = cluster;
        this.ready = ready;
        this.http = http;
        this.clock = clock;
        for (AlertChannel c : this.channels) {
            sent.put(c.name(), new AtomicLong());
            failed.put(c.name(), new AtomicLong());
        }
        this.nobodyElseSince = clock.instant();
        this.thread = new Thread(this::run, "self-watch");
        thread.setDaemon(true);
    }

    /**
     * The self-watch of a node, with the channels of {@code settings}; not started.
     *
     * @param ensemble  the ZooKeeper servers, each asked every round whether it serves; or null
     * @param mailboxes how to read a mailbox (the settings its reader uses), for the looks into its INBOX
     * @param routes    each mailbox's SMTP route, for the canary; empty for a mailbox without one
     */
    public static SelfWatch create(String nodeId, String clusterName, WatchSettings settings, Database db, DatabaseHealth databaseHealth,
                                   Supplier<ClusterView> cluster, EnsembleProbe ensemble,
                                   Function<String, Optional<MailboxSettings>> mailboxes,
                                   Function<String, Optional<SmtpSettings>> routes, BooleanSupplier ready, Clock clock) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(PEER_TIMEOUT).build();
        Canaries canaries = settings.canaryInterval().isZero() ? null
                : new Canaries(db, routes, mailboxes, nodeId, settings.canaryInterval(), settings.canaryDeadline());
        return new SelfWatch(nodeId, clusterName, settings, new Sampler(db, databaseHealth, mailboxes, http, ensemble, clock), canaries,
                new AlertEpisodes(db, RETRY_BUDGET), channels(settings, http), cluster, ready, http, clock);
    }

    /** The channels {@code settings} configure: the ops relay, the webhook; empty when none is. */
    public static List<AlertChannel> channels(WatchSettings settings, HttpClient http) {
        List<AlertChannel> out = new ArrayList<>();
        if (settings.smtp() != null) {
            out.add(new SmtpAlertChannel(settings.smtp()));
        }
        if (settings.webhook() != null) {
            out.add(new WebhookAlertChannel(settings.webhook(), http));
        }
        return out;
    }

    public void start() {
        thread.start();
        log.info("self-watch started node={} settings={} channels={}", nodeId, settings,
                channels.stream().map(AlertChannel::name).toList());
    }

    @Override
    public void leadershipGained(String duty) {
        if (DUTY.equals(duty)) {
            leader = true;
        }
    }

    @Override
    public void leadershipLost(String duty) {
        if (DUTY.equals(duty)) {
            leader = false;
        }
    }

    /** Whether this node looked at the cluster in its latest round. */
    public boolean watching() {
        return watching;
    }

    public long rounds() {
        return rounds.get();
    }

    /** Notices this node sent on {@code channel}. */
    public long sent(String channel) {
        AtomicLong n = sent.get(channel);
        return n == null ? 0 : n.get();
    }

    /** Notices this node failed to send on {@code channel}. */
    public long failed(String channel) {
        AtomicLong n = failed.get(channel);
        return n == null ? 0 : n.get();
    }

    public List<String> channelNames() {
        return channels.stream().map(AlertChannel::name).toList();
    }

    /** What {@code /health/watch} says of this node's watch now. */
    public WatchRoutes.Status status() {
        return new WatchRoutes.Status(watching,
                (int) canarySignals.stream().filter(c -> c.lateInARow() >= StallRules.LATE_CANARIES).count());
    }

    /** Canary mails this node sent, and those its route refused. */
    public long canariesSent() {
        return canaries == null ? 0 : canaries.sent();
    }

    public long canariesFailed() {
        return canaries == null ? 0 : canaries.failed();
    }

    /** The canaries as this node saw them at its latest round as the watching node (empty when it does not watch). */
    public List<Sample.CanarySignal> canarySignals() {
        return canarySignals;
    }

    /** Alert episodes open at this node's latest round as the watching node (0 when it does not watch). */
    public int openEpisodes() {
        return openEpisodes;
    }

    private void run() {
        do {
            try {
                round();
            } catch (RuntimeException e) {
                log.warn("self-watch round failed node={} error={}", nodeId, e.toString());
            }
        } while (!sleep(settings.interval()));
    }

    /** One round: decide whether to watch, watch, push the heartbeat. */
    void round() {
        Instant now = clock.instant();
        ClusterView view = readCluster();
        boolean watchNow = leader || nobodyElseWatching(now);
        if (watchNow && !watching) {
            log.info("self-watch watching node={} as={}", nodeId, leader ? "duty leader" : "stand-in (nobody else watched)");
            rules = new StallRules(settings, nodeId);
            hysteresis = new Hysteresis(settings.raiseAfter(), settings.clearAfter());
            lastLook = Instant.EPOCH;
            watchingSince = now;
        } else if (!watchNow && watching) {
            log.info("self-watch no longer watching node={}", nodeId);
            rules = null;
            hysteresis = null;
            openEpisodes = 0;
            canarySignals = List.of();
        }
        watching = watchNow;
        if (watchNow) {
            evaluate(now, view);
            rounds.incrementAndGet();
        }
        heartbeat(now);
    }

    /** Reads the cluster once per round (null when ZooKeeper cannot be read) and remembers its nodes for ranks and peers. */
    private ClusterView readCluster() {
        try {
            ClusterView view = cluster.get();
            List<String> ids = new ArrayList<>(new TreeSet<>(view.nodes().stream().map(ClusterView.Node::id).toList()));
            Map<String, String> urls = new HashMap<>();
            view.nodes().forEach(n -> {
                if (n.httpUrl() != null) {
                    urls.put(n.id(), n.httpUrl());
                }
            });
            knownNodes = ids;
            knownUrls = urls;
            return view;
        } catch (RuntimeException e) {
            // ZooKeeper away: the last known nodes still rank and reach
            return null;
        }
    }

    /** How long this node waits for another to watch before it does: later the further back it ranks. */
    Duration patience() {
        int rank = Math.max(0, knownNodes.indexOf(nodeId));
        return settings.takeOverAfter().plus(settings.rankStep().multipliedBy(rank));
    }

    /** Whether no other node has watched for this node's patience (by the database, else by asking the peers). */
    private boolean nobodyElseWatching(Instant now) {
        try {
            Optional<Duration> since = episodes.sinceOthersEvaluated(nodeId);
            if (since.isPresent()) {
                // remembered for when the database is away too: the wait counts from the last watching seen
                Instant last = now.minus(since.get());
                if (last.isAfter(nobodyElseSince)) {
                    nobodyElseSince = last;
                }
                return since.get().compareTo(patience()) > 0;
            }
            // no other node ever watched (a new cluster, or an old node beside a new one): count from our start
        } catch (RuntimeException e) {
            if (anyPeerWatching()) {
                nobodyElseSince = now;
                return false;
            }
        }
        return Duration.between(nobodyElseSince, now).compareTo(patience()) > 0;
    }

    private boolean anyPeerWatching() {
        for (Map.Entry<String, String> peer : knownUrls.entrySet()) {
            if (peer.getKey().equals(nodeId)) {
                continue;
            }
            try {
                String url = peer.getValue().endsWith("/") ? peer.getValue() : peer.getValue() + "/";
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url).resolve("health/watch"))
                        .timeout(PEER_TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && r.body().contains("\"watching\":true")) {
                    return true;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (Exception e) {
                // no answer: that peer does not watch
            }
        }
        return false;
    }

    /** Samples, applies the rules, and brings the episodes and notices in line with what is raised. */
    private void evaluate(Instant now, ClusterView view) {
        boolean look = Duration.between(lastLook, now).compareTo(settings.lookInterval()) >= 0;
        if (look) {
            lastLook = now;
        }
        Sample sample = sampler.sample(look, view);
        if (canaries != null && sample.database().reachable()) {
            try {
                sample = sample.withCanaries(canaries.round(sample.mailboxes().stream().filter(m -> !m.paused()).toList(), now));
            } catch (RuntimeException e) {
                log.debug("self-watch cannot read or send the canaries node={} error={}", nodeId, e.toString());
            }
        }
        canarySignals = sample.canaries();
        List<Finding> findings = rules.evaluate(sample);
        hysteresis.update(findings);
        List<Finding> raised = hysteresis.raised();
        if (!sample.database().reachable()) {
            // no primary answers this node (gone, or refusing writes): trying the claims would only
            // spend each round's retry budget and stretch the rounds, and so the time to alert
            log.debug("self-watch without a database primary, alerting directly node={}", nodeId);
            alertDirectly(raised, now);
            return;
        }
        try {
            reconcile(raised, now);
            episodes.evaluated(nodeId);
        } catch (RuntimeException e) {
            log.warn("self-watch cannot use the database, alerting directly node={} error={}", nodeId, e.toString());
            alertDirectly(raised, now);
        }
    }

    /**
     * With the database: open what is raised, close what cleared, remind, send every notice owed. An
     * episode is closed only by a node that has watched for at least the stall time: a node that just
     * took the watching over has not seen long enough to say a trouble it inherited is over.
     */
    void reconcile(List<Finding> raised, Instant now) {
        boolean seenLongEnough = Duration.between(watchingSince, now).compareTo(settings.stallAfter()) >= 0;
        recordDirect();
        Map<Finding.Key, AlertEpisodes.Episode> open = new LinkedHashMap<>();
        episodes.open().forEach(e -> open.put(e.key(), e));
        for (Finding f : raised) {
            if (!open.containsKey(f.key())) {
                episodes.open(f, nodeId).ifPresent(e -> {
                    log.warn("alert opened rule={} subject={} severity={} summary={}", e.rule(), e.subject(), e.severity().value(),
                            e.summary());
                    open.put(e.key(), e);
                });
            }
        }
        List<AlertEpisodes.Episode> stillOpen = new ArrayList<>();
        for (AlertEpisodes.Episode e : open.values()) {
            if (seenLongEnough && hysteresis.cleared(e.key())) {
                if (episodes.close(e.id(), nodeId)) {
                    log.info("alert cleared rule={} subject={} openFor={}", e.rule(), e.subject(),
                            Duration.between(e.openedAt(), clock.instant()));
                }
            } else {
                stillOpen.add(e);
            }
        }
        openEpisodes = stillOpen.size();
        openInDatabase = stillOpen.stream().map(AlertEpisodes.Episode::key).collect(java.util.stream.Collectors.toSet());
        Map<Long, String> reminders = new HashMap<>();
        for (AlertEpisodes.Episode e : stillOpen) {
            OptionalInt n = episodes.remind(e, settings.remindEvery());
            if (n.isPresent()) {
                reminders.put(e.id(), "remind-" + n.getAsInt());
            }
        }
        List<AlertEpisodes.Episode> closed = episodes.recentlyClosed(CLEAR_WINDOW);
        List<Long> ids = new ArrayList<>();
        stillOpen.forEach(e -> ids.add(e.id()));
        closed.forEach(e -> ids.add(e.id()));
        Map<String, AlertEpisodes.Notice> notices = episodes.notices(ids);
        for (AlertEpisodes.Episode e : stillOpen) {
            Finding latest = raised.stream().filter(f -> f.key().equals(e.key())).findFirst().orElse(null);
            String summary = latest == null ? e.summary() : latest.summary();
            Alert opening = new Alert(Alert.Event.OPEN, 0, e.rule(), e.subject(), e.severity(), summary, e.openedAt(), clusterName,
                    nodeId);
            notify(e, AlertEpisodes.OPEN, channel -> opening, notices);
            String remind = reminders.get(e.id());
            if (remind != null) {
                int n = Integer.parseInt(remind.substring("remind-".length()));
                Alert reminder = new Alert(Alert.Event.REMIND, n, e.rule(), e.subject(), e.severity(), summary, e.openedAt(),
                        clusterName, nodeId);
                notify(e, remind, channel -> reminder, notices);
            }
        }
        for (AlertEpisodes.Episode e : closed) {
            // a channel that failed all the while the alert lasted hears of it first here: the all-clear says so
            notify(e, AlertEpisodes.CLEAR, channel -> new Alert(Alert.Event.CLEAR, 0, e.rule(), e.subject(), e.severity(), e.summary(),
                    e.openedAt(), clusterName, nodeId, !sent(notices, e, AlertEpisodes.OPEN, channel)), notices);
        }
    }

    private static boolean sent(Map<String, AlertEpisodes.Notice> notices, AlertEpisodes.Episode e, String event, String channel) {
        AlertEpisodes.Notice n = notices.get(AlertEpisodes.noticeKey(e.id(), event, channel));
        return n != null && n.sentAt() != null;
    }

    /** Sends the alert for each channel that has not had it, each claimed in the database first. */
    private void notify(AlertEpisodes.Episode e, String event, Function<String, Alert> alertFor, Map<String, AlertEpisodes.Notice> notices) {
        for (AlertChannel channel : channels) {
            if (sent(notices, e, event, channel.name())) {
                continue;
            }
            if (!episodes.claim(e.id(), event, channel.name(), nodeId, RESEND_AFTER)) {
                continue; // another node sends it, or its last try is too recent
            }
            String error = send(channel, alertFor.apply(channel.name()));
            if (error == null) {
                episodes.sent(e.id(), event, channel.name());
            } else {
                episodes.failed(e.id(), event, channel.name(), error);
            }
        }
    }

    /** Sends one notice; null when the channel took it, else the error (logged, never with a secret). */
    private String send(AlertChannel channel, Alert alert) {
        try {
            channel.send(alert);
            sent.get(channel.name()).incrementAndGet();
            log.info("alert notice sent channel={} event={} rule={} subject={}", channel.name(), alert.event().value(), alert.rule(),
                    alert.subject());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed.get(channel.name()).incrementAndGet();
            return "interrupted";
        } catch (Exception e) {
            failed.get(channel.name()).incrementAndGet();
            String error = e.getClass().getSimpleName() + ": " + e.getMessage();
            log.warn("alert notice not sent channel={} event={} rule={} subject={} error={}", channel.name(), alert.event().value(),
                    alert.rule(), alert.subject(), error);
            return error;
        }
    }

    /**
     * Without the database: every raised trouble not alerted yet (not open in the database when it was
     * last read) is sent on every channel now, and
     * every one alerted so that has cleared gets its all-clear. A channel that fails is tried again
     * next round.
     */
    private void alertDirectly(List<Finding> raised, Instant now) {
        for (Finding f : raised) {
            if (openInDatabase.contains(f.key())) {
                continue; // alerted before the database went away; its all-clear waits for the database
            }
            Direct d = direct.computeIfAbsent(f.key(), k -> new Direct(f, now, new HashSet<>()));
            for (AlertChannel c : channels) {
                if (!d.sentOn().contains(c.name()) && send(c, new Alert(Alert.Event.OPEN, 0, f.rule(), f.subject(), f.severity(),
                        f.summary() + " (sent without the database: another node may send it too)", d.openedAt(), clusterName,
                        nodeId)) == null) {
                    d.sentOn().add(c.name());
                }
            }
        }
        openEpisodes = direct.size();
        direct.values().removeIf(d -> {
            if (!hysteresis.cleared(d.finding().key())) {
                return false;
            }
            clearDirect(d);
            return true;
        });
    }

    /** The all-clear of a trouble alerted without the database, on every channel (once, without a retry). */
    private void clearDirect(Direct d) {
        Finding f = d.finding();
        for (AlertChannel c : channels) {
            send(c, new Alert(Alert.Event.CLEAR, 0, f.rule(), f.subject(), f.severity(), f.summary(), d.openedAt(), clusterName,
                    nodeId, !d.sentOn().contains(c.name())));
        }
    }

    /**
     * The database is back: each trouble alerted without it and still raised becomes an episode
     * whose opening notice is recorded as sent on the channels that took it; one that cleared
     * meanwhile gets its all-clear now.
     */
    private void recordDirect() {
        for (var it = direct.values().iterator(); it.hasNext(); ) {
            Direct d = it.next();
            if (hysteresis.cleared(d.finding().key())) {
                clearDirect(d);
            } else {
                Optional<AlertEpisodes.Episode> opened = episodes.open(d.finding(), nodeId);
                long id = opened.map(AlertEpisodes.Episode::id).orElseGet(() -> episodes.open().stream()
                        .filter(e -> e.key().equals(d.finding().key())).mapToLong(AlertEpisodes.Episode::id).findFirst().orElse(-1));
                if (id >= 0) {
                    for (String channel : d.sentOn()) {
                        episodes.sentEarlier(id, AlertEpisodes.OPEN, channel, nodeId);
                    }
                }
            }
            it.remove();
        }
    }

    /** Pushes the dead man's switch's heartbeat while this node is ready. */
    private void heartbeat(Instant now) {
        URI url = settings.heartbeatUrl();
        if (url == null || Duration.between(lastHeartbeat, now).compareTo(HEARTBEAT_EVERY) < 0 || !ready.getAsBoolean()) {
            return;
        }
        lastHeartbeat = now;
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(url).timeout(PEER_TIMEOUT.multipliedBy(5)).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() / 100 != 2) {
                log.warn("heartbeat refused status={} url={}://{}", r.statusCode(), url.getScheme(), url.getAuthority());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("heartbeat not delivered url={}://{} error={}", url.getScheme(), url.getAuthority(), e.getClass().getSimpleName());
        }
    }

    /** @return true when stopped meanwhile */
    private boolean sleep(Duration d) {
        try {
            return stop.await(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    @Override
    public void close() {
        if (canaries != null) {
            canaries.close();
        }
        stop.countDown();
        try {
            thread.join(Duration.ofSeconds(15).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
