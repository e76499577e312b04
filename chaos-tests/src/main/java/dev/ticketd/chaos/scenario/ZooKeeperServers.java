package dev.ticketd.chaos.scenario;

import dev.ticketd.chaos.RoleDefaults;
import dev.ticketd.chaos.net.Host;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A ZooKeeper ensemble with one server on each host ({@code QuorumPeerMain} from this JVM's class
 * path, started inside the host's namespace), on the standard ports of each host's own address.
 * Its settings (ticks, limits, heap) are the Ansible role's defaults
 * ({@code ansible/roles/zookeeper/defaults/main.yml}): what the suite proves is what ops deploy.
 */
public final class ZooKeeperServers {

    public static final int CLIENT_PORT = 2181;
    private static final int PEER_PORT = 2888;
    private static final int ELECTION_PORT = 3888;

    private final Path dir;
    private final List<Host> hosts;
    private final Process[] servers;
    private final RoleDefaults settings;

    public ZooKeeperServers(Path dir, List<Host> hosts) throws IOException {
        this.dir = dir;
        this.hosts = List.copyOf(hosts);
        this.servers = new Process[hosts.size()];
        this.settings = RoleDefaults.of("zookeeper");
        List<String> addresses = addresses();
        for (int i = 0; i < hosts.size(); i++) {
            Path data = dir.resolve("zk" + (i + 1));
            Files.createDirectories(data);
            Files.writeString(data.resolve("myid"), Integer.toString(i + 1));
            Files.writeString(config(i), configuration(settings, addresses, i, data), StandardCharsets.UTF_8);
        }
    }

    /**
     * The configuration of server {@code i} (id {@code i + 1}) of an ensemble on these addresses,
     * as the role's template writes it.
     */
    static String configuration(RoleDefaults role, List<String> addresses, int i, Path data) {
        if (role.integer("zookeeper_client_port") != CLIENT_PORT || role.integer("zookeeper_peer_port") != PEER_PORT
                || role.integer("zookeeper_election_port") != ELECTION_PORT) {
            throw new IllegalStateException("the zookeeper role's ports differ from the harness's " + CLIENT_PORT + "/"
                    + PEER_PORT + "/" + ELECTION_PORT);
        }
        String peers = IntStream.range(0, addresses.size())
                .mapToObj(j -> "server." + (j + 1) + "=" + addresses.get(j) + ":" + PEER_PORT + ":" + ELECTION_PORT)
                .collect(Collectors.joining("\n"));
        return String.join("\n",
                "tickTime=" + role.integer("zookeeper_tick_time"),
                "initLimit=" + role.integer("zookeeper_init_limit"),
                "syncLimit=" + role.integer("zookeeper_sync_limit"),
                "dataDir=" + data, "clientPort=" + CLIENT_PORT, "clientPortAddress=" + addresses.get(i),
                "quorumListenOnAllIPs=false", "admin.enableServer=false", "4lw.commands.whitelist=ruok,srvr",
                "maxClientCnxns=" + role.integer("zookeeper_max_client_connections"), peers, "");
    }

    private Path config(int i) {
        return dir.resolve("zk" + (i + 1) + ".cfg");
    }

    /** The connect string for clients: every server's client address. */
    public String connectString() {
        return hosts.stream().map(h -> h.address() + ":" + CLIENT_PORT).collect(Collectors.joining(","));
    }

    public List<String> addresses() {
        return hosts.stream().map(Host::address).toList();
    }

    public void startAll() throws IOException {
        for (int i = 0; i < hosts.size(); i++) {
            start(i);
        }
    }

    /** Starts (or restarts) the server on host {@code i}, inside its namespace. */
    public void start(int i) throws IOException {
        if (servers[i] != null && servers[i].isAlive()) {
            throw new IllegalStateException("ZooKeeper on " + hosts.get(i).name() + " is still running");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        servers[i] = hosts.get(i).processBuilder(List.of(java, "-Xmx" + settings.integer("zookeeper_heap_mb") + "m", "-XX:TieredStopAtLevel=1",
                        "-cp", System.getProperty("java.class.path"), "-Dzookeeper.jmx.log4j.disable=true",
                        "org.apache.zookeeper.server.quorum.QuorumPeerMain", config(i).toString()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("zk" + (i + 1) + ".log").toFile()))
                .start();
    }

    public Process process(int i) {
        return servers[i];
    }

    public boolean alive(int i) {
        return servers[i] != null && servers[i].isAlive();
    }

    /** {@code kill -9} of the server on host {@code i}. */
    public void kill(int i) throws InterruptedException {
        Process p = servers[i];
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The index of the server that says it leads, or -1. */
    public int leader() {
        for (int i = 0; i < hosts.size(); i++) {
            if (srvr(i).contains("Mode: leader")) {
                return i;
            }
        }
        return -1;
    }

    /** Whether every server answers and says it is leader or follower (the ensemble is whole). */
    public boolean whole() {
        int leaders = 0;
        int followers = 0;
        for (int i = 0; i < hosts.size(); i++) {
            String s = srvr(i);
            if (s.contains("Mode: leader")) {
                leaders++;
            } else if (s.contains("Mode: follower")) {
                followers++;
            }
        }
        return leaders == 1 && leaders + followers == hosts.size();
    }

    public String srvr(int i) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(hosts.get(i).address(), CLIENT_PORT), 1000);
            s.setSoTimeout(2000);
            s.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return "";
        }
    }

    public Duration sessionTimeoutFloor() {
        return Duration.ofMillis(2L * settings.integer("zookeeper_tick_time")); // ZooKeeper's least session timeout
    }
}
