package dev.ticketd.node.metrics;

import dev.ticketd.cluster.LeadershipListener;
import dev.ticketd.db.Database;
import dev.ticketd.mail.IngestObserver;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.node.intake.MailCounters;
import dev.ticketd.node.lifecycle.TicketTimers;
import dev.ticketd.node.watch.Sample;
import dev.ticketd.node.watch.SelfWatch;
import dev.ticketd.node.web.Access;
import dev.ticketd.node.web.WebFeature;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.jooq.Condition;
import org.jooq.Table;
import org.jooq.impl.DSL;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

import static dev.ticketd.db.generated.Tables.MAIL_FAILURE;
import static dev.ticketd.db.generated.Tables.OUTBOX;

/**
 * This node's Prometheus metrics: mail taken in (by outcome) and how long storing it took,
 * epoch rejections, leadership changes, outbox depth, what the mailbox readers and outbox senders
 * counted, ZooKeeper connection, JVM.
 */
public final class NodeMetrics implements IngestObserver {

    /** The counters every reader and sender keeps, by metric name (Prometheus adds {@code _total}). */
    private static final List<MailCounter> MAIL_COUNTERS = List.of(
            new MailCounter("ticketd.reader.stored", "mails a reader stored as a ticket message", MailCounters::stored),
            new MailCounter("ticketd.reader.already.stored", "mails a reader found stored already (by an earlier leader, or a copy)",
                    MailCounters::alreadyStored),
            new MailCounter("ticketd.reader.unparseable", "mails a reader stored raw in the quarantine (unreadable, too large or failing)",
                    MailCounters::unparseable),
            new MailCounter("ticketd.reader.failed.passes", "passes of a reader that failed on one mail (it stayed in the INBOX)",
                    MailCounters::failedPasses),
            new MailCounter("ticketd.reader.quarantined.after.failures",
                    "mails a reader stored raw in the quarantine after failing too many passes", MailCounters::quarantinedAfterFailures),
            new MailCounter("ticketd.outbox.sent", "outbound mails the SMTP server accepted", MailCounters::sent),
            new MailCounter("ticketd.outbox.retried", "outbound sends that failed for now (the mail waits for its next attempt)",
                    MailCounters::retried),
            new MailCounter("ticketd.outbox.failed", "outbound mails given up for good", MailCounters::failed),
            new MailCounter("ticketd.outbox.resent", "outbound mails found 'sending' past the claim expiry and sent again (possible duplicates)",
                    MailCounters::resent));

    private record MailCounter(String name, String description, ToLongFunction<MailCounters> value) {
    }

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private volatile Supplier<List<MailCounters>> mailCounters = List::of;
    private volatile SelfWatch selfWatch;
    private volatile Map<String, Sample.CanarySignal> canarySnapshot = Map.of();
    /** The counters as read at the start of the scrape in progress; the meters read them from here. */
    private volatile Map<String, MailCounters> mailSnapshot = Map.of();

    public NodeMetrics(String nodeId) {
        registry.config().commonTags("node", nodeId);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
    }

    @Override
    public void ingested(String mailboxId, IngestStore.Outcome outcome, Duration took) {
        Counter.builder("ticketd.mail.ingested").description("mails taken in, by outcome")
                .tags("mailbox", mailboxId, "outcome", outcome.name().toLowerCase())
                .register(registry).increment();
        Timer.builder("ticketd.mail.ingest").description("time to store one mail durably (parse + transaction)")
                .tags("mailbox", mailboxId).publishPercentiles(0.5, 0.99)
                .register(registry).record(took);
    }

    @Override
    public void epochRejected(String mailboxId) {
        Counter.builder("ticketd.epoch.rejections").description("writes refused because a newer lease epoch exists")
                .tags("mailbox", mailboxId).register(registry).increment();
    }

    @Override
    public void mailFailed(String mailboxId) {
        Counter.builder("ticketd.mail.failed.passes").description("passes over the INBOX that failed on one mail (it stayed for the next pass)")
                .tags("mailbox", mailboxId).register(registry).increment();
    }

    @Override
    public void quarantinedAfterFailures(String mailboxId) {
        Counter.builder("ticketd.mail.quarantined.after.failures")
                .description("mails stored raw in the quarantine after failing too many passes")
                .tags("mailbox", mailboxId).register(registry).increment();
    }

    @Override
    public void overBudget(String mailboxId) {
        Counter.builder("ticketd.mail.over.budget").description("mails that took longer than the parse budget (stored raw in the quarantine)")
                .tags("mailbox", mailboxId).register(registry).increment();
    }

