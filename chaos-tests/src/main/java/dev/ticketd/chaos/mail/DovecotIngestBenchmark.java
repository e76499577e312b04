package dev.ticketd.chaos.mail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ticketd.chaos.Procs;
import dev.ticketd.chaos.Reaper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.awaitility.Awaitility.await;

/**
 * The ingest benchmark against a real mail server (issue 17, item 3; {@code chaos-tests/ingest-bench},
 * root only). mail-ingest's {@code IngestBenchmark} reads from GreenMail, whose slow round trips
 * understate intake; here one {@code MailboxReader} in this JVM reads the support mailbox of a real
 * Dovecot (Maildir, IMAP IDLE) on 127.0.0.1 into a PostgreSQL with {@code fsync} on — one local
 * server, or with {@code --db replicated} three Patroni members with strict synchronous replication.
 * <ul>
 *   <li><b>backlog</b>: {@code --backlog} mails put straight into the INBOX's Maildir {@code new/}
 *       before the reader starts; the time from the reader's start until all are committed in the
 *       database (polled every 100 ms), as mails/s;</li>
 *   <li><b>stream</b> ({@code --stream-rate R --stream-seconds S}): R mails a second for S seconds sent
 *       over SMTP to Postfix, which delivers them to Dovecot over LMTP, while the reader waits with
 *       IDLE; the time from Postfix's 250 for a mail to its committed row (polled every 10 ms).</li>
 * </ul>
 * With {@code --reader node} the backlog is read not by a reader in this JVM but by a whole node
 * process as the Ansible role deploys it ({@link BenchNode}), one for a mix's warm-up and all its runs,
 * and the table gives that node's CPU and resident memory (idle before and after, and while reading).
 * Otherwise each run of each mix ({@code small}, {@code mixed}; see {@link BenchMails}) has a fresh
 * database and a fresh mail server. The JVM's CPU time and memory are this process's (the reader, the parser, the
 * pool, and the benchmark's own polling); Dovecot's and PostgreSQL's CPU times are their process
 * trees' from {@code /proc}. Prints a table and writes JSON under {@code chaos-tests/target/ingest-bench/}.
 */
public final class DovecotIngestBenchmark {

    private static final Logger log = LoggerFactory.getLogger(DovecotIngestBenchmark.class);
    private static final Duration STALL = Duration.ofSeconds(120);

    private final Options opts;
    private final BenchDatabase database;
    private final Path work;
    private final AtomicInteger runSeq = new AtomicInteger();

    private DovecotIngestBenchmark(Options opts, BenchDatabase database, Path work) {
        this.opts = opts;
        this.database = database;
        this.work = work;
    }

