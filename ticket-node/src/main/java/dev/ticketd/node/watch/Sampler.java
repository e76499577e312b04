package dev.ticketd.node.watch;

import dev.ticketd.cluster.ClusterView;
import dev.ticketd.cluster.EnsembleProbe;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseStatus;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.quarantine.ReadOnlyMailbox;
import dev.ticketd.node.health.DatabaseHealth;
import org.jooq.Field;
import org.jooq.impl.DSL;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.MAILBOX_LEASE;
import static dev.ticketd.db.generated.Tables.MAILBOX_STATUS;
import static dev.ticketd.db.generated.Tables.OUTBOX;

/**
 * Reads every signal of a {@link Sample}: the mailboxes and their readers' last passes and the
 * outbox from the database, the database's primary and standbys, with the cluster as the watch read
 * it from ZooKeeper each
 * node's {@code /health/ready} and each ZooKeeper server's {@code srvr}, and — every look interval — a read-only look at the first mail of
 * each mailbox's INBOX over IMAP. Each read is bounded (one row per mailbox, one message per INBOX);
 * a read that fails is a signal too. When the database cannot be read, the mailboxes are those of
 * the last good read, their last pass counted on by the time since. One thread.
 */
final class Sampler {

    private static final Logger log = LoggerFactory.getLogger(Sampler.class);
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(3);
    private static final Field<Double> SINCE_PASS = DSL.field("extract(epoch from now() - {0})", Double.class,
            MAILBOX_STATUS.LAST_PASS_AT).as("since_pass");
    /** The oldest outbound mail still waiting of a mailbox: the first row of the outbox's (mailbox, status, id) index. */
    private static final Field<Double> OLDEST_WAITING = DSL.field(DSL.select(DSL.field("extract(epoch from now() - {0})", Double.class,
                    OUTBOX.CREATED_AT)).from(OUTBOX)
            .where(OUTBOX.MAILBOX_ID.eq(MAILBOX.ID).and(OUTBOX.STATUS.eq("pending"))).orderBy(OUTBOX.ID).limit(1)).as("oldest_waiting");

    /**
     * A mailbox's mails quarantined in the last hour, by the (parse_status, received_at) index, counted
     * up to 1,000 (a number to alert on, not to report).
     */
    private static final Field<Integer> QUARANTINED_LAST_HOUR = DSL.field(DSL.selectCount().from(DSL.select(DSL.one()).from(INBOUND_MESSAGE)
            .where(INBOUND_MESSAGE.PARSE_STATUS.eq("failed"))
            .and(INBOUND_MESSAGE.RECEIVED_AT.gt(DSL.field("now() - interval '1 hour'", java.time.OffsetDateTime.class)))
            .and(INBOUND_MESSAGE.MAILBOX_ID.eq(MAILBOX.ID)).limit(1000))).as("quarantined_last_hour");

    private final Database db;
    private final DatabaseHealth databaseHealth;
    /** How to read a mailbox (the same settings its reader uses), or empty when this node has none. */
    private final Function<String, Optional<MailboxSettings>> mailboxes;
    private final HttpClient http;
    /** The ZooKeeper servers, asked each round while the cluster can be read; or null: not asked. */
    private final EnsembleProbe ensemble;
    private final Clock clock;
    private List<Sample.MailboxSignal> lastMailboxes = List.of();
    private List<Sample.OutboxSignal> lastOutbox = List.of();
    private long lastReadNanos;
    private final Map<String, Sample.Look> looks = new HashMap<>();

    Sampler(Database db, DatabaseHealth databaseHealth, Function<String, Optional<MailboxSettings>> mailboxes, HttpClient http,
            Clock clock) {
        this(db, databaseHealth, mailboxes, http, null, clock);
    }

    /** @param ensemble the ZooKeeper servers to ask each round, or null */
    Sampler(Database db, DatabaseHealth databaseHealth, Function<String, Optional<MailboxSettings>> mailboxes, HttpClient http,
            EnsembleProbe ensemble, Clock clock) {
        this.db = db;
        this.databaseHealth = databaseHealth;
        this.mailboxes = mailboxes;
        this.http = http;
        this.ensemble = ensemble;
        this.clock = clock;
    }

    /**
     * @param look whether to look into the INBOXes this time (else the last looks are not repeated)
     * @param view the cluster as read from ZooKeeper for this round, or null when it could not be read
     */
    Sample sample(boolean look, ClusterView view) {
        Instant at = clock.instant();
        DatabaseStatus status = databaseHealth.status();
        int sync = (int) status.standbys().stream().filter(s -> "sync".equals(s.syncState()) || "quorum".equals(s.syncState())).count();
        Duration replayLag = status.standbys().stream()
                .filter(s -> ("sync".equals(s.syncState()) || "quorum".equals(s.syncState())) && s.replayLagMillis() != null)
                .map(s -> Duration.ofMillis(s.replayLagMillis())).max(Duration::compareTo).orElse(null);
        Sample.DatabaseSignal database = new Sample.DatabaseSignal(status.primaryReachable() ? null : status.primaryError(),
                status.replicated(), sync, replayLag);
        readDatabase(status.primaryReachable());
        Map<String, String> leaders = new HashMap<>();
        if (view != null) {
            view.mailboxes().forEach(m -> leaders.put(m.id(), m.leader()));
        }
        looks.clear();
        List<Sample.MailboxSignal> mailboxSignals = new ArrayList<>();
        for (Sample.MailboxSignal m : lastMailboxes) {
            Sample.Look l = look && !m.paused() ? look(m.id()) : null;
            mailboxSignals.add(new Sample.MailboxSignal(m.id(), m.address(), m.paused(), leaders.get(m.id()), m.sinceLastPass(),
                    m.lastError(), l, m.epoch(), m.quarantinedLastHour()));
        }
        return new Sample(at, mailboxSignals, lastOutbox, database, view == null ? null
                : new Sample.ClusterSignal(nodes(view), zookeeper()));
    }

