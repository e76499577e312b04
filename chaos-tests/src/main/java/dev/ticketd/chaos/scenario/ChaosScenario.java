package dev.ticketd.chaos.scenario;

import dev.ticketd.chaos.Poll;
import dev.ticketd.chaos.Procs;
import dev.ticketd.chaos.Reaper;
import dev.ticketd.chaos.RoleDefaults;
import dev.ticketd.chaos.Ticker;
import dev.ticketd.chaos.UiProbe;
import dev.ticketd.chaos.scenario.check.Checker;
import dev.ticketd.chaos.scenario.check.History;
import dev.ticketd.chaos.scenario.report.ReportWriter;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.ticketd.db.generated.Tables.ALERT_EPISODE;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/**
 * A chaos scenario on three simulated hosts ({@link ThreeHostCluster}): customers keep emailing,
 * staff keep reading and replying, and the {@link Nemesis} injects faults on a seeded schedule,
 * each into a whole cluster. Afterwards the system drains, the run's {@link History} (the customers'
 * sends as ok / fail / unknown, and what the database holds) is judged by the {@link Checker}: every
 * mail the mail server accepted became exactly one ticket message in the right ticket, a mail whose
 * send had no observed answer is there at most once, and no two epochs of a mailbox committed at
 * overlapping times by the database's commit order; the run also checks that every staff reply
 * reached the customer. Then it writes {@code report.json} and {@code report.html} with the run's
 * logs beside them.
 *
 * <p>{@code chaos-tests/run --scenario [--duration 10m] [--rate 3] [--faults all|a,b,c] [--seed N] [--out DIR]}; root only.
 */
public final class ChaosScenario {

    private static final Logger log = LoggerFactory.getLogger(ChaosScenario.class);
    private static final Duration SESSION_TIMEOUT = ThreeHostCluster.sessionTimeout(); // the Ansible role's value

    record Options(Duration duration, double rate, List<Nemesis.Type> faults, long seed, Path out, Path jar,
                   Duration lateNetwork, Duration pause) {
    }

    private final Options options;
    private final List<RunReport.Fault> faults = new CopyOnWriteArrayList<>();
    /** When each fault of {@link #faults} (same index) was repaired; only silent faults have one. */
    private final Map<Integer, Instant> repairedAt = new java.util.concurrent.ConcurrentHashMap<>();
    /** Per fault (by its index): when a whole-host fault that took the database primary saw another member promoted. */
    private final Map<Integer, Instant> promotedAt = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<RunReport.Leadership> leaderships = new CopyOnWriteArrayList<>();
    private final List<RunReport.StaffReply> staffReplies = new CopyOnWriteArrayList<>();
    private final List<RunReport.Check> checks = new ArrayList<>();
    private ThreeHostCluster cluster;

