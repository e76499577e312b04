package dev.ticketd.chaos;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.jooq.impl.DSL.count;
import static org.jooq.impl.DSL.min;

/**
 * Measures mailbox failover on a local three-node cluster: sends mail at a steady rate, kills the
 * mailbox's leader {@code --kills} times ({@code kill -9}, SIGTERM, or alternating), restarts the
 * killed node each time, and reports per kind of kill the time from the kill until the first mail
 * committed by the next leader, plus lost and duplicated mails over the whole run (both must be zero).
 *
 * <p>"First commit" is the earliest {@code inbound_message.received_at} under a newer epoch. Unlike
 * the chaos checkers this needs no commit order: the epoch alone places the row after the new lease
 * grant, which is after the kill, and the database here is one local server that does not fail over.
 * {@code received_at} is the start of that intake transaction, so the figure is short by the length
 * of one local transaction (milliseconds); the test database is not guaranteed to record commit
 * times ({@code track_commit_timestamp} is off by default), so the start is what can be read.
 *
 * <p>Usage: {@code FailoverBenchmark [--kills 20] [--mode alternate|kill9|sigterm] [--rate 5]
 * [--out target/failover-bench.json] [--jar ../ticket-node/target/ticketd.jar]}. Exit status 0 when
 * nothing was lost or duplicated, 1 otherwise, 2 on a usage error.
 */
public final class FailoverBenchmark {

    private static final Logger log = LoggerFactory.getLogger(FailoverBenchmark.class);
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(90);

    enum Mode { KILL9, SIGTERM }

