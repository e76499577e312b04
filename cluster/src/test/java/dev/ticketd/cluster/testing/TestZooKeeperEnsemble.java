package dev.ticketd.cluster.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A real three-server ZooKeeper ensemble on 127.0.0.1 for tests: each server is its own JVM
 * ({@code QuorumPeerMain} from this test's class path), so each can be killed on its own.
 * {@link #close()} kills every server it started and deletes their folders.
 */
public final class TestZooKeeperEnsemble implements AutoCloseable {

    private final Path dir;
    private final int[] clientPorts;
    private final Process[] servers;

    private TestZooKeeperEnsemble(Path dir, int[] clientPorts) {
        this.dir = dir;
        this.clientPorts = clientPorts;
        this.servers = new Process[clientPorts.length];
    }

    /** Starts three servers; a client connecting to {@link #connectString()} waits for their quorum. */
    public static TestZooKeeperEnsemble start() throws IOException {
        Path dir = Files.createTempDirectory("ticketd-test-zk-");
        int n = 3;
        int[] client = new int[n];
        int[] peer = new int[n];
        int[] election = new int[n];
        for (int i = 0; i < n; i++) {
            client[i] = freePort();
            peer[i] = freePort();
            election[i] = freePort();
        }
        TestZooKeeperEnsemble ensemble = new TestZooKeeperEnsemble(dir, client);
        String servers = IntStream.range(0, n)
                .mapToObj(i -> "server." + (i + 1) + "=127.0.0.1:" + peer[i] + ":" + election[i])
                .collect(Collectors.joining("\n"));
        for (int i = 0; i < n; i++) {
            Path data = dir.resolve("zk" + (i + 1));
            Files.createDirectories(data);
            Files.writeString(data.resolve("myid"), Integer.toString(i + 1));
            Files.writeString(dir.resolve("zk" + (i + 1) + ".cfg"), String.join("\n",
                    "tickTime=500", "initLimit=10", "syncLimit=5",
                    "dataDir=" + data, "clientPort=" + client[i], "clientPortAddress=127.0.0.1",
                    "admin.enableServer=false", "4lw.commands.whitelist=ruok,srvr",
                    "maxClientCnxns=200", servers, ""), StandardCharsets.UTF_8);
            ensemble.startServer(i);
        }
        return ensemble;
    }

    public String connectString() {
        return IntStream.of(clientPorts).mapToObj(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    /** Starts (or restarts) server {@code index} (0-based). */
    public void startServer(int index) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        servers[index] = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                "-Dzookeeper.jmx.log4j.disable=true",
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", dir.resolve("zk" + (index + 1) + ".cfg").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("zk" + (index + 1) + ".log").toFile())
                .start();
    }

    /** {@code kill -9} of server {@code index}. */
    public void kill(int index) throws InterruptedException {
        Process p = servers[index];
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Whether server {@code index} answers {@code srvr} and says it is the ensemble's leader. */
    public boolean isLeader(int index) {
        return srvr(index).contains("Mode: leader");
    }

    public String srvr(int index) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), clientPorts[index])) {
            s.setSoTimeout(2000);
            s.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return "";
        }
    }

    public int size() {
        return servers.length;
    }

    @Override
    public void close() {
        List<Process> all = new ArrayList<>();
        for (Process p : servers) {
            if (p != null) {
                p.destroyForcibly();
                all.add(p);
            }
        }
        for (Process p : all) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // leftover temp files are harmless once the servers are gone
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