    /** Counts leadership changes on their way to {@code delegate}. */
    public LeadershipListener counting(LeadershipListener delegate) {
        return new LeadershipListener() {
            @Override
            public void leadershipGained(String mailboxId) {
                count(mailboxId, "gained");
                delegate.leadershipGained(mailboxId);
            }

            @Override
            public void leadershipLost(String mailboxId) {
                count(mailboxId, "lost");
                delegate.leadershipLost(mailboxId);
            }
        };
    }

    private void count(String mailboxId, String change) {
        Counter.builder("ticketd.leadership.changes").description("this node started or stopped leading a mailbox")
                .tags("mailbox", mailboxId, "change", change).register(registry).increment();
    }

    /**
     * The most rows a gauge counts at a scrape: a scrape costs at most this many index entries however
     * large a backlog grows (the gauge then reads this number, which is alarm enough).
     */
    public static final int GAUGE_COUNT_CAP = 10_000;

    /** At most {@link #GAUGE_COUNT_CAP} rows of {@code table} that {@code where} selects. */
    private static int cappedCount(Database db, Table<?> table, Condition where) {
        return db.dsl().selectCount().from(DSL.selectOne().from(table).where(where).limit(GAUGE_COUNT_CAP).asTable("capped"))
                .fetchSingle(0, Integer.class);
    }

    /** Gauges read at scrape time: pending outbox rows (-1 when the database does not answer) and ZooKeeper contact. */
    public void watch(Database db, BooleanSupplier zooKeeperConnected) {
        Gauge.builder("ticketd.outbox.pending", () -> {
            try {
                return cappedCount(db, OUTBOX, OUTBOX.STATUS.eq("pending"));
            } catch (RuntimeException e) {
                return -1;
            }
        }).description("outbound mails waiting to be sent (counted up to " + GAUGE_COUNT_CAP + ")").register(registry);
        // one set of counters for every retry budget of this pool (web and background)
        FunctionCounter.builder("ticketd.db.transaction.retries", db.transactions().counters(), c -> c.retries())
                .description("transactions tried again after the database went away").register(registry);
        FunctionCounter.builder("ticketd.db.transaction.unavailable", db.transactions().counters(), c -> c.exhausted())
                .description("transactions given up because the database stayed away past the retry budget").register(registry);
        db.primaryState().ifPresent(ignored -> Gauge.builder("ticketd.db.primary.reachable",
                        () -> db.primaryState().map(s -> s.reachable() ? 1 : 0).orElse(1))
                .description("1 while a primary of the replicated database is reachable (else reads come from a standby)")
                .register(registry));
        Gauge.builder("ticketd.mail.failing", () -> {
            try {
                return cappedCount(db, MAIL_FAILURE, DSL.noCondition());
            } catch (RuntimeException e) {
                return -1;
            }
        }).description("mails in an INBOX whose last pass failed and that are not stored yet (-1 when the database does not answer)")
                .register(registry);
        Gauge.builder("ticketd.zookeeper.connected", () -> zooKeeperConnected.getAsBoolean() ? 1 : 0)
                .description("1 while this node is connected to ZooKeeper").register(registry);
    }

    /** Whether this node runs the ticket timers, when its last run ended, and what its runs changed. */
    /**
     * The live updates of this node's web server.
     *
     * @param streams   event streams it serves now
     * @param listening whether its connection listening for desk events is up
     */
    public void watchLive(IntSupplier streams, BooleanSupplier listening) {
        Gauge.builder("ticketd.live.streams", () -> streams.getAsInt())
                .description("live event streams (GET /events) this node serves now").register(registry);
        Gauge.builder("ticketd.live.listening", () -> listening.getAsBoolean() ? 1 : 0)
                .description("1 while this node's connection listening for desk events is up").register(registry);
    }

    public void watchTimers(TicketTimers timers) {
        Gauge.builder("ticketd.ticket.timers.running", () -> timers.running() ? 1 : 0)
                .description("1 on the node that runs the ticket timers (exactly one node of the cluster should)").register(registry);
        Gauge.builder("ticketd.ticket.timers.last.run", () -> {
            Instant at = timers.lastRunAt();
            return at == null ? 0 : at.getEpochSecond();
        }).description("when this node's last complete run of the ticket timers ended, in Unix seconds (0: none)").register(registry);
        FunctionCounter.builder("ticketd.ticket.timers.changes", timers, TicketTimers::reopenedTotal).tags("change", "reopened")
                .description("tickets the ticket timers of this node changed").register(registry);
        FunctionCounter.builder("ticketd.ticket.timers.changes", timers, TicketTimers::closedTotal).tags("change", "closed")
                .description("tickets the ticket timers of this node changed").register(registry);
        FunctionCounter.builder("ticketd.ticket.timers.changes", timers, TicketTimers::escalatedTotal).tags("change", "escalated")
                .description("tickets the ticket timers of this node changed").register(registry);
        FunctionCounter.builder("ticketd.ticket.timers.changes", timers, TicketTimers::notifiedTotal).tags("change", "notified")
                .description("tickets the ticket timers of this node changed").register(registry);
    }