    /** Each ZooKeeper server's answer (a short timeout each); empty when not asked. */
    private List<Sample.ZooKeeperServer> zookeeper() {
        if (ensemble == null || ensemble.size() < 2) {
            return List.of(); // a single server: the cluster's being readable says all there is
        }
        return ensemble.probe().stream().map(z -> new Sample.ZooKeeperServer(z.address(), z.problem())).toList();
    }

    /** Reads mailboxes and outbox; when that fails, ages the last read by the time since. */
    private void readDatabase(boolean primaryReachable) {
        long now = System.nanoTime();
        if (primaryReachable) {
            try {
                List<Sample.MailboxSignal> read = new ArrayList<>();
                List<Sample.OutboxSignal> outbox = new ArrayList<>();
                db.dsl().select(MAILBOX.ID, MAILBOX.ADDRESS, MAILBOX.ENABLED, MAILBOX.SMTP_HOST, SINCE_PASS, MAILBOX_STATUS.LAST_ERROR,
                                OLDEST_WAITING, MAILBOX_LEASE.EPOCH, QUARANTINED_LAST_HOUR)
                        .from(MAILBOX).leftJoin(MAILBOX_STATUS).on(MAILBOX_STATUS.MAILBOX_ID.eq(MAILBOX.ID))
                        .leftJoin(MAILBOX_LEASE).on(MAILBOX_LEASE.MAILBOX_ID.eq(MAILBOX.ID))
                        .orderBy(MAILBOX.ID)
                        .forEach(r -> {
                            Double since = r.get(SINCE_PASS);
                            Long epoch = r.get(MAILBOX_LEASE.EPOCH);
                            read.add(new Sample.MailboxSignal(r.get(MAILBOX.ID), r.get(MAILBOX.ADDRESS), !r.get(MAILBOX.ENABLED), null,
                                    since == null ? null : seconds(since), r.get(MAILBOX_STATUS.LAST_ERROR), null,
                                    epoch == null ? 0 : epoch, r.get(QUARANTINED_LAST_HOUR)));
                            Double waiting = r.get(OLDEST_WAITING);
                            // a mailbox without SMTP keeps its outbox unsent on purpose: nothing is stuck
                            if (waiting != null && r.get(MAILBOX.SMTP_HOST) != null) {
                                outbox.add(new Sample.OutboxSignal(r.get(MAILBOX.ID), r.get(MAILBOX.ADDRESS), seconds(waiting)));
                            }
                        });
                lastMailboxes = read;
                lastOutbox = outbox;
                lastReadNanos = now;
                return;
            } catch (RuntimeException e) {
                log.debug("watch cannot read the mailboxes: {}", e.toString());
            }
        }
        Duration elapsed = Duration.ofNanos(now - lastReadNanos);
        lastMailboxes = lastMailboxes.stream().map(m -> new Sample.MailboxSignal(m.id(), m.address(), m.paused(), null,
                m.sinceLastPass() == null ? null : m.sinceLastPass().plus(elapsed), m.lastError(), null, m.epoch(),
                m.quarantinedLastHour())).toList();
        lastReadNanos = now;
    }

    private Sample.Look look(String mailboxId) {
        Optional<MailboxSettings> settings;
        try {
            settings = mailboxes.apply(mailboxId);
        } catch (RuntimeException e) {
            return Sample.Look.failed("its settings cannot be read: " + e.getMessage());
        }
        if (settings.isEmpty()) {
            return Sample.Look.failed("this node has no settings (or no secret) for it");
        }
        MailboxSettings s = settings.get();
        try (ReadOnlyMailbox box = new ReadOnlyMailbox(s)) {
            box.open();
            ReadOnlyMailbox.Head head = box.head(s.inboxFolder());
            return new Sample.Look(head.count(), head.uid(),
                    head.received() == null ? null : Duration.between(head.received(), clock.instant()), null);
        } catch (Exception e) {
            return Sample.Look.failed(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** Every enabled node with its problem: not live, or its {@code /health/ready} not answering 200. */
    private List<Sample.NodeSignal> nodes(ClusterView view) {
        List<Sample.NodeSignal> out = new ArrayList<>();
        for (ClusterView.Node n : view.nodes()) {
            if (!n.enabled()) {
                continue; // drained by an operator: not expected to work
            }
            if (!n.live()) {
                out.add(new Sample.NodeSignal(n.id(), "not connected to the cluster"));
                continue;
            }
            out.add(new Sample.NodeSignal(n.id(), n.httpUrl() == null ? null : ready(n.httpUrl())));
        }
        return out;
    }

    /** Null when the node answers ready, else why not. */
    private String ready(String httpUrl) {
        try {
            URI uri = URI.create(httpUrl.endsWith("/") ? httpUrl : httpUrl + "/").resolve("health/ready");
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(uri).timeout(PEER_TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200 ? null : "not ready (HTTP " + r.statusCode() + " from /health/ready)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (Exception e) {
            return "no answer to /health/ready: " + e.getClass().getSimpleName();
        }
    }

    private static Duration seconds(double s) {
        return Duration.ofMillis(Math.max(0, Math.round(s * 1000)));
    }
}