    record Options(int kills, String mode, double rate, Path out, Path jar) {
        static Options parse(String[] args) {
            int kills = 20;
            String mode = "alternate";
            double rate = 5;
            Path out = Path.of("target", "failover-bench.json");
            Path jar = Path.of(System.getProperty("ticketd.jar", "../ticket-node/target/ticketd.jar"));
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--kills" -> kills = Integer.parseInt(require(args[i], value));
                    case "--mode" -> mode = require(args[i], value);
                    case "--rate" -> rate = Double.parseDouble(require(args[i], value));
                    case "--out" -> out = Path.of(require(args[i], value));
                    case "--jar" -> jar = Path.of(require(args[i], value));
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
                i++;
            }
            if (kills < 1 || kills > 1000) {
                throw new IllegalArgumentException("--kills must be 1..1000");
            }
            if (!Set.of("alternate", "kill9", "sigterm").contains(mode)) {
                throw new IllegalArgumentException("--mode must be alternate, kill9 or sigterm");
            }
            if (rate <= 0 || rate > 100) {
                throw new IllegalArgumentException("--rate must be in (0, 100] mails per second");
            }
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException("no node jar at " + jar.toAbsolutePath() + " (build it: mvn -DskipTests package)");
            }
            return new Options(kills, mode, rate, out, jar.toAbsolutePath());
        }

        Mode modeOf(int kill) {
            return switch (mode) {
                case "kill9" -> Mode.KILL9;
                case "sigterm" -> Mode.SIGTERM;
                default -> kill % 2 == 0 ? Mode.KILL9 : Mode.SIGTERM;
            };
        }

        private static String require(String option, String value) {
            if (value == null) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return value;
        }
    }

    /** One kill: who, how, and how long until the next leader committed a mail. */
    record Kill(int n, Mode mode, String victim, long oldEpoch, String successor, long newEpoch,
                long leaseTakenMillis, long firstCommitMillis) {
    }

    private final Options options;
    private final LocalCluster cluster;
    private final Map<String, Instant> sent = new ConcurrentHashMap<>();
    private final AtomicInteger sendFailures = new AtomicInteger();
    private final AtomicInteger sequence = new AtomicInteger();

    private FailoverBenchmark(Options options) {
        this.options = options;
        this.cluster = new LocalCluster(options.jar(), Path.of("target", "failover-bench").toAbsolutePath());
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("failover-bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        int status;
        FailoverBenchmark bench = new FailoverBenchmark(options);
        try {
            status = bench.run();
        } finally {
            bench.cluster.close();
        }
        System.exit(status);
    }

    private int run() throws Exception {
        log.info("starting a three-node cluster jar={}", options.jar());
        cluster.start();
        ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "bench-sender"));
        long periodMicros = Math.round(1_000_000 / options.rate());
        sender.scheduleAtFixedRate(this::sendOne, 0, periodMicros, TimeUnit.MICROSECONDS);
        List<Kill> kills = new ArrayList<>();
        Instant started = Instant.now();
        try {
            for (int k = 0; k < options.kills(); k++) {
                kills.add(killOnce(k, options.modeOf(k)));
            }
        } finally {
            sender.shutdown();
            sender.awaitTermination(30, TimeUnit.SECONDS);
        }
        Duration runTime = Duration.between(started, Instant.now());
        Totals totals = awaitTotals();
        String table = table(kills, totals, runTime);
        System.out.println(table);
        Files.createDirectories(options.out().toAbsolutePath().getParent());
        Files.writeString(options.out(), json(kills, totals, runTime));
        System.out.println("JSON written to " + options.out().toAbsolutePath());
        return totals.lost() == 0 && totals.duplicated() == 0 ? 0 : 1;
    }

    private void sendOne() {
        String subject = "bench-" + sequence.getAndIncrement();
        try {
            cluster.mail().send(LocalCluster.SUPPORT, List.of(cluster.mail().textMail(
                    "customer@example.test", LocalCluster.SUPPORT, subject, "failover benchmark " + subject)));
            sent.put(subject, Instant.now());
        } catch (RuntimeException e) {
            // not delivered to the mail server, so not the help desk's to lose; counted apart
            sendFailures.incrementAndGet();
            log.warn("send failed subject={} error={}", subject, e.toString());
        }
    }

    private Kill killOnce(int n, Mode mode) throws Exception {
        LocalCluster.Lease lease = awaitSteadyLeader();
        String victim = lease.holder();
        Instant killedAt = Instant.now();
        if (mode == Mode.KILL9) {
            cluster.kill9(victim);
        } else {
            cluster.terminate(victim);
        }
        // the first mail committed under a newer epoch: the next leader is taking mail in (timed from the
        // start of its transaction: see the class comment)
        OffsetDateTime[] first = {null};
        Poll.until("a mail committed after the kill of " + victim, STEP_TIMEOUT, () -> {
            first[0] = cluster.db().dsl().select(min(INBOUND_MESSAGE.RECEIVED_AT)).from(INBOUND_MESSAGE)
                    .where(INBOUND_MESSAGE.EPOCH.gt(lease.epoch())).fetchOne(0, OffsetDateTime.class);
            return first[0] != null;
        });
        LocalCluster.Lease next = cluster.lease();
        Kill kill = new Kill(n + 1, mode, victim, lease.epoch(), next.holder(), next.epoch(),
                Duration.between(killedAt, next.acquiredAt().toInstant()).toMillis(),
                Duration.between(killedAt, first[0].toInstant()).toMillis());
        log.info("kill {}/{} mode={} victim={} epoch {}->{} successor={} leaseTakenAfter={}ms firstCommitAfter={}ms",
                kill.n(), options.kills(), mode, victim, kill.oldEpoch(), kill.newEpoch(), kill.successor(),
                kill.leaseTakenMillis(), kill.firstCommitMillis());
        Process p = cluster.process(victim);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            log.warn("{} still running 30 s after {}; killing it", victim, mode);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        cluster.startNode(victim);
        cluster.awaitLive(3, STEP_TIMEOUT);
        return kill;
    }

    /**
     * The current leader once it is steady: alive, its lease unchanged for two seconds (a
     * restarted node may take the leadership back meanwhile) and at least one mail committed
     * under its epoch.
     */
    private LocalCluster.Lease awaitSteadyLeader() throws InterruptedException {
        LocalCluster.Lease[] seen = {null};
        long[] since = {0};
        Poll.until("a steady mailbox leader", STEP_TIMEOUT, () -> {
            LocalCluster.Lease l = cluster.lease();
            if (l.holder() == null || !cluster.isAlive(l.holder())) {
                return false;
            }
            if (seen[0] == null || seen[0].epoch() != l.epoch()) {
                seen[0] = l;
                since[0] = System.nanoTime();
            }
            return System.nanoTime() - since[0] > TimeUnit.SECONDS.toNanos(2)
                    && cluster.db().dsl().fetchExists(INBOUND_MESSAGE, INBOUND_MESSAGE.EPOCH.eq(l.epoch()));
        });
        return seen[0];
    }

    record Totals(int sent, int sendFailures, int stored, int tickets, int lost, int duplicated, int leftInInbox) {
    }

    /** Waits (bounded) until every sent mail is stored, then counts losses and duplicates. */
    private Totals awaitTotals() throws InterruptedException {
        try {
            Poll.until("every sent mail stored", Duration.ofSeconds(60),
                    () -> cluster.db().dsl().fetchCount(INBOUND_MESSAGE) >= sent.size());
        } catch (IllegalStateException e) {
            log.warn("{}", e.getMessage()); // the counts below say what is missing
        }
        Map<String, Integer> stored = countBySubject(INBOUND_MESSAGE.SUBJECT, INBOUND_MESSAGE);
        Map<String, Integer> tickets = countBySubject(TICKET.SUBJECT, TICKET);
        int lost = 0;
        for (String subject : sent.keySet()) {
            if (!stored.containsKey(subject) || !tickets.containsKey(subject)) {
                lost++;
            }
        }
        int duplicated = 0;
        for (Map<String, Integer> m : List.of(stored, tickets)) {
            duplicated += m.values().stream().mapToInt(c -> Math.max(0, c - 1)).sum();
        }
        int inbox = cluster.mail().uids(LocalCluster.SUPPORT, LocalCluster.PASSWORD, "INBOX").size();
        return new Totals(sent.size(), sendFailures.get(), stored.values().stream().mapToInt(Integer::intValue).sum(),
                tickets.values().stream().mapToInt(Integer::intValue).sum(), lost, duplicated, inbox);
    }

    private Map<String, Integer> countBySubject(org.jooq.Field<String> subject, org.jooq.Table<?> table) {
        return cluster.db().dsl().select(subject, count()).from(table).groupBy(subject)
                .fetchMap(r -> r.value1() == null ? "" : r.value1(), r -> r.value2());
    }

    private static long percentile(List<Long> sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.size()); // nearest rank
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    private Map<Mode, List<Kill>> byMode(List<Kill> kills) {
        return kills.stream().collect(Collectors.groupingBy(Kill::mode, TreeMap::new, Collectors.toList()));
    }

    private String table(List<Kill> kills, Totals t, Duration runTime) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%nFailover benchmark: %d kills, %.1f mails/s, ZooKeeper session timeout 4 s, %d cores, run %d s%n",
                kills.size(), options.rate(), Runtime.getRuntime().availableProcessors(), runTime.toSeconds()));
        s.append("time from the kill of the mailbox leader until the next leader committed a mail (ms)\n");
        s.append(String.format(Locale.ROOT, "%-8s %5s %7s %7s %7s %7s   %s%n", "mode", "kills", "min", "median", "p99", "max", "lease taken after (median)"));
        byMode(kills).forEach((mode, list) -> {
            List<Long> commit = list.stream().map(Kill::firstCommitMillis).sorted().toList();
            List<Long> lease = list.stream().map(Kill::leaseTakenMillis).sorted().toList();
            s.append(String.format(Locale.ROOT, "%-8s %5d %7d %7d %7d %7d   %d%n", label(mode), list.size(), commit.get(0),
                    percentile(commit, 0.5), percentile(commit, 0.99), commit.get(commit.size() - 1), percentile(lease, 0.5)));
        });
        s.append(String.format(Locale.ROOT, "mails sent %d (send failures %d), stored %d, tickets %d, lost %d, duplicated %d, left in INBOX %d%n",
                t.sent(), t.sendFailures(), t.stored(), t.tickets(), t.lost(), t.duplicated(), t.leftInInbox()));
        return s.toString();
    }

    private static String label(Mode mode) {
        return mode == Mode.KILL9 ? "kill -9" : "SIGTERM";
    }

    private String json(List<Kill> kills, Totals t, Duration runTime) {
        StringBuilder s = new StringBuilder("{\n");
        s.append(String.format(Locale.ROOT, "  \"kills\": %d, \"ratePerSecond\": %.2f, \"sessionTimeoutMillis\": 4000, \"cores\": %d, \"runSeconds\": %d,%n",
                kills.size(), options.rate(), Runtime.getRuntime().availableProcessors(), runTime.toSeconds()));
        s.append("  \"summary\": {");
        String summary = byMode(kills).entrySet().stream().map(e -> {
            List<Long> commit = e.getValue().stream().map(Kill::firstCommitMillis).sorted().toList();
            return String.format(Locale.ROOT, "\n    \"%s\": {\"count\": %d, \"minMillis\": %d, \"medianMillis\": %d, \"p99Millis\": %d, \"maxMillis\": %d}",
                    e.getKey().name().toLowerCase(Locale.ROOT), commit.size(), commit.get(0), percentile(commit, 0.5),
                    percentile(commit, 0.99), commit.get(commit.size() - 1));
        }).collect(Collectors.joining(","));
        s.append(summary).append("\n  },\n");
        s.append(String.format(Locale.ROOT, "  \"mails\": {\"sent\": %d, \"sendFailures\": %d, \"stored\": %d, \"tickets\": %d, \"lost\": %d, \"duplicated\": %d, \"leftInInbox\": %d},%n",
                t.sent(), t.sendFailures(), t.stored(), t.tickets(), t.lost(), t.duplicated(), t.leftInInbox()));
        s.append("  \"runs\": [");
        s.append(kills.stream().map(k -> String.format(Locale.ROOT,
                "\n    {\"n\": %d, \"mode\": \"%s\", \"victim\": \"%s\", \"oldEpoch\": %d, \"successor\": \"%s\", \"newEpoch\": %d, \"leaseTakenMillis\": %d, \"firstCommitMillis\": %d}",
                k.n(), k.mode().name().toLowerCase(Locale.ROOT), k.victim(), k.oldEpoch(), k.successor(), k.newEpoch(),
                k.leaseTakenMillis(), k.firstCommitMillis())).collect(Collectors.joining(",")));
        s.append("\n  ]\n}\n");
        return s.toString();
    }
}
