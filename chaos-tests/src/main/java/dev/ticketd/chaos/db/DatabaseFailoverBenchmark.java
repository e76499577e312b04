package dev.ticketd.chaos.db;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ticketd.chaos.Poll;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Repeated {@code kill -9} of the PostgreSQL primary's host (its Patroni and its PostgreSQL) under a
 * steady write load ({@link AckedWriter}), on the three-member {@link ReplicatedDatabase}. For each
 * kill: how long writes were unavailable (kill until the next acknowledged commit), when the new
 * primary was elected, and how long the old primary took to rejoin as a replica once restarted.
 * At the end: acknowledged writes missing from the database (must be none).
 *
 * <p>{@code chaos-tests/db-failover-bench [--kills 10] [--out target/db-failover-bench.json]}; needs root.
 */
public final class DatabaseFailoverBenchmark {

    private static final Logger log = LoggerFactory.getLogger(DatabaseFailoverBenchmark.class);
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(120);

    record Kill(int n, String victim, String successor, long electedMillis, long unavailableMillis, long rejoinMillis) {
    }

    public static void main(String[] args) throws Exception {
        int kills = 10;
        Path out = Path.of("target/db-failover-bench.json");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--kills" -> kills = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> {
                    System.err.println("unknown option " + args[i] + "; usage: [--kills N] [--out FILE]");
                    System.exit(2);
                }
            }
        }
        if (kills < 1 || kills > 200) {
            System.err.println("--kills must be between 1 and 200, was " + kills);
            System.exit(2);
        }
        int status;
        try {
            status = run(kills, out);
        } finally {
            Reaper.closeAll();
        }
        System.exit(status);
    }

    static int run(int killCount, Path out) throws Exception {
        Path dir = Files.createTempDirectory("ticketd-db-bench-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        Reaper.register(() -> Procs.deleteTree(dir));
        Instant began = Instant.now();
        ReplicatedDatabase db = ReplicatedDatabase.start(dir);
        PatroniCluster patroni = db.patroni();
        List<Kill> kills = new ArrayList<>();
        List<Long> lost;
        int acked;
        try (AckedWriter writer = new AckedWriter(db.jdbcUrl(), patroni.appUser(), patroni.appPassword(), 20)) {
            for (int n = 1; n <= killCount; n++) {
                patroni.awaitWhole(STEP_TIMEOUT);
                Instant steady = Instant.now();
                Poll.until("writes acknowledged before the kill", STEP_TIMEOUT,
                        () -> writer.firstAckAfter(steady.plusMillis(500)).isPresent());
                int victim = patroni.primary().orElseThrow(() -> new IllegalStateException("no single primary"));
                Instant killedAt = patroni.killMember(victim);
                int[] successor = {-1};
                Poll.until("a new primary after killing " + patroni.members().get(victim).name(), STEP_TIMEOUT, () -> {
                    successor[0] = patroni.primary().orElse(-1);
                    return successor[0] >= 0 && successor[0] != victim;
                });
                long elected = Duration.between(killedAt, Instant.now()).toMillis();
                Poll.until("a write begun and acknowledged after the kill", STEP_TIMEOUT,
                        () -> writer.firstAckStartedAfter(killedAt).isPresent());
                long unavailable = Duration.between(killedAt, writer.firstAckStartedAfter(killedAt).orElseThrow().ackedAt()).toMillis();
                Instant restartedAt = Instant.now();
                patroni.startMember(victim); // the host is back
                patroni.awaitWhole(STEP_TIMEOUT);
                if (patroni.primary().orElse(-1) == victim) {
                    throw new IllegalStateException("the old primary took the leadership back instead of rejoining as a replica");
                }
                long rejoin = Duration.between(restartedAt, Instant.now()).toMillis();
                Kill k = new Kill(n, patroni.members().get(victim).name(), patroni.members().get(successor[0]).name(),
                        elected, unavailable, rejoin);
                log.info("kill {}/{}: {}", n, killCount, k);
                kills.add(k);
            }
            Thread.sleep(1000);
            writer.close();
            lost = writer.lostAcknowledged();
            acked = writer.acks().size();
        } finally {
            db.close();
        }
        Duration runTime = Duration.between(began, Instant.now());
        String table = table(kills, acked, lost, runTime);
        System.out.println(table);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("kills", kills.size());
        json.put("cores", Runtime.getRuntime().availableProcessors());
        json.put("runSeconds", runTime.toSeconds());
        json.put("acknowledgedWrites", acked);
        json.put("lostAcknowledgedWrites", lost.size());
        json.put("unavailableMillis", summary(kills.stream().map(Kill::unavailableMillis).toList()));
        json.put("electedMillis", summary(kills.stream().map(Kill::electedMillis).toList()));
        json.put("rejoinMillis", summary(kills.stream().map(Kill::rejoinMillis).toList()));
        json.put("runs", kills);
        Files.createDirectories(out.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), json);
        System.out.println("JSON written to " + out.toAbsolutePath());
        return lost.isEmpty() ? 0 : 1;
    }

    static Map<String, Long> summary(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("min", sorted.get(0));
        m.put("median", sorted.get((sorted.size() - 1) / 2));
        m.put("max", sorted.get(sorted.size() - 1));
        return m;
    }

    private static String table(List<Kill> kills, int acked, List<Long> lost, Duration runTime) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%nDatabase failover benchmark: %d kill -9 of the primary's Patroni and PostgreSQL, %d cores, run %d s%n",
                kills.size(), Runtime.getRuntime().availableProcessors(), runTime.toSeconds()));
        s.append(String.format(Locale.ROOT, "%-44s %7s %7s %7s%n", "(ms)", "min", "median", "max"));
        for (var row : List.of(
                Map.entry("writes unavailable (kill -> commit)", kills.stream().map(Kill::unavailableMillis).toList()),
                Map.entry("new primary elected (kill -> /primary)", kills.stream().map(Kill::electedMillis).toList()),
                Map.entry("old primary rejoined (restart -> streaming)", kills.stream().map(Kill::rejoinMillis).toList()))) {
            Map<String, Long> m = summary(row.getValue());
            s.append(String.format(Locale.ROOT, "%-44s %7d %7d %7d%n", row.getKey(), m.get("min"), m.get("median"), m.get("max")));
        }
        s.append(String.format(Locale.ROOT, "acknowledged writes %d, lost %d%s%n", acked, lost.size(),
                lost.isEmpty() ? "" : " " + lost.subList(0, Math.min(20, lost.size()))));
        return s.toString();
    }
}