    ChaosScenario(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println("usage: [--duration 10m] [--rate 3] [--faults all|type,type] [--seed N] [--out DIR]"
                    + " [--late-network 30s] [--pause 5s] [--jar ticketd.jar]");
            System.exit(2);
            return;
        }
        int status;
        try {
            status = new ChaosScenario(options).run();
        } finally {
            Reaper.closeAll();
        }
        System.exit(status);
    }

    static Options parse(String[] args) {
        Duration duration = Duration.ofMinutes(10);
        double rate = 3;
        List<Nemesis.Type> faults = Arrays.asList(Nemesis.Type.values());
        long seed = System.currentTimeMillis() % 100_000;
        Path out = Path.of("target", "chaos-scenario");
        Path jar = Path.of(System.getProperty("ticketd.jar", "../ticket-node/target/ticketd.jar"));
        Duration lateNetwork = Duration.ofSeconds(30);
        Duration pause = Duration.ofSeconds(5);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--duration" -> duration = duration(v, "--duration");
                case "--rate" -> rate = Double.parseDouble(v);
                case "--faults" -> faults = v.equals("all") ? Arrays.asList(Nemesis.Type.values())
                        : Arrays.stream(v.split(",")).map(String::strip).map(Nemesis.Type::parse).toList();
                case "--seed" -> seed = Long.parseLong(v);
                case "--out" -> out = Path.of(v);
                case "--jar" -> jar = Path.of(v);
                case "--late-network" -> lateNetwork = duration(v, "--late-network");
                case "--pause" -> pause = duration(v, "--pause");
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (!(rate > 0 && rate <= 30)) {
            throw new IllegalArgumentException("--rate must be above 0 and at most 30 mails/s, was " + rate);
        }
        if (duration.compareTo(Duration.ofMinutes(1)) < 0 || duration.compareTo(Duration.ofHours(12)) > 0) {
            throw new IllegalArgumentException("--duration must be between 1m and 12h, was " + duration);
        }
        if (lateNetwork.compareTo(Duration.ofSeconds(30)) < 0 || lateNetwork.compareTo(Duration.ofSeconds(120)) > 0) {
            throw new IllegalArgumentException("--late-network must be between 30s and 120s, was " + lateNetwork);
        }
        if (faults.isEmpty()) {
            throw new IllegalArgumentException("--faults names no fault type");
        }
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("no node jar at " + jar.toAbsolutePath() + " (build it: mvn -DskipTests package)");
        }
        return new Options(duration, rate, List.copyOf(faults), seed, out.toAbsolutePath(), jar.toAbsolutePath(), lateNetwork, pause);
    }

    private static Duration duration(String v, String option) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(v);
        if (!m.matches()) {
            throw new IllegalArgumentException(option + " must look like 90s, 10m or 1h, was '" + v + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    int run() throws Exception {
        Files.createDirectories(options.out());
        // short: Dovecot puts Unix sockets below it
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "tc-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        Reaper.register(() -> Procs.deleteTree(dir));
        cluster = Reaper.register(new ThreeHostCluster(dir, options.jar(), SESSION_TIMEOUT));
        Reaper.register(() -> cluster.copyLogs(options.out().resolve("logs"))); // before the cluster is closed
        Instant started = Instant.now();
        log.info("scenario seed={} duration={} rate={} faults={}", options.seed(), options.duration(), options.rate(),
                options.faults().stream().map(t -> t.id).toList());
        cluster.start();
        Nemesis nemesis = new Nemesis(cluster, SESSION_TIMEOUT, options.lateNetwork(), options.seed());
        Customers customers = new Customers(cluster.hosts().host("mail").address(), ThreeHostCluster.SMTP_PORT,
                ThreeHostCluster.SUPPORT, options.seed(), this::ticketOfTag);
        List<UiProbe> probes = new ArrayList<>();
        for (String h : ThreeHostCluster.NODE_HOSTS) {
            UiProbe p = new UiProbe(cluster.httpUrl(h), ThreeHostCluster.STAFF_EMAIL, ThreeHostCluster.STAFF_PASSWORD);
            p.login();
            probes.add(p);
        }
        Random random = new Random(options.seed() * 31 + 7);
        Instant loadStarted;
        Instant loadEnded;
        List<Ticker> uiTickers = new ArrayList<>(); // one per node: a node that hangs must not delay the others' samples
        for (UiProbe p : probes) {
            uiTickers.add(new Ticker("staff-ui", Duration.ofMillis(500), p::probe));
        }
        try (Ticker load = new Ticker("customers", Duration.ofMillis((long) (1000 / options.rate())), customers::sendOne);
             Ticker leaders = new Ticker("leader-watch", Duration.ofMillis(250), this::watchLeader);
             Ticker replies = new Ticker("staff-replies", Duration.ofSeconds(4), () -> staffReply(customers, random))) {
            loadStarted = Instant.now();
            Instant deadline = loadStarted.plus(options.duration());
            List<Nemesis.Type> order = new ArrayList<>();
            int n = 0;
            Thread.sleep(options.pause().toMillis());
            while (Instant.now().plus(Duration.ofSeconds(30)).isBefore(deadline)) {
                if (order.isEmpty()) {
                    order.addAll(options.faults());
                    Collections.shuffle(order, random);
                }
                Nemesis.Type type = order.remove(0);
                if (!awaitWholeOrRecord(nemesis, type)) {
                    break;
                }
                n++;
                log.info("fault {} {} begins", n, type.id);
                Nemesis.Outcome o;
                try {
                    o = nemesis.inject(type);
                } catch (Exception e) {
                    log.error("fault {} could not be applied", type.id, e);
                    faults.add(new RunReport.Fault(type.id, "?", Instant.now(), Instant.now(), false,
                            "could not be applied: " + e, -1, -1));
                    break; // a fault that cannot be applied fails the run loudly; stop injecting
                }
                if (o.repairedAt() != null) {
                    repairedAt.put(faults.size(), o.repairedAt());
                }
                if (o.promotedAt() != null) {
                    promotedAt.put(faults.size(), o.promotedAt());
                }
                faults.add(new RunReport.Fault(o.type().id, o.target(), o.start(), o.end(), o.confirmed(), o.detail(), -1, -1));
                log.info("fault {} {} target={} confirmed={} {}", n, type.id, o.target(), o.confirmed(), o.detail());
                Thread.sleep(options.pause().toMillis());
            }
            try {
                nemesis.awaitWhole(Duration.ofSeconds(240));
                checks.add(new RunReport.Check("the cluster became whole again after the last fault", true, "3 nodes, ZooKeeper, database, mailbox leader"));
            } catch (IllegalStateException e) {
                checks.add(new RunReport.Check("the cluster became whole again after the last fault", false, e.getMessage()));
            }
            load.close();
            // no staff reply after the load either: one posted while the drain ends would be judged
            // before the mail server could deliver it (seen once: posted 0.7 s before the check)
            replies.close();
            loadEnded = Instant.now();
            drain(customers);
            Thread.sleep(3000);
        } finally {
            for (Ticker t : uiTickers) {
                t.close();
            }
        }
        RunReport report = check(customers, probes, started, loadStarted, loadEnded);
        cluster.copyLogs(options.out().resolve("logs"));
        ReportWriter.write(report, options.out());
        System.out.println(summary(report));
        return report.verdict().verdict().equals("pass") ? 0 : 1;
    }

    /** Waits for a whole cluster before a fault; when it does not come, records that as a failed fault and says stop. */
    private boolean awaitWholeOrRecord(Nemesis nemesis, Nemesis.Type next) throws InterruptedException {
        try {
            nemesis.awaitWhole(Duration.ofSeconds(240));
            return true;
        } catch (IllegalStateException e) {
            log.error("the cluster did not become whole before {}: {}", next.id, e.getMessage());
            faults.add(new RunReport.Fault(next.id, "?", Instant.now(), Instant.now(), false,
                    "not injected: the cluster was not whole within 240 s after the previous fault", -1, -1));
            return false;
        }
    }

    // ---- observers -----------------------------------------------------------------------------

    private String lastHolder;
    private long lastEpoch = -1;

    private void watchLeader() {
        ThreeHostCluster.Lease l = cluster.lease();
        if (l.epoch() != lastEpoch) {
            Instant now = Instant.now();
            synchronized (leaderships) {
                if (!leaderships.isEmpty()) {
                    RunReport.Leadership prev = leaderships.remove(leaderships.size() - 1);
                    leaderships.add(new RunReport.Leadership(prev.mailbox(), prev.holder(), prev.epoch(), prev.from(), now, prev.causedByFault()));
                }
                leaderships.add(new RunReport.Leadership(ThreeHostCluster.MAILBOX_ID, l.holder(), l.epoch(), now, null, false));
            }
            lastHolder = l.holder();
            lastEpoch = l.epoch();
        }
    }

    private Optional<String> ticketOfTag(String tag) {
        try {
            return Optional.ofNullable(cluster.db().dsl().select(TICKET.NUMBER).from(TICKET_MESSAGE)
                    .join(INBOUND_MESSAGE).on(INBOUND_MESSAGE.ID.eq(TICKET_MESSAGE.INBOUND_MESSAGE_ID))
                    .join(TICKET).on(TICKET.ID.eq(TICKET_MESSAGE.TICKET_ID))
                    .where(INBOUND_MESSAGE.MESSAGE_ID.eq(Customers.messageId(tag)))
                    .limit(1).fetchOne(TICKET.NUMBER));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** A staff reply through the API of a random node, to a random ticket; retried with the same key until answered. */
    private void staffReply(Customers customers, Random random) {
        Long ticketId;
        try {
            ticketId = cluster.db().dsl().select(TICKET.ID).from(TICKET).orderBy(org.jooq.impl.DSL.rand()).limit(1).fetchOne(TICKET.ID);
        } catch (RuntimeException e) {
            return;
        }
        if (ticketId == null) {
            return;
        }
        String key = "chaos-reply-" + UUID.randomUUID();
        Instant at = Instant.now();
        int status = -1;
        for (int attempt = 0; attempt < 5 && (status < 200 || status >= 300); attempt++) {
            String h = ThreeHostCluster.NODE_HOSTS.get(random.nextInt(3));
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(cluster.httpUrl(h) + "/api/v1/tickets/" + ticketId + "/replies"))
                        .timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + cluster.apiToken())
                        .header("Idempotency-Key", key)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"body\": \"staff reply " + key + "\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                status = r.statusCode();
            } catch (Exception e) {
                status = -1;
            }
            if (status < 200 || status >= 300) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        staffReplies.add(new RunReport.StaffReply(key, Long.toString(ticketId), at, status, 0));
    }

    /** Waits (bounded) until every accepted mail is stored and the outbox is empty. */
    private void drain(Customers customers) throws InterruptedException {
        int accepted = (int) customers.sent().values().stream().filter(s -> s.outcome() == History.Outcome.OK).count();
        try {
            Poll.until("every accepted mail stored and the outbox sent", Duration.ofSeconds(180), () -> {
                try {
                    DSLContext db = cluster.db().dsl();
                    // the self-watch's canaries are stored too, and are not the customers' mail
                    return db.fetchCount(INBOUND_MESSAGE, INBOUND_MESSAGE.MAILBOX_ID.eq(ThreeHostCluster.MAILBOX_ID)
                            .andNotExists(org.jooq.impl.DSL.selectOne().from(dev.ticketd.db.generated.Tables.CANARY_PROBE)
                                    .where(dev.ticketd.db.generated.Tables.CANARY_PROBE.MESSAGE_ID.eq(INBOUND_MESSAGE.MESSAGE_ID)))) >= accepted
                            && db.fetchCount(OUTBOX, OUTBOX.STATUS.in("pending", "sending")) == 0;
                } catch (RuntimeException e) {
                    return false;
                }
            });
        } catch (IllegalStateException e) {
            log.warn("{}", e.getMessage()); // the checker says what is missing
        }
    }

    // ---- the checks: the recorded history judged by the Checker, plus replies, gaps and faults ---

    private RunReport check(Customers customers, List<UiProbe> probes, Instant started, Instant loadStarted, Instant loadEnded)
            throws Exception {
        DSLContext db = cluster.db().dsl();
        History history = new History(List.copyOf(customers.sent().values()), StoredMails.load(db, ThreeHostCluster.MAILBOX_ID));
        Checker.Verdicts judged = Checker.check(history);
        List<RunReport.Mail> mails = new ArrayList<>();
        List<Long> timeToTicket = new ArrayList<>();
        for (Checker.MailJudgement m : judged.mails()) {
            History.Send s = m.send();
            if (s.outcome() == History.Outcome.OK && m.ticketedAt() != null) {
                timeToTicket.add(Math.max(0, Duration.between(s.invokedAt(), m.ticketedAt()).toMillis()));
            }
            mails.add(new RunReport.Mail(s.tag(), s.kind().id(), s.replyToTag(), s.invokedAt(), s.outcome() == History.Outcome.OK,
                    s.outcome().id(), m.ticketedAt(), m.messages(), m.ticket(), m.inExpectedTicket()));
        }
        Collections.sort(timeToTicket);
        // staff replies: each sent reply must reach the capture mailbox once
        Map<String, Integer> captured = capturedByMessageId();
        Map<String, String> messageIdOfKey = new HashMap<>();
        db.select(TICKET_MESSAGE.IDEMPOTENCY_KEY, OUTBOX.MESSAGE_ID).from(OUTBOX)
                .join(TICKET_MESSAGE).on(TICKET_MESSAGE.ID.eq(OUTBOX.TICKET_MESSAGE_ID))
                .where(TICKET_MESSAGE.IDEMPOTENCY_KEY.like("chaos-reply-%"))
                .forEach(r -> messageIdOfKey.put(r.value1(), r.value2()));
        List<RunReport.StaffReply> replies = new ArrayList<>();
        int repliesSent = 0;
        int repliesCaptured = 0;
        int repliesDuplicated = 0;
        int repliesMissing = 0;
        for (RunReport.StaffReply r : staffReplies) {
            boolean acknowledged = r.status() >= 200 && r.status() < 300;
            String messageId = messageIdOfKey.get(r.idempotencyKey());
            int copies = messageId == null ? 0 : captured.getOrDefault(messageId, 0);
            if (acknowledged) {
                repliesSent++;
                if (copies == 0) {
                    repliesMissing++;
                }
            }
            if (copies > 0) {
                repliesCaptured++;
            }
            repliesDuplicated += Math.max(0, copies - 1);
            replies.add(new RunReport.StaffReply(r.idempotencyKey(), r.ticket(), r.at(), r.status(), copies));
        }
        // per fault: intake gap (longest stretch without a commit from its start to its end + 60 s) and UI gap
        List<Instant> commits = history.stored().stream().map(History.Stored::committedAt).filter(java.util.Objects::nonNull)
                .distinct().sorted().toList();
        List<RunReport.UiSample> ui = new ArrayList<>();
        for (int i = 0; i < probes.size(); i++) {
            String node = ThreeHostCluster.NODE_HOSTS.get(i);
            probes.get(i).samples().forEach(s -> ui.add(new RunReport.UiSample(node, s.path(), s.at(), s.status(), s.millis(), s.fromStandby())));
        }
        List<RunReport.Fault> measured = new ArrayList<>();
        for (int k = 0; k < faults.size(); k++) {
            RunReport.Fault f = faults.get(k);
            // a fault's window: from its start until 60 s (intake) or 30 s (UI) after its end, but never
            // into the next fault or past the end of the load
            Instant limit = k + 1 < faults.size() ? faults.get(k + 1).start() : loadEnded;
            limit = limit.isAfter(loadEnded) ? loadEnded : limit;
            long intakeGap = longestGap(commits, f.start(), earliest(f.end().plusSeconds(60), limit));
            // staff use whichever node answers: the gap is how long no node answered /tickets
            long uiGap = anyNodeGap(probes, f.start(), earliest(f.end().plusSeconds(30), limit));
            // a silent fault: what operations received from its start until the next fault
            boolean silent = Nemesis.Type.SILENT.contains(Nemesis.Type.parse(f.type()));
            RunReport.Alerting alerting = silent ? AlertMeasure.measure(cluster.alerts().notices(), f.start(), repairedAt.get(k),
                    k + 1 < faults.size() ? faults.get(k + 1).start() : Instant.now()) : null;
            String detail = f.detail();
            Instant promoted = promotedAt.get(k);
            if (promoted != null) {
                // the fault's gap in two parts: the database failover, and what the nodes add after it
                detail += "; database promoted " + Duration.between(f.start(), promoted).toMillis() + " ms after the fault began, "
                        + commits.stream().filter(c -> c.isAfter(promoted)).findFirst()
                                .map(c -> "next mail stored " + Duration.between(promoted, c).toMillis() + " ms after the promotion")
                                .orElse("no mail stored after the promotion");
            }
            if (f.type().equals(Nemesis.Type.IMAP_IDLE_FREEZE.id)) {
                detail += "; intake stopped for at most " + AlertMeasure.seconds(longestGap(commits, f.start(), f.end()))
                        + " during the fault (the longest stretch without a stored mail)";
            }
            measured.add(new RunReport.Fault(f.type(), f.target(), f.start(), f.end(), f.confirmed(), detail, intakeGap, uiGap, alerting));
        }
        // leader changes that no fault explains
        int spurious = 0;
        List<RunReport.Leadership> marked = new ArrayList<>();
        for (int i = 0; i < leaderships.size(); i++) {
            RunReport.Leadership l = leaderships.get(i);
            boolean caused = i == 0 || faults.stream().anyMatch(f -> !l.from().isBefore(f.start().minusSeconds(1))
                    && !l.from().isAfter(f.end().plusSeconds(90)));
            if (!caused) {
                spurious++;
            }
            marked.add(new RunReport.Leadership(l.mailbox(), l.holder(), l.epoch(), l.from(), l.to(), caused));
        }
        int confirmedFaults = (int) faults.stream().filter(RunReport.Fault::confirmed).count();
        checks.addAll(CheckReport.mailChecks(judged));
        checks.add(new RunReport.Check("every acknowledged staff reply reached the customer", repliesMissing == 0,
                repliesSent + " acknowledged, " + repliesCaptured + " captured, " + repliesMissing + " missing, " + repliesDuplicated + " duplicate copies"));
        checks.add(CheckReport.epochCheck(judged.epochs()));
        checks.add(new RunReport.Check("every fault was applied and its effect observed", confirmedFaults == faults.size() && !faults.isEmpty(),
                confirmedFaults + " of " + faults.size() + " confirmed"));
        checks.add(alertCheck(db, faults, cluster.alerts().notices()));
        checks.add(SilentFaultCheck.check(measured));
        checks.add(CanaryCheck.check(db, loadEnded));
        checks.add(new RunReport.Check("every selected fault type was injected", options.faults().stream()
                .allMatch(t -> faults.stream().anyMatch(f -> f.type().equals(t.id))),
                faults.stream().map(RunReport.Fault::type).distinct().count() + " of " + options.faults().size()
                        + " types injected (a run must be long enough for one round)"));
        boolean pass = checks.stream().allMatch(RunReport.Check::ok);
        RunReport.Verdict verdict = new RunReport.Verdict(pass ? "pass" : "fail", judged.accepted(), judged.lost().size(),
                judged.duplicatedCopies(), judged.unexpected().size(), judged.unknowns().sends(), judged.unknowns().stored(),
                judged.misthreaded().size(), repliesSent, repliesCaptured, repliesDuplicated, judged.epochs().overlaps().size(), spurious,
                percentile(timeToTicket, 0.50), percentile(timeToTicket, 0.99), timeToTicket.isEmpty() ? -1 : timeToTicket.get(timeToTicket.size() - 1));
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("zk.session-timeout", SESSION_TIMEOUT.toString());
        RoleDefaults patroni = RoleDefaults.of("patroni");
        settings.put("patroni", "ttl " + patroni.integer("patroni_ttl") + " / loop_wait " + patroni.integer("patroni_loop_wait")
                + " / retry_timeout " + patroni.integer("patroni_retry_timeout")
                + (patroni.bool("patroni_synchronous_mode_strict") ? ", synchronous_mode_strict" : "")
                + (patroni.bool("patroni_failsafe_mode") ? ", failsafe_mode" : "") + ", track_commit_timestamp");
        settings.put("mail.poll-interval", "1s");
        settings.put("node JVM", String.join(" ", ThreeHostCluster.NODE_JVM.options())
                + (ThreeHostCluster.NODE_JVM.environment().isEmpty() ? "" : "; environment " + ThreeHostCluster.NODE_JVM.environment()));
        settings.put("subnet", cluster.hosts().subnet());
        RunReport.Meta meta = new RunReport.Meta(started, Instant.now(), options.seed(), options.rate(), options.duration().toSeconds(),
                options.faults().stream().map(t -> t.id).toList(),
                Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.name") + " " + System.getProperty("os.version")
                        + ", Java " + System.getProperty("java.version"), settings);
        return new RunReport(meta, verdict, mails, measured, marked, ui, replies, List.copyOf(checks));
    }

    /**
     * The self-watch: under faults the cluster recovers from by itself it may raise warnings and
     * information (a node down, no synchronous standby for a while), never an intake stall; a stall
     * is expected only while a silent fault lasts ({@link Nemesis.Type#SILENT}), whose own
     * confirmation is its alert. The detail counts every alert episode of the run by rule and severity.
     */
    private static RunReport.Check alertCheck(DSLContext db, List<RunReport.Fault> faults, List<AlertCapture.Notice> notices) {
        Map<String, Integer> byKind = new java.util.TreeMap<>();
        List<String> stalls = new ArrayList<>();
        int expected = 0;
        for (var r : db.select(ALERT_EPISODE.RULE, ALERT_EPISODE.SEVERITY, ALERT_EPISODE.OPENED_AT, ALERT_EPISODE.SUMMARY)
                .from(ALERT_EPISODE).orderBy(ALERT_EPISODE.ID).fetch()) {
            byKind.merge(r.value1() + " (" + r.value2() + ")", 1, Integer::sum);
            if (!"stall".equals(r.value2())) {
                continue;
            }
            Instant opened = r.value3().toInstant();
            if (duringSilentFault(faults, opened)) {
                expected++;
            } else {
                stalls.add(opened + " " + r.value4());
            }
        }
        // what operations received: a stall opened outside every silent fault is a false alarm too
        for (AlertCapture.Notice n : notices) {
            if (n.stallOpen() && !duringSilentFault(faults, n.at())) {
                stalls.add(n.at() + " " + n.channel() + " " + n.episode());
            }
        }
        return new RunReport.Check("the self-watch raised no intake stall but during silent faults", stalls.isEmpty(),
                (byKind.isEmpty() ? "no alert" : "alerts by kind: " + byKind) + "; stalls during silent faults: " + expected
                        + "; notices received by operations: " + AlertCapture.countByKind(notices)
                        + (stalls.isEmpty() ? "" : "; stalls under faults the cluster recovers from: " + stalls));
    }

    /** Whether {@code at} falls within a silent fault (a notice of one may arrive up to 90 s after it ended: a retried channel). */
    private static boolean duringSilentFault(List<RunReport.Fault> faults, Instant at) {
        return faults.stream().anyMatch(f -> Nemesis.Type.SILENT.contains(Nemesis.Type.parse(f.type()))
                && !at.isBefore(f.start()) && !at.isAfter(f.end().plusSeconds(90)));
    }

    private static Instant earliest(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    /** The longest stretch in [from, to] without a commit, in ms. */
    static long longestGap(List<Instant> sortedCommits, Instant from, Instant to) {
        Instant last = from;
        long worst = 0;
        for (Instant t : sortedCommits) {
            if (t.isBefore(from)) {
                continue;
            }
            if (t.isAfter(to)) {
                break;
            }
            worst = Math.max(worst, Duration.between(last, t).toMillis());
            last = t;
        }
        return Math.max(worst, Duration.between(last, to).toMillis());
    }

    /** The longest stretch in [from, to] in which no node answered {@code /tickets} with 200. */
    private static long anyNodeGap(List<UiProbe> probes, Instant from, Instant to) {
        List<Instant> oks = new ArrayList<>();
        for (UiProbe p : probes) {
            p.samples().stream().filter(s -> s.path().equals("/tickets") && s.ok())
                    .forEach(s -> oks.add(s.at().plusMillis(s.millis())));
        }
        Collections.sort(oks);
        return longestGap(oks, from, to);
    }

    private Map<String, Integer> capturedByMessageId() throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        Properties p = new Properties();
        p.put("mail.imap.connectiontimeout", "5000");
        p.put("mail.imap.timeout", "30000");
        Store store = Session.getInstance(p).getStore("imap");
        store.connect(cluster.hosts().host("mail").address(), ThreeHostCluster.IMAP_PORT,
                cluster.mail().captureUser(), cluster.mail().capturePassword());
        try {
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            try {
                for (Message m : inbox.getMessages()) {
                    String[] ids = m.getHeader("Message-ID");
                    if (ids != null && ids.length > 0) {
                        counts.merge(ids[0].strip(), 1, Integer::sum);
                    }
                }
            } finally {
                inbox.close(false);
            }
        } finally {
            store.close();
        }
        return counts;
    }

    static long percentile(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int rank = (int) Math.ceil(p * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    private static String summary(RunReport r) {
        StringBuilder s = new StringBuilder();
        RunReport.Verdict v = r.verdict();
        s.append(String.format("%nChaos scenario: %s — %d mails accepted, lost %d, duplicated %d, unexpected %d, unknown outcome %d (%d stored);"
                        + " time to ticket p50 %d ms, p99 %d ms, max %d ms%n",
                v.verdict().toUpperCase(), v.mailsSent(), v.lost(), v.duplicated(), v.unexpected(), v.unknownOutcomes(), v.unknownStored(),
                v.timeToTicketP50Millis(), v.timeToTicketP99Millis(), v.timeToTicketMaxMillis()));
        for (RunReport.Fault f : r.faults()) {
            s.append(String.format("  %-18s %-5s confirmed=%-5s intake gap %6d ms, UI gap %6d ms  %s%n", f.type(), f.target(),
                    f.confirmed(), f.intakeGapMillis(), f.uiGapMillis(), f.detail()));
            if (f.alerting() != null) {
                s.append("      operations received: ").append(AlertMeasure.describe(f.alerting())).append('\n');
            }
        }
        for (RunReport.Check c : r.checks()) {
            s.append(c.ok() ? "PASS " : "FAIL ").append(c.name()).append(": ").append(c.detail()).append('\n');
        }
        return s.toString();
    }
}
