package dev.ticketd.chaos.db;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ticketd.chaos.MailLedger;
import dev.ticketd.chaos.Poll;
import dev.ticketd.chaos.Procs;
import dev.ticketd.chaos.Reaper;
import dev.ticketd.chaos.Ticker;
import dev.ticketd.chaos.UiProbe;
import dev.ticketd.cluster.testing.TestZooKeeperEnsemble;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.NodeLauncher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.sql.Connection;
import java.sql.SQLException;
import dev.ticketd.db.Database;
import org.jooq.tools.jdbc.SingleConnectionDataSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static org.jooq.impl.DSL.min;

/**
 * The database faults of the chaos suite (issue 5): a ticket node takes in a steady stream of mail
 * while the harness kills the PostgreSQL primary's host, a standby, the ZooKeeper leader, only the
 * primary's Patroni (a zombie primary), and finally the whole database — then proves that every
 * mail became exactly one ticket message, no acknowledged write was lost, the node never needed a
 * restart and the staff UI kept answering.
 *
 * <p>Each fault waits until the database cluster is whole, is confirmed (the processes are gone,
 * the leadership moved or, where it must not, did not move) and measured: the gap in intake (fault
 * until the next mail committed), in acknowledged writes and in UI answers. Writes
 * {@code report.json} (keys {@code verdict}, {@code mailsSent}, {@code lost}, {@code duplicated},
 * {@code unexpected}, {@code faults}) and {@code report.txt} into the output folder, beside the logs.
 */
public final class DatabaseSuite {

    private static final Logger log = LoggerFactory.getLogger(DatabaseSuite.class);
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(120);
    /** How long intake may stop after a fault before the suite calls the node stuck. */
    private static final Duration INTAKE_RESUME_LIMIT = Duration.ofSeconds(60);
    /** How long a killed host stays away before it is restarted. */
    private static final Duration HOLD_DOWN = Duration.ofSeconds(10);
    /** How long Patroni may take to add a promotion to its history (it does so a few loops later). */
    private static final Duration HISTORY_WAIT = Duration.ofSeconds(30);
    private static final String NODE = "node-1";
    private static final String STAFF_EMAIL = "staff@example.test";
    private static final String STAFF_PASSWORD = "chaos-staff-password";

    /** One injected fault: what happened and what it cost. Gaps are -1 when not measured. */
    record Fault(String type, boolean confirmed, String detail, Instant start, Instant end,
                 long intakeGapMillis, long writeGapMillis, long uiGapMillis, long standbyAnswers) {
    }

    record Check(String name, boolean ok, String detail) {
    }

    private final Path out;
    private final double rate;
    private final Path jar;
    private final List<Fault> faults = new ArrayList<>();
    private final List<Check> checks = new ArrayList<>();
    private ReplicatedDatabase db;
    private PatroniCluster patroni;
    private dev.ticketd.chaos.LocalCluster nodes;
    private AckedWriter writer;
    private UiProbe probe;