    /** Shows what this node's self-watch does: whether it watches, the episodes it sees open, the notices it sent or failed. */
    public void watchSelfWatch(SelfWatch watch) {
        Gauge.builder("ticketd.watch.watching", () -> watch.watching() ? 1 : 0)
                .description("1 on the node whose self-watch looks at the cluster now (one node normally; one per side of a partition)")
                .register(registry);
        Gauge.builder("ticketd.watch.open.alerts", watch::openEpisodes)
                .description("alert episodes open at the watching node's latest round (0 on the others)").register(registry);
        FunctionCounter.builder("ticketd.watch.rounds", watch, SelfWatch::rounds)
                .description("rounds this node's self-watch looked at the cluster").register(registry);
        FunctionCounter.builder("ticketd.watch.canaries", watch, SelfWatch::canariesSent).tags("result", "sent")
                .description("canary mails this node handed to a mailbox's SMTP route, by result").register(registry);
        FunctionCounter.builder("ticketd.watch.canaries", watch, SelfWatch::canariesFailed).tags("result", "failed")
                .description("canary mails this node handed to a mailbox's SMTP route, by result").register(registry);
        this.selfWatch = watch;
        for (String channel : watch.channelNames()) {
            FunctionCounter.builder("ticketd.watch.notices", watch, w -> w.sent(channel)).tags("channel", channel, "result", "sent")
                    .description("alert notices this node sent, by channel and result").register(registry);
            FunctionCounter.builder("ticketd.watch.notices", watch, w -> w.failed(channel)).tags("channel", channel, "result", "failed")
                    .description("alert notices this node sent, by channel and result").register(registry);
        }
    }

    /**
     * Shows what the readers and senders counted (from {@code counters}, read once per scrape). A
     * mailbox's series appear with the first reader of it this node runs.
     */
    public void watchMail(Supplier<List<MailCounters>> counters) {
        this.mailCounters = counters;
    }

    /** The Prometheus text exposition. */
    public synchronized String scrape() {
        Map<String, MailCounters> snapshot = new HashMap<>();
        for (MailCounters c : mailCounters.get()) {
            snapshot.put(c.mailboxId(), c);
            for (MailCounter counter : MAIL_COUNTERS) {
                // registering again returns the meter already there
                FunctionCounter.builder(counter.name(), this, m -> m.mailCount(c.mailboxId(), counter.value()))
                        .description(counter.description()).tags("mailbox", c.mailboxId()).register(registry);
            }
        }
        mailSnapshot = snapshot;
        if (selfWatch != null) {
            Map<String, Sample.CanarySignal> canaries = new HashMap<>();
            for (Sample.CanarySignal c : selfWatch.canarySignals()) {
                canaries.put(c.mailboxId(), c);
                Gauge.builder("ticketd.watch.canary.late", this, m -> m.canary(c.mailboxId(), s -> s.lateInARow()))
                        .description("the mailbox's latest canaries in a row that came back late or not at all (watching node only)")
                        .tags("mailbox", c.mailboxId()).register(registry);
                Gauge.builder("ticketd.watch.canary.took.seconds", this, m -> m.canary(c.mailboxId(),
                                s -> s.lastTook() == null ? Double.NaN : s.lastTook().toMillis() / 1000.0))
                        .description("how long the mailbox's latest canary that came back took, from send to intake (watching node only)")
                        .tags("mailbox", c.mailboxId()).register(registry);
            }
            canarySnapshot = canaries;
        }
        return registry.scrape();
    }

    private double canary(String mailboxId, java.util.function.ToDoubleFunction<Sample.CanarySignal> value) {
        Sample.CanarySignal c = canarySnapshot.get(mailboxId);
        return c == null ? Double.NaN : value.applyAsDouble(c);
    }

    private double mailCount(String mailboxId, ToLongFunction<MailCounters> value) {
        MailCounters c = mailSnapshot.get(mailboxId);
        return c == null ? 0 : value.applyAsLong(c);
    }

    /** {@code GET /metrics}: with an admin's bearer token, like the API, for Prometheus. */
    public WebFeature route() {
        return routes -> routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(scrape()),
                Access.ADMIN);
    }
}