    /** Command-line options; see {@link #USAGE}. */
    record Options(int backlog, int warmup, int runs, List<BenchMails.Mix> mixes, boolean replicated, int streamRate, int streamSeconds,
                   Duration timeout, Path resources, Path outDir, int statements, boolean node) {

        static Options parse(String[] args) {
            Map<String, String> o = new LinkedHashMap<>(Map.of("--backlog", "5000", "--runs", "3", "--mix", "small,mixed",
                    "--db", "local", "--stream-rate", "0", "--stream-seconds", "60", "--timeout-minutes", "30", "--warmup", "1000",
                    "--corpus", "mail-ingest/src/test/resources", "--out", "chaos-tests/target/ingest-bench"));
            o.put("--statements", "0");
            o.put("--reader", "in-process");
            for (int i = 0; i < args.length; i += 2) {
                if (!o.containsKey(args[i]) || i + 1 >= args.length) {
                    throw new IllegalArgumentException((o.containsKey(args[i]) ? "no value for " : "unknown option ") + args[i] + "\n" + USAGE);
                }
                o.put(args[i], args[i + 1]);
            }
            int backlog = intIn(o, "--backlog", 0, 1_000_000);
            int warmup = intIn(o, "--warmup", 0, 100_000);
            int runs = intIn(o, "--runs", 1, 50);
            List<BenchMails.Mix> mixes = List.of(o.get("--mix").split(",")).stream().map(String::strip).map(BenchMails.Mix::parse).toList();
            String db = o.get("--db");
            if (!db.equals("local") && !db.equals("replicated")) {
                throw new IllegalArgumentException("--db: local or replicated, not " + db);
            }
            int rate = intIn(o, "--stream-rate", 0, 1000);
            int seconds = intIn(o, "--stream-seconds", 1, 3600);
            int statements = intIn(o, "--statements", 0, 100);
            if (statements > 0 && db.equals("replicated")) {
                throw new IllegalArgumentException("--statements counts the statements of the local database only (--db local)");
            }
            String reader = o.get("--reader");
            if (!reader.equals("in-process") && !reader.equals("node")) {
                throw new IllegalArgumentException("--reader: in-process or node, not " + reader);
            }
            boolean node = reader.equals("node");
            if (node && (rate > 0 || statements > 0 || backlog == 0)) {
                throw new IllegalArgumentException("--reader node measures a backlog only (no --stream-rate, no --statements)");
            }
            if (backlog == 0 && rate == 0) {
                throw new IllegalArgumentException("nothing to measure: --backlog 0 and no --stream-rate");
            }
            return new Options(backlog, warmup, runs, mixes, db.equals("replicated"), rate, seconds,
                    Duration.ofMinutes(intIn(o, "--timeout-minutes", 1, 600)), Path.of(o.get("--corpus")), Path.of(o.get("--out")), statements, node);
        }

        private static int intIn(Map<String, String> o, String key, int min, int max) {
            try {
                int v = Integer.parseInt(o.get(key));
                if (v < min || v > max) {
                    throw new IllegalArgumentException(key + " must be within " + min + ".." + max + ": " + v);
                }
                return v;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " is not a whole number: " + o.get(key), e);
            }
        }
    }

    static final String USAGE = """
            chaos-tests/ingest-bench [--backlog 5000] [--warmup 1000] [--runs 3] [--mix small,mixed] [--db local|replicated]
                                     [--stream-rate 0 (mails/s; 0: no stream)] [--stream-seconds 60]
                                     [--timeout-minutes 30 (per measurement)] [--corpus mail-ingest/src/test/resources]
                                     [--out chaos-tests/target/ingest-bench]
                                     [--statements 0 (the N statements that cost PostgreSQL most per backlog run; --db local)]
                                     [--reader in-process|node (node: a ticketd.jar process as the Ansible role deploys it
                                                                reads every run's backlog; its CPU and memory; backlog only)]""";

    public static void main(String[] args) throws Exception {
        Options opts;
        try {
            opts = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("ingest-bench: " + e.getMessage()); // a usage error, for the person at the terminal
            System.exit(2);
            return;
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("ingest-bench: run as root (it starts Dovecot and Postfix, and PostgreSQL as the postgres user)");
            System.exit(2);
            return;
        }
        int status;
        try {
            run(opts);
            status = 0;
        } catch (Throwable e) {
            log.error("ingest benchmark failed: {}", e.toString(), e);
            status = 1;
        } finally {
            Reaper.closeAll(); // whatever a failed run left: the reader, the mail server, the database, the folder
        }
        // a thread a library left behind (not daemon) must not keep the JVM, and with it the exit status, waiting
        System.exit(status);
    }

    private static void run(Options opts) throws Exception {
        // short (Dovecot's sockets live under it) and world-traversable (PostgreSQL, Dovecot and Postfix drop root)
        Path work = Files.createTempDirectory(Path.of("/tmp"), "tib-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        Reaper.register(() -> Procs.deleteTree(work));
        BenchDatabase database = Reaper.register(opts.replicated()
                ? BenchDatabase.Replicated.start(work.resolve("db"))
                : BenchDatabase.Local.start(work.resolve("pg"), opts.statements() > 0));
        Map<String, Object> report;
        try {
            report = new DovecotIngestBenchmark(opts, database, work).measureAll();
        } finally {
            Reaper.unregister(database);
            database.close();
        }
        Files.createDirectories(opts.outDir());
        Path json = opts.outDir().resolve("ingest-bench-" + Instant.now().toString().replace(":", "").replaceAll("\\..*", "") + ".json");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report);
        System.out.println("report: " + json.toAbsolutePath()); // the program's output, on standard output
    }

    private Map<String, Object> measureAll() throws Exception {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("date", Instant.now().toString());
        report.put("machine", Runtime.getRuntime().availableProcessors() + " cores; Java " + System.getProperty("java.version")
                + "; heap max " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
        report.put("mailServer", "Dovecot " + Procs.run(List.of("dovecot", "--version")).strip()
                + " (Maildir, IMAP on 127.0.0.1), Postfix for the stream");
        report.put("database", database.describe());
        report.put("options", Map.of("backlog", opts.backlog(), "warmup", opts.warmup(), "runs", opts.runs(), "mixes",
                opts.mixes().stream().map(BenchMails.Mix::label).toList(), "streamRate", opts.streamRate(), "streamSeconds", opts.streamSeconds(),
                "reader", opts.node() ? "node" : "in-process"));
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "%nDovecot ingest benchmark: %s; %s; %s%n", report.get("mailServer"), database.describe(),
                report.get("machine")));
        Map<String, Object> mixes = new LinkedHashMap<>();
        for (BenchMails.Mix mix : opts.mixes()) {
            if (opts.node()) {
                mixes.put(mix.label(), nodeMix(mix, table));
                continue;
            }
            Map<String, Object> perMix = new LinkedHashMap<>();
            if (opts.warmup() > 0) {
                // the JIT compiles the hot paths of the reader, the parser (each mix has its own: multipart,
                // HTML, charsets) and the driver during the first thousand mails or so; a node that has run a
                // while is past that, so each mix first runs once unmeasured. Without it a first run was about
                // half as fast, with twice the JVM CPU per mail.
                Map<String, Object> warm = backlog(mix, 0, opts.warmup());
                perMix.put("warmup", warm);
                table.append(String.format(Locale.ROOT, "%nwarm-up of mix %s (not measured): %d mails at %s mails/s, JVM CPU %s s/1k%n",
                        mix.label(), opts.warmup(), warm.get("mailsPerSecond"), warm.get("jvmCpuSecondsPer1000Mails")));
            }
            if (opts.backlog() > 0) {
                List<Map<String, Object>> runs = new ArrayList<>();
                for (int r = 1; r <= opts.runs(); r++) {
                    runs.add(backlog(mix, r, opts.backlog()));
                }
                perMix.put("backlog", Map.of("runs", runs, "medianMailsPerSecond", median(runs, "mailsPerSecond")));
                appendBacklog(table, mix, runs);
                if (opts.statements() > 0) {
                    StatementCosts.append(table, runs.get(runs.size() - 1));
                }
            }
            if (opts.streamRate() > 0) {
                List<Map<String, Object>> runs = new ArrayList<>();
                for (int r = 1; r <= opts.runs(); r++) {
                    runs.add(stream(mix, r));
                }
                perMix.put("stream", Map.of("runs", runs, "medianP50Millis", median(runs, "p50Millis"),
                        "medianP99Millis", median(runs, "p99Millis")));
                appendStream(table, mix, runs);
            }
            mixes.put(mix.label(), perMix);
        }
        report.put("mixes", mixes);
        System.out.print(table); // the program's report, on standard output
        return report;
    }

    /** One backlog measurement of {@code n} mails on a fresh database and mail server (run 0: the warm-up). */
    private Map<String, Object> backlog(BenchMails.Mix mix, int run, int n) throws Exception {
        int seq = runSeq.incrementAndGet();
        String tag = "b" + seq + "-" + Long.toString(System.currentTimeMillis(), 36);
        BenchMails mails = BenchMails.of(mix, IntakeRig.SUPPORT, tag, opts.resources());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mix", mix.label());
        out.put("run", run);
        out.put("mails", n);
        IntakeRig rig = Reaper.register(IntakeRig.start(database, "bench_" + seq, work.resolve("m" + seq)));
        try {
            out.put("durability", BenchDatabase.durabilitySettings(rig.db));
            requireFsyncOn(out);
            long t0 = System.nanoTime();
            MaildirDrop drop = new MaildirDrop(rig.mail.maildir(IntakeRig.SUPPORT));
            long bytes = 0;
            for (int i = 0; i < n; i++) {
                byte[] raw = mails.mail(i);
                bytes += raw.length;
                drop.deliver(raw);
            }
            out.put("maildirBytes", bytes);
            out.put("dropSeconds", round((System.nanoTime() - t0) / 1e9, 2));
            if (mix == BenchMails.Mix.MIXED) {
                out.put("corpusFiles", mails.corpusSize());
            }
            log.info("backlog mix={} run={} mails={} bytes={} written to {}", mix.label(), run, n, bytes, rig.mail.maildir(IntakeRig.SUPPORT));

            if (opts.statements() > 0) {
                StatementCosts.reset(rig.db);
            }
            out.put("loadAverageBefore", ProcStats.loadAverage());
            Usage before = Usage.now(rig, database);
            long start = System.nanoTime();
            rig.startReader();
            awaitStored(rig, rig::requireReaderAlive, n, "all " + n + " backlog mails committed");
            double seconds = (System.nanoTime() - start) / 1e9;
            Usage after = Usage.now(rig, database);
            out.put("loadAverageAfter", ProcStats.loadAverage());
            out.put("seconds", round(seconds, 2));
            out.put("mailsPerSecond", round(n / seconds, 1));
            after.minus(before).putPerThousand(out, n);
            out.put("jvmVmHwmMiB", ProcStats.selfStatusKib("VmHWM") / 1024);
            out.put("jvmVmRssMiB", ProcStats.selfStatusKib("VmRSS") / 1024);
            putOutcomes(rig, out, n);
            if (opts.statements() > 0) {
                out.put("statements", StatementCosts.top(rig.db, opts.statements(), n));
            }
            log.info("backlog mix={} run={} mails={} seconds={} mails_per_s={}", mix.label(), run, n, out.get("seconds"), out.get("mailsPerSecond"));
        } finally {
            Reaper.unregister(rig);
            rig.close();
        }
        return out;
    }

    /**
     * {@code --reader node}: one node process, database and mail server for the mix's warm-up and all its
     * runs (the node's JIT stays warm, as in production; the database grows from run to run). Its memory
     * idle before the first mail and after the last, and at its peak.
     */
    private Map<String, Object> nodeMix(BenchMails.Mix mix, StringBuilder table) throws Exception {
        int seq = runSeq.incrementAndGet();
        String dbName = "bench_" + seq;
        Map<String, Object> perMix = new LinkedHashMap<>();
        IntakeRig rig = Reaper.register(IntakeRig.start(database, dbName, work.resolve("m" + seq)));
        try {
            perMix.put("durability", BenchDatabase.durabilitySettings(rig.db));
            requireFsyncOn(perMix);
            BenchNode node = Reaper.register(BenchNode.start(work.resolve("n" + seq), rig, database.settings(dbName)));
            try {
                perMix.put("jvmOptions", node.jvmOptions());
                perMix.put("idleBefore", node.idleRss(NODE_IDLE));
                int stored = 0;
                if (opts.warmup() > 0) {
                    Map<String, Object> warm = nodeBacklog(rig, node, mix, 0, opts.warmup(), stored);
                    stored += opts.warmup();
                    perMix.put("warmup", warm);
                    table.append(String.format(Locale.ROOT, "%nwarm-up of mix %s (not measured): %d mails at %s mails/s, node CPU %s s/1k%n",
                            mix.label(), opts.warmup(), warm.get("mailsPerSecond"), warm.get("nodeCpuSecondsPer1000Mails")));
                }
                List<Map<String, Object>> runs = new ArrayList<>();
                for (int r = 1; r <= opts.runs(); r++) {
                    runs.add(nodeBacklog(rig, node, mix, r, opts.backlog(), stored));
                    stored += opts.backlog();
                }
                perMix.put("idleAfter", node.idleRss(NODE_IDLE));
                perMix.put("nodeVmHwmMiB", node.statusKib("VmHWM") / 1024);
                perMix.put("backlog", Map.of("runs", runs, "medianMailsPerSecond", median(runs, "mailsPerSecond")));
                appendNodeBacklog(table, mix, runs, perMix);
            } finally {
                Reaper.unregister(node);
                node.close();
            }
            putOutcomes(rig, perMix, opts.warmup() + opts.runs() * opts.backlog());
        } finally {
            Reaper.unregister(rig);
            rig.close();
        }
        return perMix;
    }

    /** How long the node's idle memory is sampled, before the first mail and after the last. */
    private static final Duration NODE_IDLE = Duration.ofSeconds(20);

    /** One backlog of {@code n} mails dropped into the INBOX the node watches, timed from the drop's start until all are committed. */
    private Map<String, Object> nodeBacklog(IntakeRig rig, BenchNode node, BenchMails.Mix mix, int run, int n, int storedBefore)
            throws Exception {
        String tag = "n" + runSeq.incrementAndGet() + "-" + Long.toString(System.currentTimeMillis(), 36);
        BenchMails mails = BenchMails.of(mix, IntakeRig.SUPPORT, tag, opts.resources());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mix", mix.label());
        out.put("run", run);
        out.put("mails", n);
        out.put("loadAverageBefore", ProcStats.loadAverage());
        double nodeCpu = node.cpuSeconds().orElse(Double.NaN);
        Usage before = Usage.now(rig, database);
        long start = System.nanoTime();
        MaildirDrop drop = new MaildirDrop(rig.mail.maildir(IntakeRig.SUPPORT));
        for (int i = 0; i < n; i++) {
            drop.deliver(mails.mail(i));
        }
        out.put("dropSeconds", round((System.nanoTime() - start) / 1e9, 2));
        awaitStored(rig, node::requireAlive, storedBefore + n, "all " + n + " mails of run " + run + " committed by the node");
        double seconds = (System.nanoTime() - start) / 1e9;
        Usage used = Usage.now(rig, database).minus(before);
        out.put("loadAverageAfter", ProcStats.loadAverage());
        out.put("seconds", round(seconds, 2));
        out.put("mailsPerSecond", round(n / seconds, 1));
        used.putPerThousand(out, n);
        double nodeSeconds = node.cpuSeconds().orElse(Double.NaN) - nodeCpu;
        out.put("nodeCpuSeconds", round(nodeSeconds, 2));
        out.put("nodeCpuSecondsPer1000Mails", round(nodeSeconds * 1000 / n, 2));
        out.put("nodeVmRssMiB", node.statusKib("VmRSS") / 1024);
        out.put("nodeVmHwmMiB", node.statusKib("VmHWM") / 1024);
        log.info("node backlog mix={} run={} mails={} seconds={} mails_per_s={} node_rss_mib={}", mix.label(), run, n, out.get("seconds"),
                out.get("mailsPerSecond"), out.get("nodeVmRssMiB"));
        return out;
    }

    private Map<String, Object> stream(BenchMails.Mix mix, int run) throws Exception {
        int seq = runSeq.incrementAndGet();
        String tag = "s" + seq + "-" + Long.toString(System.currentTimeMillis(), 36);
        BenchMails mails = BenchMails.of(mix, IntakeRig.SUPPORT, tag, opts.resources());
        IntakeRig rig = Reaper.register(IntakeRig.start(database, "bench_" + seq, work.resolve("m" + seq)));
        try {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("mix", mix.label());
            out.put("run", run);
            out.put("durability", BenchDatabase.durabilitySettings(rig.db));
            requireFsyncOn(out);
            out.put("loadAverageBefore", ProcStats.loadAverage());
            out.putAll(new StreamIntake(rig, database, mails, opts.streamRate(), opts.streamSeconds(), opts.timeout()).measure());
            out.put("loadAverageAfter", ProcStats.loadAverage());
            out.put("jvmVmHwmMiB", ProcStats.selfStatusKib("VmHWM") / 1024);
            out.put("jvmVmRssMiB", ProcStats.selfStatusKib("VmRSS") / 1024);
            return out;
        } finally {
            Reaper.unregister(rig);
            rig.close();
        }
    }

    private static void requireFsyncOn(Map<String, Object> out) {
        @SuppressWarnings("unchecked")
        Map<String, String> d = (Map<String, String>) out.get("durability");
        if (!"on".equals(d.get("fsync")) || !"on".equals(d.get("synchronous_commit"))) {
            throw new IllegalStateException("the benchmark's database must have fsync and synchronous_commit on, it has " + d);
        }
    }

    /**
     * Waits until {@code n} mails are stored, failing when the reader stops ({@code alive} throws),
     * when nothing new is stored for {@link #STALL}, or at the run's timeout.
     */
    private void awaitStored(IntakeRig rig, Runnable alive, int n, String what) {
        AtomicInteger last = new AtomicInteger(-1);
        AtomicLong lastChange = new AtomicLong(System.nanoTime());
        await(what).atMost(opts.timeout()).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100)).until(() -> {
            alive.run();
            int stored = rig.stored();
            if (stored > n) {
                throw new IllegalStateException(stored + " mails stored, more than the " + n + " delivered: duplicates");
            }
            if (stored != last.getAndSet(stored)) {
                lastChange.set(System.nanoTime());
            } else if (System.nanoTime() - lastChange.get() > STALL.toNanos()) {
                throw new IllegalStateException("intake stalled at " + stored + " of " + n + " mails for " + STALL
                        + " (reader's last error: " + rig.readerError() + "; Dovecot's log: " + rig.mail.dovecotLog() + ")");
            }
            return stored == n;
        });
    }

    /** What became of the mails: tickets, replies in them, and mails kept in the quarantine. */
    static void putOutcomes(IntakeRig rig, Map<String, Object> out, int n) {
        var dsl = rig.db.dsl();
        int stored = dsl.fetchCount(INBOUND_MESSAGE);
        out.put("stored", stored);
        out.put("tickets", dsl.fetchCount(TICKET));
        out.put("ticketMessages", dsl.fetchCount(TICKET_MESSAGE));
        out.put("quarantined", dsl.fetchCount(INBOUND_MESSAGE, INBOUND_MESSAGE.PARSE_STATUS.eq("failed")));
        // how many transactions stored the mails (the one that inserted a row is its xmin while nothing updates it)
        out.put("storingTransactions", dsl.fetchValue("select count(distinct xmin::text) from inbound_message"));
        if (stored != n) {
            throw new IllegalStateException(stored + " mails stored, " + n + " expected");
        }
    }

    /** CPU seconds of this JVM, Dovecot's process tree and the database's, at one moment. */
    record Usage(double jvm, Optional<Double> dovecot, Optional<Double> postgres) {

        static Usage now(IntakeRig rig, BenchDatabase database) {
            Optional<Double> dovecot = rig.dovecotPid().flatMap(ProcStats::treeCpuSeconds);
            double pg = 0;
            boolean anyPg = false;
            for (long pid : database.serverPids()) {
                Optional<Double> s = ProcStats.treeCpuSeconds(pid);
                if (s.isPresent()) {
                    pg += s.get();
                    anyPg = true;
                }
            }
            return new Usage(ProcStats.selfCpuSeconds(), dovecot, anyPg ? Optional.of(pg) : Optional.empty());
        }

        Usage minus(Usage earlier) {
            return new Usage(jvm - earlier.jvm, dovecot.flatMap(d -> earlier.dovecot.map(e -> d - e)),
                    postgres.flatMap(p -> earlier.postgres.map(e -> p - e)));
        }

        void putPerThousand(Map<String, Object> out, int mails) {
            out.put("jvmCpuSeconds", round(jvm, 2));
            out.put("jvmCpuSecondsPer1000Mails", round(jvm * 1000 / mails, 2));
            dovecot.ifPresent(d -> {
                out.put("dovecotCpuSeconds", round(d, 2));
                out.put("dovecotCpuSecondsPer1000Mails", round(d * 1000 / mails, 2));
            });
            postgres.ifPresent(p -> {
                out.put("postgresCpuSeconds", round(p, 2));
                out.put("postgresCpuSecondsPer1000Mails", round(p * 1000 / mails, 2));
            });
        }
    }

    private static void appendBacklog(StringBuilder t, BenchMails.Mix mix, List<Map<String, Object>> runs) {
        t.append(String.format(Locale.ROOT, "%nbacklog, mix %s, %s mails per run (written into Maildir new/, then the reader starts)%n",
                mix.label(), runs.get(0).get("mails")));
        t.append(String.format(Locale.ROOT, "%-7s %9s %10s %13s %14s %14s %10s %8s %8s  %s%n", "run", "seconds", "mails/s",
                "JVM CPU s/1k", "Dovecot s/1k", "PG CPU s/1k", "VmHWM MiB", "tickets", "txns", "load before/after"));
        for (Map<String, Object> r : runs) {
            t.append(String.format(Locale.ROOT, "%-7s %9s %10s %13s %14s %14s %10s %8s %8s  %s / %s%n", r.get("run"), r.get("seconds"),
                    r.get("mailsPerSecond"), r.get("jvmCpuSecondsPer1000Mails"), r.getOrDefault("dovecotCpuSecondsPer1000Mails", "-"),
                    r.getOrDefault("postgresCpuSecondsPer1000Mails", "-"), r.get("jvmVmHwmMiB"), r.get("tickets"), r.get("storingTransactions"),
                    r.get("loadAverageBefore"), r.get("loadAverageAfter")));
        }
        t.append(String.format(Locale.ROOT, "%-7s %9s %10s %13s %14s %14s%n", "median", "", median(runs, "mailsPerSecond"),
                median(runs, "jvmCpuSecondsPer1000Mails"), median(runs, "dovecotCpuSecondsPer1000Mails"),
                median(runs, "postgresCpuSecondsPer1000Mails")));
    }

    private static void appendNodeBacklog(StringBuilder t, BenchMails.Mix mix, List<Map<String, Object>> runs, Map<String, Object> perMix) {
        t.append(String.format(Locale.ROOT, "%nbacklog, mix %s, %s mails per run into the INBOX a node process reads (one node, database and"
                + " mail server for all runs; timed from the drop's start)%nnode JVM: %s%n", mix.label(), runs.get(0).get("mails"),
                String.join(" ", asStrings(perMix.get("jvmOptions")))));
        t.append(String.format(Locale.ROOT, "%-7s %9s %10s %14s %14s %14s %10s %10s  %s%n", "run", "seconds", "mails/s",
                "node CPU s/1k", "Dovecot s/1k", "PG CPU s/1k", "RSS MiB", "VmHWM MiB", "load before/after"));
        for (Map<String, Object> r : runs) {
            t.append(String.format(Locale.ROOT, "%-7s %9s %10s %14s %14s %14s %10s %10s  %s / %s%n", r.get("run"), r.get("seconds"),
                    r.get("mailsPerSecond"), r.get("nodeCpuSecondsPer1000Mails"), r.getOrDefault("dovecotCpuSecondsPer1000Mails", "-"),
                    r.getOrDefault("postgresCpuSecondsPer1000Mails", "-"), r.get("nodeVmRssMiB"), r.get("nodeVmHwmMiB"),
                    r.get("loadAverageBefore"), r.get("loadAverageAfter")));
        }
        t.append(String.format(Locale.ROOT, "%-7s %9s %10s %14s %14s %14s%n", "median", "", median(runs, "mailsPerSecond"),
                median(runs, "nodeCpuSecondsPer1000Mails"), median(runs, "dovecotCpuSecondsPer1000Mails"),
                median(runs, "postgresCpuSecondsPer1000Mails")));
        t.append(String.format(Locale.ROOT, "node RSS idle before the first mail: %s; after the last: %s; peak (VmHWM): %s MiB%n",
                perMix.get("idleBefore"), perMix.get("idleAfter"), perMix.get("nodeVmHwmMiB")));
    }

    private static List<String> asStrings(Object list) {
        List<String> out = new ArrayList<>();
        if (list instanceof List<?> l) {
            l.forEach(e -> out.add(String.valueOf(e)));
        }
        return out;
    }

    private static void appendStream(StringBuilder t, BenchMails.Mix mix, List<Map<String, Object>> runs) {
        t.append(String.format(Locale.ROOT, "%nstream, mix %s: %s%n", mix.label(), runs.get(0).get("delivery")));
        t.append("(JVM CPU includes the sending; p50 per 10 s of the stream in the last column: rising means the reader fell behind"
                + " and the latency is mostly the queue)\n");
        t.append(String.format(Locale.ROOT, "%-7s %7s %8s %8s %12s %9s %9s %9s %13s %10s  %-34s %s%n", "run", "mails", "refused", "sent/s",
                "committed/s", "p50 ms", "p99 ms", "max ms", "JVM CPU s/1k", "VmHWM MiB", "load before/after", "p50 per 10 s"));
        for (Map<String, Object> r : runs) {
            t.append(String.format(Locale.ROOT, "%-7s %7s %8s %8s %12s %9s %9s %9s %13s %10s  %-34s %s%n", r.get("run"), r.get("mails"),
                    r.get("refused"), r.get("sentPerSecond"), r.get("committedPerSecond"), r.get("p50Millis"), r.get("p99Millis"),
                    r.get("maxMillis"), r.get("jvmCpuSecondsPer1000Mails"), r.get("jvmVmHwmMiB"),
                    r.get("loadAverageBefore") + " / " + r.get("loadAverageAfter"), r.get("p50By10SecondsMillis")));
        }
        t.append(String.format(Locale.ROOT, "%-7s %7s %8s %8s %12s %9s %9s%n", "median", "", "", "", median(runs, "committedPerSecond"),
                median(runs, "p50Millis"), median(runs, "p99Millis")));
    }

    /** The median of a numeric field over the runs that have it; NaN when none has. */
    static double median(List<Map<String, Object>> runs, String key) {
        List<Double> values = new ArrayList<>();
        for (Map<String, Object> r : runs) {
            if (r.get(key) instanceof Number v) {
                values.add(v.doubleValue());
            }
        }
        if (values.isEmpty()) {
            return Double.NaN;
        }
        Collections.sort(values);
        int m = values.size() / 2;
        return values.size() % 2 == 1 ? values.get(m) : round((values.get(m - 1) + values.get(m)) / 2, 2);
    }

    static double round(double v, int places) {
        double f = Math.pow(10, places);
        return Math.round(v * f) / f;
    }
}