    DatabaseSuite(Path out, double rate, Path jar) {
        this.out = out;
        this.rate = rate;
        this.jar = jar;
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of("target", "chaos-db");
        double rate = 4;
        Path jar = Path.of(System.getProperty("ticketd.jar", "../ticket-node/target/ticketd.jar"));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Path.of(args[++i]);
                case "--rate" -> rate = Double.parseDouble(args[++i]);
                case "--jar" -> jar = Path.of(args[++i]);
                default -> {
                    System.err.println("unknown option " + args[i] + "; usage: [--out DIR] [--rate MAILS_PER_SECOND] [--jar ticketd.jar]");
                    System.exit(2);
                }
            }
        }
        if (!(rate > 0 && rate <= 50)) {
            System.err.println("--rate must be above 0 and at most 50 mails/s, was " + rate);
            System.exit(2);
        }
        if (!Files.isRegularFile(jar)) {
            System.err.println("no node jar at " + jar.toAbsolutePath() + " (build it: mvn -DskipTests package)");
            System.exit(2);
        }
        int status;
        try {
            status = new DatabaseSuite(out.toAbsolutePath(), rate, jar.toAbsolutePath()).run();
        } finally {
            Reaper.closeAll();
        }
        System.exit(status);
    }

    int run() throws Exception {
        Files.createDirectories(out);
        Path dir = Files.createTempDirectory("ticketd-chaos-db-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        Reaper.register(() -> Procs.deleteTree(dir));
        Reaper.register(() -> copyLogs(dir, out.resolve("logs"))); // runs before the folder is deleted
        Instant began = Instant.now();
        db = ReplicatedDatabase.start(dir);
        patroni = db.patroni();
        TestMailServer mail = Reaper.register(TestMailServer.start());
        nodes = Reaper.register(new dev.ticketd.chaos.LocalCluster(jar, dir.resolve("nodes")));
        nodes.startNodes(db.zooKeeper().connectString(), mail, db.settings(), Map.of(
                "db.socket-timeout", "5s",
                "db.connect-timeout", "2s",
                "db.patroni-urls", patroni.restUrls()), List.of(NODE));
        addStaff();
        probe = new UiProbe(nodes.httpUrl(NODE), STAFF_EMAIL, STAFF_PASSWORD);
        probe.login();
        MailLedger ledger = new MailLedger("chaos-db", mail, dev.ticketd.chaos.LocalCluster.SUPPORT);
        MailLedger.Accounting accounting;
        List<Long> lostWrites;
        int acked;
        try (Ticker probing = new Ticker("ui-probe", Duration.ofMillis(250), probe::probe);
             Ticker load = new Ticker("mail-load", Duration.ofMillis((long) (1000 / rate)), ledger::sendOne)) {
            writer = new AckedWriter(db.jdbcUrl(), patroni.appUser(), patroni.appPassword(), 50);
            Reaper.register(writer);
            Thread.sleep(3000);
            primaryKill();
            standbyKill();
            zooKeeperLeaderKill();
            zombiePrimary();
            wholeDatabaseDown();
            load.close();
            patroni.awaitWhole(STEP_TIMEOUT);
            accounting = ledger.account(nodes.db().dsl(), dev.ticketd.chaos.LocalCluster.SUPPORT,
                    dev.ticketd.chaos.LocalCluster.PASSWORD, Duration.ofSeconds(90));
            writer.close();
            lostWrites = writer.lostAcknowledged();
            acked = writer.acks().size();
        }
        check("every accepted mail is exactly one ticket message", accounting.clean(),
                "sent " + accounting.sent() + ", ticket messages " + accounting.ticketMessages() + ", lost " + accounting.lost()
                        + " " + accounting.lostSubjects() + ", duplicated " + accounting.duplicated() + ", unexpected "
                        + accounting.unexpected() + ", left in INBOX " + accounting.leftInInbox() + "; " + accounting.unknown()
                        + " sends with no observed answer, " + accounting.unknownStored() + " of them stored (either is allowed)");
        check("no acknowledged write lost", lostWrites.isEmpty(), acked + " acknowledged, lost " + lostWrites.size()
                + (lostWrites.isEmpty() ? "" : " " + lostWrites.subList(0, Math.min(20, lostWrites.size()))));
        check("the node ran throughout without a restart", nodes.isAlive(NODE) && nodes.starts(NODE) == 1,
                "alive " + nodes.isAlive(NODE) + ", started " + nodes.starts(NODE) + " time(s)");
        check("the database cluster is whole at the end (old primaries rejoined as replicas)", patroni.isWhole(1 << 20),
                patroni.clusterStatus().map(JsonNode::toString).orElse("no answer"));
        for (Fault f : faults) {
            check(f.type() + " confirmed", f.confirmed(), f.detail());
        }
        boolean pass = checks.stream().allMatch(Check::ok);
        writeReport(pass, accounting, acked, lostWrites.size(), Duration.between(began, Instant.now()));
        return pass ? 0 : 1;
    }

    // ---- faults --------------------------------------------------------------------------------

    /** {@code kill -9} of the primary's host (Patroni and PostgreSQL); the host comes back after the failover. */
    private void primaryKill() throws Exception {
        patroni.awaitWhole(STEP_TIMEOUT);
        int victim = primaryIndex();
        Instant start = patroni.killMember(victim);
        boolean gone = !patroni.patroniAlive(victim) && patroni.postmasterPid(victim).isEmpty();
        int successor = awaitPrimaryOtherThan(victim);
        long intake = awaitIntakeAfter(start);
        // the failover itself (kill to promotion) and what the node adds after it (promotion to the next stored mail)
        String failover = promotionAfter(successor, start).map(promoted -> "promoted " + Duration.between(start, promoted).toMillis()
                + " ms after the kill, next mail stored " + (intake < 0 ? "never" : (intake - Duration.between(start, promoted).toMillis())
                + " ms after the promotion")).orElse("promotion time unknown (no history from " + name(successor) + ")");
        Instant restarted = Instant.now();
        patroni.startMember(victim);
        patroni.awaitWhole(STEP_TIMEOUT);
        boolean rejoinedAsReplica = patroni.primary().orElse(-1) != victim;
        long rejoin = Duration.between(restarted, Instant.now()).toMillis();
        record("pg-primary-kill", gone && successor != victim && rejoinedAsReplica,
                name(victim) + " killed (processes gone: " + gone + "), " + name(successor) + " " + failover + "; old primary back as a replica: "
                        + rejoinedAsReplica + " after " + rejoin + " ms", start, intake);
    }

    /** {@code kill -9} of the synchronous standby's host: strict synchronous mode moves to the other standby, writes go on. */
    private void standbyKill() throws Exception {
        patroni.awaitWhole(STEP_TIMEOUT);
        int primary = primaryIndex();
        int victim = syncStandbyIndex();
        Instant start = patroni.killMember(victim);
        boolean gone = !patroni.patroniAlive(victim) && patroni.postmasterPid(victim).isEmpty();
        long intake = awaitIntakeAfter(start);
        Thread.sleep(HOLD_DOWN.toMillis()); // the host stays away for a while: writes must go on meanwhile
        boolean primaryKept = patroni.primary().orElse(-1) == primary;
        long writesAfter = writer.acks().stream().filter(a -> a.startedAt().isAfter(start.plusSeconds(3))).count();
        patroni.startMember(victim);
        patroni.awaitWhole(STEP_TIMEOUT);
        record("pg-standby-kill", gone && primaryKept && writesAfter > 0,
                "synchronous standby " + name(victim) + " killed (processes gone: " + gone + ") and kept down "
                        + HOLD_DOWN.toSeconds() + " s, primary " + name(primary) + " kept: " + primaryKept + ", writes acknowledged meanwhile: "
                        + writesAfter, start, intake);
    }

    /** {@code kill -9} of the ZooKeeper leader: the ensemble elects another, and the database must not fail over. */
    private void zooKeeperLeaderKill() throws Exception {
        patroni.awaitWhole(STEP_TIMEOUT);
        TestZooKeeperEnsemble zk = db.zooKeeper();
        int leader = -1;
        for (int i = 0; i < zk.size(); i++) {
            if (zk.isLeader(i)) {
                leader = i;
            }
        }
        if (leader < 0) {
            throw new IllegalStateException("no ZooKeeper server says it leads");
        }
        int primary = primaryIndex();
        long timeline = timeline(primary);
        Instant start = Instant.now();
        zk.kill(leader);
        int killed = leader;
        boolean moved;
        try {
            Poll.until("another ZooKeeper leader", Duration.ofSeconds(30), () -> {
                for (int i = 0; i < zk.size(); i++) {
                    if (i != killed && zk.isLeader(i)) {
                        return true;
                    }
                }
                return false;
            });
            moved = true;
        } catch (IllegalStateException e) {
            moved = false;
        }
        long intake = awaitIntakeAfter(start);
        // watch the database for a while: the same primary, on the same timeline (no demotion and re-promotion)
        int changes = 0;
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < until) {
            Optional<com.fasterxml.jackson.databind.JsonNode> status = patroni.patroniStatus(primary);
            if (status.isPresent() && !isPrimaryRole(status.get().path("role").asText())) {
                changes++;
            }
            Thread.sleep(250);
        }
        boolean stable = changes == 0 && patroni.primary().orElse(-1) == primary && timeline(primary) == timeline;
        zk.startServer(killed);
        record("zk-leader-kill", moved && stable,
                "ZooKeeper server " + (killed + 1) + " (leader) killed, another elected: " + moved + "; database primary "
                        + name(primary) + " unchanged on timeline " + timeline + ": " + stable
                        + (changes > 0 ? " (" + changes + " samples not primary)" : ""), start, intake);
        patroni.awaitWhole(STEP_TIMEOUT);
    }

    /**
     * {@code kill -9} of only the primary's Patroni: its PostgreSQL keeps running and still calls
     * itself primary, but without a synchronous standby its commits hang. A standby is promoted;
     * the node must move to it and not wait on the zombie. Then the Patroni comes back and turns
     * its PostgreSQL into a replica.
     */
    private void zombiePrimary() throws Exception {
        patroni.awaitWhole(STEP_TIMEOUT);
        int victim = primaryIndex();
        long zombiePid = patroni.postmasterPid(victim).orElseThrow();
        Instant start = patroni.killPatroniOnly(victim);
        // the zombie's synchronous standby keeps confirming its commits until that standby is promoted:
        // from then on the zombie's commits hang, so the gaps count from the promotion
        int successor = awaitPrimaryOtherThan(victim);
        Instant promoted = promotionAfter(successor, start).orElseGet(Instant::now);
        boolean zombieAlive = ProcessHandle.of(zombiePid).map(ProcessHandle::isAlive).orElse(false);
        boolean zombieSaysPrimary = saysPrimary(victim);
        long intake = awaitIntakeAfter(promoted);
        Thread.sleep(HOLD_DOWN.toMillis()); // the zombie stays a while: the node must not go back to it
        long writes = writer.firstAckStartedAfter(promoted)
                .map(a -> Duration.between(promoted, a.ackedAt()).toMillis()).orElse(-1L);
        long intakeAfterHold = awaitIntakeAfter(Instant.now());
        patroni.startMember(victim);
        patroni.awaitWhole(STEP_TIMEOUT);
        boolean demoted = patroni.primary().orElse(-1) != victim;
        record("pg-zombie-primary", zombieAlive && zombieSaysPrimary && successor != victim && demoted && intakeAfterHold >= 0,
                name(victim) + "'s Patroni killed, its PostgreSQL (pid " + zombiePid + ") still running: " + zombieAlive
                        + " and calling itself primary: " + zombieSaysPrimary + "; " + name(successor) + " promoted "
                        + Duration.between(start, promoted).toMillis() + " ms after the kill; gaps count from the promotion; "
                        + "a plain multi-host writer resumed after " + (writes < 0 ? "never (it stays on the zombie)" : writes + " ms")
                        + "; intake still running " + HOLD_DOWN.toSeconds() + " s later: " + (intakeAfterHold >= 0)
                        + "; zombie demoted to a replica once its Patroni returned: " + demoted, promoted, intake);
    }

    /** Whether member i's PostgreSQL answers {@code pg_is_in_recovery() = false}, asked directly. */
    private boolean saysPrimary(int i) {
        PatroniCluster.Member m = patroni.members().get(i);
        java.util.Properties props = new java.util.Properties();
        props.setProperty("user", patroni.appUser());
        props.setProperty("password", patroni.appPassword());
        props.setProperty("connectTimeout", "2");
        props.setProperty("socketTimeout", "5");
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://" + m.host() + ":" + m.pgPort() + "/"
                + PatroniCluster.APP_DATABASE, props);
             var rs = c.createStatement().executeQuery("select not pg_is_in_recovery()")) {
            return rs.next() && rs.getBoolean(1);
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * Every database member down at once: readiness must fail, intake must wait (the mail stays on
     * the IMAP server) and resume by itself when the database returns.
     */
    private void wholeDatabaseDown() throws Exception {
        patroni.awaitWhole(STEP_TIMEOUT);
        Instant start = Instant.now();
        for (int i = 0; i < patroni.members().size(); i++) {
            patroni.killMember(i);
        }
        boolean notReady;
        try {
            Poll.until("/health/ready answers 503", Duration.ofSeconds(20), () -> probe.samples().stream()
                    .anyMatch(s -> s.path().equals("/health/ready") && s.status() == 503 && s.at().isAfter(start.plusSeconds(1))));
            notReady = true;
        } catch (IllegalStateException e) {
            notReady = false;
        }
        Thread.sleep(10_000); // mail keeps arriving meanwhile
        Instant restart = Instant.now();
        for (int i = 0; i < patroni.members().size(); i++) {
            patroni.startMember(i);
        }
        patroni.awaitWhole(STEP_TIMEOUT);
        long intake = awaitIntakeAfter(restart);
        boolean ready;
        try {
            Poll.until("/health/ready answers 200 again", Duration.ofSeconds(30), () -> probe.samples().stream()
                    .anyMatch(s -> s.path().equals("/health/ready") && s.ok() && s.at().isAfter(restart)));
            ready = true;
        } catch (IllegalStateException e) {
            ready = false;
        }
        record("pg-all-down", notReady && ready && intake >= 0,
                "all three members killed for 10 s: /health/ready failed " + notReady + ", ready again " + ready
                        + ", intake resumed " + intake + " ms after the restart", start, intake);
    }

    // ---- measuring -----------------------------------------------------------------------------

    private void record(String type, boolean confirmed, String detail, Instant start, long intakeGap) {
        Instant end = Instant.now();
        long writes = writer.firstAckStartedAfter(start).map(a -> Duration.between(start, a.ackedAt()).toMillis()).orElse(-1L);
        long ui = probe.longestGapMillis("/tickets", start, end);
        long standby = probe.standbyAnswers("/tickets", start, end);
        Fault f = new Fault(type, confirmed && intakeGap >= 0, detail, start, end, intakeGap, writes, ui, standby);
        log.info("fault {}", f);
        faults.add(f);
    }

    /**
     * Milliseconds from {@code t} until the next mail was committed on the primary Patroni names;
     * -1 when none within {@link #INTAKE_RESUME_LIMIT} (the node is stuck). By the commit time the
     * database recorded ({@link CommitTimes}), not {@code received_at}: that is when a transaction
     * started, so a commit held up across the fault (waiting for a synchronous standby, say) would be
     * missed, and one started after {@code t} would be timed from its start, not its commit.
     */
    private long awaitIntakeAfter(Instant t) throws InterruptedException {
        OffsetDateTime[] first = {null};
        try {
            Poll.until("a mail committed after " + t, INTAKE_RESUME_LIMIT, () -> {
                try (Connection c = patroni.connectToPrimary()) {
                    first[0] = Database.context(new SingleConnectionDataSource(c))
                            .select(min(CommitTimes.INBOUND_MESSAGE_COMMITTED_AT))
                            .from(INBOUND_MESSAGE)
                            .where(CommitTimes.INBOUND_MESSAGE_COMMITTED_AT.gt(t.atOffset(ZoneOffset.UTC)))
                            .fetchOne(0, OffsetDateTime.class);
                } catch (SQLException | RuntimeException e) {
                    return false; // no primary at the moment
                }
                return first[0] != null;
            });
        } catch (IllegalStateException e) {
            log.warn("{}", e.getMessage());
            return -1;
        }
        return Duration.between(t, first[0].toInstant()).toMillis();
    }

    private int primaryIndex() {
        return patroni.primary().orElseThrow(() -> new IllegalStateException("no single primary"));
    }

    private int awaitPrimaryOtherThan(int old) throws InterruptedException {
        int[] found = {-1};
        Poll.until("a primary other than " + name(old), STEP_TIMEOUT, () -> {
            found[0] = patroni.primary().orElse(-1);
            return found[0] >= 0 && found[0] != old;
        });
        return found[0];
    }

    /**
     * When member i's promotion after {@code after} ended, from its Patroni's history. Patroni adds the
     * new timeline to its history a few loops after the promotion (with the time the timeline began),
     * so this asks for up to {@link #HISTORY_WAIT}; empty when it never shows.
     */
    private Optional<Instant> promotionAfter(int i, Instant after) throws InterruptedException {
        long deadline = System.nanoTime() + HISTORY_WAIT.toNanos();
        while (true) {
            Optional<Instant> promoted = patroni.promotedAt(i).filter(at -> at.isAfter(after));
            if (promoted.isPresent() || System.nanoTime() > deadline) {
                return promoted;
            }
            Thread.sleep(200); // a poll interval inside a deadline loop
        }
    }

    private int syncStandbyIndex() {
        JsonNode cluster = patroni.clusterStatus().orElseThrow(() -> new IllegalStateException("no cluster view"));
        for (JsonNode m : cluster.path("members")) {
            if (m.path("role").asText().equals("sync_standby")) {
                return patroni.indexOf(m.path("name").asText());
            }
        }
        throw new IllegalStateException("no synchronous standby in " + cluster);
    }

    private long timeline(int member) {
        return patroni.patroniStatus(member).map(s -> s.path("timeline").asLong(-1)).orElse(-1L);
    }

    private static boolean isPrimaryRole(String role) {
        return role.equals("master") || role.equals("primary");
    }

    private String name(int member) {
        return patroni.members().get(member).name();
    }

    private void addStaff() throws IOException, InterruptedException {
        NodeLauncher.of(jar).run(List.of("user", "add", "--config", nodes.configFile(NODE).toString(), "--email", STAFF_EMAIL,
                "--name", "Chaos Staff", "--role", "agent"), STAFF_PASSWORD, Duration.ofSeconds(60));
    }

    /** Keeps every {@code *.log} of the run (nodes, Patroni members, ZooKeeper servers are elsewhere) beside the report. */
    private static void copyLogs(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.walk(from)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".log") && Files.isRegularFile(f)).toList()) {
                Files.copy(f, to.resolve(from.relativize(f).toString().replace('/', '_')),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private void check(String name, boolean ok, String detail) {
        checks.add(new Check(name, ok, detail));
        log.info("check {}: {} ({})", ok ? "PASS" : "FAIL", name, detail);
    }

    // ---- report --------------------------------------------------------------------------------

    private void writeReport(boolean pass, MailLedger.Accounting a, int acked, int lostWrites, Duration runTime) throws IOException {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("suite", "database");
        report.put("verdict", pass ? "pass" : "fail");
        report.put("mailsSent", a.sent());
        report.put("lost", a.lost());
        report.put("duplicated", a.duplicated());
        report.put("unexpected", a.unexpected());
        Map<String, Map<String, Integer>> byType = new LinkedHashMap<>();
        for (Fault f : faults) {
            Map<String, Integer> counts = byType.computeIfAbsent(f.type(), k -> new LinkedHashMap<>(Map.of("injected", 0, "confirmed", 0)));
            counts.merge("injected", 1, Integer::sum);
            counts.merge("confirmed", f.confirmed() ? 1 : 0, Integer::sum);
        }
        report.put("faults", byType);
        report.put("sendFailures", a.sendFailures());
        report.put("unknownOutcomes", a.unknown());
        report.put("unknownStored", a.unknownStored());
        report.put("acknowledgedWrites", acked);
        report.put("lostAcknowledgedWrites", lostWrites);
        report.put("runSeconds", runTime.toSeconds());
        report.put("cores", Runtime.getRuntime().availableProcessors());
        report.put("faultLog", faults.stream().map(f -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", f.type());
            m.put("confirmed", f.confirmed());
            m.put("start", f.start().toString());
            m.put("end", f.end().toString());
            m.put("intakeGapMillis", f.intakeGapMillis());
            m.put("writeGapMillis", f.writeGapMillis());
            m.put("uiGapMillis", f.uiGapMillis());
            m.put("uiAnswersFromStandby", f.standbyAnswers());
            m.put("detail", f.detail());
            return m;
        }).toList());
        report.put("checks", checks);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("report.json").toFile(), report);
        StringBuilder text = new StringBuilder();
        text.append(String.format("Database chaos suite: %s (run %d s, %d cores, %.1f mails/s)%n", pass ? "PASS" : "FAIL",
                runTime.toSeconds(), Runtime.getRuntime().availableProcessors(), rate));
        text.append(String.format("%-18s %9s %12s %11s %9s %8s%n", "fault", "confirmed", "intake gap", "write gap", "UI gap", "standby"));
        for (Fault f : faults) {
            text.append(String.format("%-18s %9s %10d ms %8d ms %6d ms %8d%n", f.type(), f.confirmed() ? "yes" : "NO",
                    f.intakeGapMillis(), f.writeGapMillis(), f.uiGapMillis(), f.standbyAnswers()));
        }
        for (Check c : checks) {
            text.append(c.ok() ? "PASS " : "FAIL ").append(c.name()).append(": ").append(c.detail()).append('\n');
        }
        Files.writeString(out.resolve("report.txt"), text.toString());
        System.out.println(text);
        System.out.println("report: " + out.resolve("report.json"));
    }
}
