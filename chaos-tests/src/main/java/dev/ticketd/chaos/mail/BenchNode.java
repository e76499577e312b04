package dev.ticketd.chaos.mail;

import dev.ticketd.chaos.DeployedJvm;
import dev.ticketd.chaos.Procs;
import dev.ticketd.chaos.RoleDefaults;
import dev.ticketd.cluster.EmbeddedZooKeeper;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.testing.NodeLauncher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static dev.ticketd.db.generated.Tables.MAILBOX_LEASE;
import static org.awaitility.Awaitility.await;

/**
 * The node of {@code ingest-bench --reader node}: the packaged {@code ticketd.jar serve}, a process
 * of its own, started with exactly the JVM options and environment the Ansible role
 * {@code ticket_node} deploys ({@code ticket_node_heap_mb}, {@code ticket_node_java_options},
 * {@code ticket_node_environment}) and its timings ({@code ticket_node_tuning}), with a ZooKeeper in
 * the benchmark's JVM, so that its CPU and memory are those of a node in production doing the same
 * work. It leads the support mailbox of the benchmark's mail server. {@link #close()} stops it
 * with SIGTERM (as systemd does), then kills it after 45 s; then the ZooKeeper.
 */
final class BenchNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BenchNode.class);
    private static final Duration READY_WITHIN = Duration.ofSeconds(180);
    private static final String NODE_ID = "bench-node";

    private final Process process;
    private final EmbeddedZooKeeper zk;
    private final Path logFile;
    private final List<String> jvmOptions;

    private BenchNode(Process process, EmbeddedZooKeeper zk, Path logFile, List<String> jvmOptions) {
        this.process = process;
        this.zk = zk;
        this.logFile = logFile;
        this.jvmOptions = jvmOptions;
    }

    /**
     * Starts a node in {@code dir} on an {@link IntakeRig}'s database (migrated, with the support
     * mailbox's row) and mail server, and returns once it answers {@code /health/ready} and holds the
     * mailbox's lease (its reader runs).
     */
    static BenchNode start(Path dir, IntakeRig rig, DatabaseSettings settings) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir.resolve("zk"), Procs.freePort());
        Process process = null;
        try {
            int httpPort = Procs.freePort();
            RoleDefaults role = RoleDefaults.of("ticket_node");
            Map<String, String> c = new LinkedHashMap<>();
            c.put("node.id", NODE_ID);
            c.put("http.host", "127.0.0.1");
            c.put("http.port", Integer.toString(httpPort));
            c.put("db.url", settings.jdbcUrl());
            c.put("db.user", settings.user());
            c.put("db.password", settings.password());
            c.put("cluster.name", "ingest-bench");
            c.put("zk.address", zk.connectString());
            c.putAll(role.strings("ticket_node_tuning"));
            c.put("secret." + IntakeRig.MAILBOX_ID, MailServerConfig.DEFAULT_SUPPORT_PASSWORD);
            Path config = dir.resolve("node.properties");
            Files.writeString(config, c.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining("\n", "", "\n")), StandardCharsets.UTF_8);
            DeployedJvm deployed = DeployedJvm.of(role);
            List<String> jvm = deployed.options();
            Path logFile = dir.resolve("node.log");
            ProcessBuilder pb = NodeLauncher.of(Path.of(System.getProperty("ticketd.jar", "ticket-node/target/ticketd.jar")))
                    .processBuilder(jvm, List.of("serve", "--config", config.toString()))
                    .redirectErrorStream(true).redirectOutput(logFile.toFile());
            pb.environment().putAll(deployed.environment());
            process = pb.start();
            BenchNode node = new BenchNode(process, zk, logFile, jvm);
            log.info("node started pid={} jvm={} env={} log={}", process.pid(), jvm, deployed.environment(), logFile);
            node.awaitReady(httpPort, rig.db);
            return node;
        } catch (IOException | RuntimeException e) {
            if (process != null) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            zk.close();
            throw e;
        }
    }

    private void awaitReady(int httpPort, Database db) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health/ready"))
                .timeout(Duration.ofSeconds(5)).build();
        await("the node answers /health/ready and holds the mailbox's lease").atMost(READY_WITHIN).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    requireAlive();
                    try {
                        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
                            return false;
                        }
                    } catch (IOException notYet) {
                        return false;
                    }
                    return db.dsl().fetchExists(MAILBOX_LEASE, MAILBOX_LEASE.MAILBOX_ID.eq(IntakeRig.MAILBOX_ID)
                            .and(MAILBOX_LEASE.HOLDER.eq(NODE_ID)));
                });
    }

    /** Fails, naming the node's log, when the node has exited. */
    void requireAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException("the node exited with status " + process.exitValue() + "; see " + logFile);
        }
    }

    long pid() {
        return process.pid();
    }

    List<String> jvmOptions() {
        return jvmOptions;
    }

    /** A line of the node's {@code /proc/PID/status} in KiB ({@code VmRSS}, {@code VmHWM}); -1 when it cannot be read. */
    long statusKib(String key) {
        return ProcStats.statusKib(process.pid(), key);
    }

    /** The node's CPU seconds so far (its process tree: the JVM). */
    Optional<Double> cpuSeconds() {
        return ProcStats.treeCpuSeconds(process.pid());
    }

    /**
     * The node's resident memory while it sits idle for {@code period}: sampled once a second
     * (a measurement over time, not a wait for an event); its largest and its last value, in MiB.
     */
    Map<String, Object> idleRss(Duration period) throws InterruptedException {
        long max = 0;
        long last = 0;
        long end = System.nanoTime() + period.toNanos();
        while (System.nanoTime() < end) {
            requireAlive();
            last = statusKib("VmRSS");
            max = Math.max(max, last);
            TimeUnit.SECONDS.sleep(1);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("seconds", period.toSeconds());
        out.put("maxRssMiB", max / 1024);
        out.put("lastRssMiB", last / 1024);
        return out;
    }

    @Override
    public void close() {
        try {
            process.destroy();
            if (!process.waitFor(45, TimeUnit.SECONDS)) {
                log.warn("the node did not stop within 45 s of SIGTERM; killing it");
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            zk.close();
        }
        log.info("node stopped; its log: {}", logFile);
    }
}
