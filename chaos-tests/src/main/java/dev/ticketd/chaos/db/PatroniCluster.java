package dev.ticketd.chaos.db;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.ticketd.chaos.Poll;
import dev.ticketd.chaos.Procs;
import dev.ticketd.chaos.Reaper;
import dev.ticketd.chaos.RoleDefaults;
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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * Three PostgreSQL servers managed by Patroni (Debian's {@code patroni}), coordinated through a
 * ZooKeeper ensemble, on this machine: the replicated database of issue 5 in miniature. Each
 * member is a Patroni process started as the {@code postgres} user; its PostgreSQL is Patroni's
 * child. The settings the members share are the Ansible role {@code patroni}'s defaults (strict
 * synchronous replication, replication slots, {@code pg_rewind}, ttl / loop_wait / retry_timeout):
 * see {@link #config}.
 *
 * <p>Needs root (to run the members as {@code postgres}) and the packages {@code patroni} and
 * {@code python3-kazoo}. {@link #close()} kills every process it started and deletes its folder.
 */
public final class PatroniCluster implements AutoCloseable {

    public static final String SCOPE = "ticketd";
    public static final String APP_DATABASE = "ticketd";
    public static final String APP_USER = "ticketd";

    private static final Logger log = LoggerFactory.getLogger(PatroniCluster.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final String SUPERUSER_PASSWORD = "chaos-superuser";
    private static final String REPLICATION_PASSWORD = "chaos-replication";
    private static final String APP_PASSWORD = "chaos-app";

    /** Where one member listens: PostgreSQL on {@code pgPort}, Patroni's REST API on {@code restPort}. */
    public record Member(String name, String host, int pgPort, int restPort) {
        String pgAddress() {
            return host + ":" + pgPort;
        }
    }

    private final Path dir;
    private final String zkHosts;
    private final List<Member> members;
    private final List<List<String>> commandPrefixes;
    private final String clientCidr;
    private final Process[] patroni;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private PatroniCluster(Path dir, String zkHosts, List<Member> members, List<List<String>> commandPrefixes, String clientCidr) {
        this.dir = dir;
        this.zkHosts = zkHosts;
        this.members = List.copyOf(members);
        this.commandPrefixes = List.copyOf(commandPrefixes);
        this.clientCidr = clientCidr;
        this.patroni = new Process[members.size()];
    }

    /**
     * Writes each member's configuration under {@code dir} (created, owned by {@code postgres}) and
     * starts them. {@code commandPrefixes.get(i)} is put in front of member i's command (e.g.
     * {@code ip netns exec host1}; empty for none). {@code clientCidr} is the network allowed to
     * connect (e.g. {@code 127.0.0.1/32}).
     */
    public static PatroniCluster start(Path dir, String zkHosts, List<Member> members,
                                       List<List<String>> commandPrefixes, String clientCidr) throws IOException {
        requireRoot();
        Files.createDirectories(dir);
        Procs.chown(dir, "postgres");
        PatroniCluster cluster = Reaper.register(new PatroniCluster(dir, zkHosts, members, commandPrefixes, clientCidr));
        for (int i = 0; i < members.size(); i++) {
            cluster.writeConfig(i);
        }
        cluster.checkPostgresCanRead(cluster.dir.resolve(members.get(0).name()).resolve("patroni.yml"));
        for (int i = 0; i < members.size(); i++) {
            cluster.startMember(i);
        }
        return cluster;
    }

    /** Three members on 127.0.0.1 with free ports. */
    public static PatroniCluster startOnLoopback(Path dir, String zkHosts) throws IOException {
        List<Member> members = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            members.add(new Member("pg" + i, "127.0.0.1", Procs.freePort(), Procs.freePort()));
        }
        return start(dir, zkHosts, members, List.of(List.of(), List.of(), List.of()), "127.0.0.1/32");
    }

    static void requireRoot() {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("the replicated database needs root: it runs each PostgreSQL member as user postgres");
        }
    }

    public List<Member> members() {
        return members;
    }

    public Path dir() {
        return dir;
    }

    /** The node's JDBC URL: every member, writes to whichever is primary. */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + members.stream().map(Member::pgAddress).collect(Collectors.joining(","))
                + "/" + APP_DATABASE + "?targetServerType=primary&hostRecheckSeconds=1";
    }

    /**
     * A connection to the member Patroni names primary (not merely one that says it is primary: a
     * zombie does too), as the application's role; for the harness's own checks.
     */
    public Connection connectToPrimary() throws SQLException {
        int p = primary().orElseThrow(() -> new SQLException("no single primary right now", "08001"));
        Properties props = new Properties();
        props.setProperty("user", APP_USER);
        props.setProperty("password", APP_PASSWORD);
        props.setProperty("connectTimeout", "2");
        props.setProperty("socketTimeout", "5");
        return DriverManager.getConnection("jdbc:postgresql://" + members.get(p).pgAddress() + "/" + APP_DATABASE, props);
    }

    /** The members' REST API addresses, comma-separated: a node's {@code db.patroni-urls}. */
    public String restUrls() {
        return members.stream().map(m -> "http://" + m.host() + ":" + m.restPort()).collect(Collectors.joining(","));
    }

    public String appUser() {
        return APP_USER;
    }

    public String appPassword() {
        return APP_PASSWORD;
    }

    private void writeConfig(int i) throws IOException {
        Member m = members.get(i);
        Path home = dir.resolve(m.name());
        Files.createDirectories(home);
        Procs.chown(home, "postgres");
        Path config = home.resolve("patroni.yml");
        Files.writeString(config, YAML.writeValueAsString(config(RoleDefaults.of("patroni"), m, zkHosts, home, clientCidr)), StandardCharsets.UTF_8);
        Procs.chown(config, "postgres");
    }

    /**
     * Member {@code m}'s Patroni configuration. What the cluster shares (the DCS settings: ttl,
     * loop_wait, retry_timeout, strict synchronous mode, slots, pg_rewind, PostgreSQL's parameters)
     * and initdb's options come from the Ansible role {@code patroni}'s defaults, built as the role's
     * {@code vars/main.yml} builds {@code patroni_dcs}: what this harness proves is what the role
     * deploys. Addresses, folders, passwords and the access rules are the harness's own.
     * The parameters include {@code track_commit_timestamp}: the chaos checkers order commits by
     * {@code pg_xact_commit_timestamp}, and in the DCS it is on for every member, so a promoted
     * standby keeps the commit times it replayed.
     */
    static ObjectNode config(RoleDefaults role, Member m, String zkHosts, Path home, String clientCidr) {
        ObjectNode c = JSON.createObjectNode();
        c.put("scope", SCOPE);
        c.put("namespace", role.text("patroni_namespace"));
        c.put("name", m.name());
        c.putObject("log").put("level", role.text("patroni_log_level"));
        c.putObject("restapi").put("listen", m.host() + ":" + m.restPort()).put("connect_address", m.host() + ":" + m.restPort());
        ArrayNode zk = c.putObject("zookeeper").putArray("hosts");
        java.util.Arrays.stream(zkHosts.split(",")).forEach(zk::add);
        ObjectNode bootstrap = c.putObject("bootstrap");
        ObjectNode dcs = bootstrap.putObject("dcs");
        dcs.put("ttl", role.integer("patroni_ttl"));
        dcs.put("loop_wait", role.integer("patroni_loop_wait"));
        dcs.put("retry_timeout", role.integer("patroni_retry_timeout"));
        dcs.put("maximum_lag_on_failover", role.integer("patroni_maximum_lag_on_failover"));
        dcs.put("synchronous_mode", role.bool("patroni_synchronous_mode"));
        dcs.put("synchronous_mode_strict", role.bool("patroni_synchronous_mode_strict"));
        dcs.put("synchronous_node_count", role.integer("patroni_synchronous_node_count"));
        dcs.put("failsafe_mode", role.bool("patroni_failsafe_mode"));
        ObjectNode dcsPostgres = dcs.putObject("postgresql");
        dcsPostgres.put("use_pg_rewind", role.bool("patroni_use_pg_rewind"));
        dcsPostgres.put("use_slots", role.bool("patroni_use_slots"));
        ObjectNode parameters = dcsPostgres.putObject("parameters");
        role.strings("patroni_pg_parameters").forEach(parameters::put);
        bootstrap.set("initdb", role.node("patroni_initdb"));
        ObjectNode pg = c.putObject("postgresql");
        pg.put("listen", m.host() + ":" + m.pgPort());
        pg.put("connect_address", m.host() + ":" + m.pgPort());
        pg.put("data_dir", home.resolve("data").toString());
        pg.put("bin_dir", role.text("patroni_bin_dir"));
        pg.put("pgpass", home.resolve("pgpass").toString());
        ObjectNode auth = pg.putObject("authentication");
        auth.putObject("replication").put("username", "replicator").put("password", REPLICATION_PASSWORD);
        auth.putObject("superuser").put("username", "postgres").put("password", SUPERUSER_PASSWORD);
        auth.putObject("rewind").put("username", "postgres").put("password", SUPERUSER_PASSWORD);
        pg.putObject("parameters").put("unix_socket_directories", home.toString());
        pg.putArray("pg_hba")
                .add("local all all trust")
                .add("host replication replicator " + clientCidr + " scram-sha-256")
                .add("host all all " + clientCidr + " scram-sha-256");
        c.putObject("tags").put("nofailover", false).put("noloadbalance", false).put("clonefrom", false).put("nosync", false);
        return c;
    }

    /** Patroni runs as {@code postgres}: every folder above its files must be traversable for that user. */
    private void checkPostgresCanRead(Path file) throws IOException {
        try {
            Procs.run(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "test", "-r", file.toString()));
        } catch (IOException e) {
            throw new IOException("user postgres cannot read " + file + ": give every folder above it o+x", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Starts (or restarts) member i's Patroni, which starts or adopts its PostgreSQL. */
    public void startMember(int i) throws IOException {
        if (patroni[i] != null && patroni[i].isAlive()) {
            throw new IllegalStateException(members.get(i).name() + "'s Patroni is still running");
        }
        Path home = dir.resolve(members.get(i).name());
        List<String> command = new ArrayList<>(commandPrefixes.get(i));
        command.addAll(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
                "patroni", home.resolve("patroni.yml").toString()));
        patroni[i] = new ProcessBuilder(command)
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("patroni.log").toFile()))
                .start();
        log.info("started member={} pid={}", members.get(i).name(), patroni[i].pid());
    }

    public boolean patroniAlive(int i) {
        return patroni[i] != null && patroni[i].isAlive();
    }

    /** The pid of member i's postmaster, from its {@code postmaster.pid}, if that process lives. */
    public Optional<Long> postmasterPid(int i) {
        Path pidFile = dir.resolve(members.get(i).name()).resolve("data").resolve("postmaster.pid");
        try {
            String first = Files.readAllLines(pidFile).get(0).trim();
            long pid = Long.parseLong(first);
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * {@code kill -9} of member i's Patroni and its PostgreSQL (every process of that member): its
     * host died. Returns the moment the processes were signalled.
     */
    public Instant killMember(int i) throws InterruptedException {
        List<ProcessHandle> victims = new ArrayList<>();
        if (patroni[i] != null) {
            victims.add(patroni[i].toHandle());
            patroni[i].toHandle().descendants().forEach(victims::add);
        }
        postmasterPid(i).flatMap(ProcessHandle::of).ifPresent(pm -> {
            victims.add(pm);
            pm.descendants().forEach(victims::add);
        });
        Instant signalled = Procs.killAll(victims, Duration.ofSeconds(10));
        log.info("killed member={} processes={}", members.get(i).name(), victims.size());
        return signalled;
    }

    /** {@code kill -9} of member i's Patroni only: its PostgreSQL goes on running (a zombie primary, if it was one). */
    public Instant killPatroniOnly(int i) throws InterruptedException {
        if (patroni[i] == null) {
            throw new IllegalStateException(members.get(i).name() + " has no Patroni to kill");
        }
        return Procs.killAll(List.of(patroni[i].toHandle()), Duration.ofSeconds(10));
    }

    /** {@code kill -9} of member i's PostgreSQL (postmaster and backends) only; Patroni restarts it or fails over. */
    public void killPostgresOnly(int i) throws InterruptedException {
        List<ProcessHandle> victims = new ArrayList<>();
        postmasterPid(i).flatMap(ProcessHandle::of).ifPresent(pm -> {
            victims.add(pm);
            pm.descendants().forEach(victims::add);
        });
        Procs.killAll(victims, Duration.ofSeconds(10));
    }

    /** Member i's own view through Patroni's REST API ({@code GET /patroni}), or empty when it does not answer. */
    public Optional<JsonNode> patroniStatus(int i) {
        return rest(i, "/patroni");
    }

    /**
     * When the newest timeline began, as member i's Patroni records it ({@code GET /history}: each
     * entry {@code [timeline, lsn, reason, timestamp, new_leader]}, the timestamp taken when the
     * promoted member wrote the timeline's history file): the moment a failover's promotion ended.
     * Empty when the member does not answer or its history is empty (no failover yet).
     */
    public Optional<Instant> promotedAt(int i) {
        return rest(i, "/history").flatMap(history -> {
            JsonNode last = history.path(history.size() - 1);
            String at = last.path(3).asText("");
            try {
                return at.isEmpty() ? Optional.empty() : Optional.of(java.time.OffsetDateTime.parse(at).toInstant());
            } catch (java.time.format.DateTimeParseException e) {
                log.warn("member={} history timestamp not understood: {}", members.get(i).name(), at);
                return Optional.empty();
            }
        });
    }

    /** The cluster as a live member's Patroni sees it ({@code GET /cluster}). */
    public Optional<JsonNode> clusterStatus() {
        for (int i = 0; i < members.size(); i++) {
            if (patroniAlive(i)) {
                Optional<JsonNode> status = rest(i, "/cluster");
                if (status.isPresent()) {
                    return status;
                }
            }
        }
        return Optional.empty();
    }

    /** The index of the member whose Patroni answers 200 on {@code /primary}, if exactly one does. */
    public Optional<Integer> primary() {
        List<Integer> found = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            if (patroniAlive(i) && restStatus(i, "/primary") == 200) {
                found.add(i);
            }
        }
        return found.size() == 1 ? Optional.of(found.get(0)) : Optional.empty();
    }

    /** Index of the member named {@code name}. */
    public int indexOf(String name) {
        for (int i = 0; i < members.size(); i++) {
            if (members.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException("no member " + name);
    }

    /**
     * Whether the cluster is whole: a running leader and every other member streaming from it, one
     * of them the synchronous standby, replication lag at most {@code maxLagBytes}.
     */
    public boolean isWhole(long maxLagBytes) {
        Optional<JsonNode> cluster = clusterStatus();
        if (cluster.isEmpty()) {
            return false;
        }
        int leaders = 0;
        int sync = 0;
        int replicas = 0;
        for (JsonNode m : cluster.get().path("members")) {
            String role = m.path("role").asText();
            String state = m.path("state").asText();
            if (role.equals("leader") && state.equals("running")) {
                leaders++;
            } else if ((role.equals("sync_standby") || role.equals("replica"))
                    && (state.equals("running") || state.equals("streaming"))
                    && m.path("lag").canConvertToLong() && m.path("lag").asLong() <= maxLagBytes) {
                replicas++;
                if (role.equals("sync_standby")) {
                    sync++;
                }
            }
        }
        return leaders == 1 && sync == 1 && replicas == members.size() - 1;
    }

    /** Waits until {@link #isWhole} holds; throws with the last cluster view when it does not within {@code timeout}. */
    public void awaitWhole(Duration timeout) throws InterruptedException {
        try {
            Poll.until("a primary, a synchronous standby and every member streaming", timeout, () -> isWhole(1 << 20));
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "; cluster: " + clusterStatus().map(JsonNode::toString).orElse("no answer"), e);
        }
    }

    /**
     * Creates the application's role and database on the primary (once, after bootstrap) and lets
     * the role read replication statistics ({@code pg_monitor}) for the node's cluster page.
     */
    public void createAppDatabase() throws SQLException {
        int p = primary().orElseThrow(() -> new IllegalStateException("no primary to create the database on"));
        Member m = members.get(p);
        try (Connection c = superuserConnection(m);
             Statement s = c.createStatement()) {
            s.execute("create role " + APP_USER + " login password '" + APP_PASSWORD + "'");
            s.execute("grant pg_monitor to " + APP_USER);
            s.execute("create database " + APP_DATABASE + " owner " + APP_USER);
        }
    }

    /** A connection to member {@code m}'s postgres database as the superuser Patroni was given. */
    private static Connection superuserConnection(Member m) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("password", SUPERUSER_PASSWORD);
        props.setProperty("connectTimeout", "5");
        props.setProperty("socketTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://" + m.pgAddress() + "/postgres", props);
    }

    /**
     * Runs statements on member {@code i} as the superuser Patroni was given, outside any
     * transaction block (so {@code ALTER SYSTEM} works), in a session that writes even while the
     * server's default is read-only.
     */
    public void superuser(int i, String... statements) throws SQLException {
        Member m = members.get(i);
        try (Connection c = superuserConnection(m);
             Statement s = c.createStatement()) {
            s.execute("set default_transaction_read_only = off");
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    /** A setting as a new session of the application's role on member {@code i} sees it ({@code SHOW name}). */
    public String showAsApp(int i, String name) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", APP_USER);
        props.setProperty("password", APP_PASSWORD);
        props.setProperty("connectTimeout", "5");
        props.setProperty("socketTimeout", "10");
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + members.get(i).pgAddress() + "/" + APP_DATABASE, props);
             Statement s = c.createStatement();
             java.sql.ResultSet r = s.executeQuery("show " + name)) {
            r.next();
            return r.getString(1);
        }
    }

    private Optional<JsonNode> rest(int i, String path) {
        try {
            HttpResponse<String> response = http.send(request(i, path), HttpResponse.BodyHandlers.ofString());
            return Optional.of(JSON.readTree(response.body()));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private int restStatus(int i, String path) {
        try {
            return http.send(request(i, path), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private HttpRequest request(int i, String path) {
        Member m = members.get(i);
        return HttpRequest.newBuilder(URI.create("http://" + m.host() + ":" + m.restPort() + path))
                .timeout(Duration.ofSeconds(2)).GET().build();
    }

    @Override
    public void close() {
        Reaper.unregister(this);
        for (int i = 0; i < members.size(); i++) {
            try {
                killMember(i);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Procs.deleteTree(dir);
    }
}
