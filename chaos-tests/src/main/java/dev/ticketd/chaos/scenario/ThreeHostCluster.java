package dev.ticketd.chaos.scenario;

import dev.ticketd.chaos.Poll;
import dev.ticketd.chaos.Procs;
import dev.ticketd.chaos.Reaper;
import dev.ticketd.chaos.DeployedJvm;
import dev.ticketd.chaos.RoleDefaults;
import dev.ticketd.chaos.db.PatroniCluster;
import dev.ticketd.chaos.mail.MailServer;
import dev.ticketd.chaos.mail.MailServerConfig;
import dev.ticketd.chaos.net.Host;
import dev.ticketd.chaos.net.Hosts;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.Migrations;
import dev.ticketd.testing.NodeLauncher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.MAILBOX_LEASE;

/**
 * Three hosts and a mail server on this machine, each a network namespace ({@link Hosts}): every
 * host runs a ZooKeeper server, a Patroni-managed PostgreSQL member and a ticket node (the
 * packaged jar, {@code serve} with a generated config file), all as separate processes; the mail
 * host runs Dovecot and Postfix. {@link #close()} (or the {@link Reaper}) removes all of it.
 */
public final class ThreeHostCluster implements AutoCloseable {

    public static final String MAILBOX_ID = "support";
    public static final String SUPPORT = MailServerConfig.DEFAULT_SUPPORT;
    public static final String SUPPORT_PASSWORD = MailServerConfig.DEFAULT_SUPPORT_PASSWORD;
    public static final String STAFF_EMAIL = "staff@example.test";
    public static final String STAFF_PASSWORD = "chaos-staff-password";
    public static final int HTTP_PORT = 8080;
    public static final int PG_PORT = 5432;
    public static final int PATRONI_PORT = 8008;
    public static final int IMAP_PORT = 143;
    public static final int SMTP_PORT = 25;
    public static final int LMTP_PORT = 24;
    public static final String CLUSTER = "ticketd";
    static final List<String> NODE_HOSTS = List.of("h1", "h2", "h3");

    private static final Logger log = LoggerFactory.getLogger(ThreeHostCluster.class);

    private final Path dir;
    private final NodeLauncher launcher;
    private volatile String apiToken;
    private final Duration sessionTimeout;
    private Hosts hosts;
    private MailServer mail;
    private ZooKeeperServers zk;
    private PatroniCluster patroni;
    private Database db;
    private final Map<String, Process> nodes = new LinkedHashMap<>();
    private final Map<String, Integer> nodeStarts = new LinkedHashMap<>();
    private AlertCapture alerts;
    private Process outsideWatch;

    /**
     * Keys every node's configuration gets on top of the generated ones: the self-watch's settings
     * the scenario needs. A canary every 30 s (default 60 s) lets a mail server that stops
     * delivering be alerted within the silent faults' 120 s (30 + 2 × 20 s deadline + 3 rounds of 5 s).
     */
    static final Map<String, String> NODE_EXTRAS = Map.of("watch.canary-interval", "30s");
    /** The nodes' JVM: the options and environment the Ansible role {@code ticket_node} deploys. */
    static final DeployedJvm NODE_JVM = DeployedJvm.ofRepositoryRole();
    /** The node timings of the Ansible role ticket_node ({@code ticket_node_tuning}): what is proven here is what is deployed. */
    static final Map<String, String> NODE_TUNING = RoleDefaults.of("ticket_node").strings("ticket_node_tuning");

    /** The role's {@code zk.session-timeout} (whole seconds or milliseconds, as {@code 4s} or {@code 4000ms}). */
    public static Duration sessionTimeout() {
        String v = NODE_TUNING.get("zk.session-timeout");
        if (v == null || !v.matches("\\d+(ms|s)")) {
            throw new IllegalStateException(RoleDefaults.repositoryFile("ticket_node") + ": ticket_node_tuning.zk.session-timeout must be"
                    + " like 4s or 4000ms, is " + v);
        }
        return v.endsWith("ms") ? Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)))
                : Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
    }

    public ThreeHostCluster(Path dir, Path jar, Duration sessionTimeout) {
        this.dir = dir;
        this.launcher = NodeLauncher.of(jar);
        this.sessionTimeout = sessionTimeout;
    }

    public void start() throws Exception {
        long t0 = System.nanoTime();
        hosts = Hosts.create(List.of("h1", "h2", "h3", "mail"));
        Host mailHost = hosts.host("mail");
        alerts = Reaper.register(new AlertCapture(hosts.harnessAddress()).start());
        for (Host h : nodeHosts()) {
            hosts.expectReachable(h, alerts.address(), alerts.relayPort());
            hosts.expectReachable(h, alerts.address(), alerts.webhookPort());
        }
        mail = Reaper.register(MailServer.start(MailServerConfig.of(dir.resolve("mail"), mailHost.address(),
                IMAP_PORT, SMTP_PORT, LMTP_PORT).withCommandPrefix(mailHost.commandPrefix())));
        zk = new ZooKeeperServers(dir.resolve("zk"), nodeHosts());
        zk.startAll();
        Poll.until("a whole ZooKeeper ensemble", Duration.ofSeconds(90), zk::whole);
        List<PatroniCluster.Member> members = new ArrayList<>();
        for (int i = 0; i < NODE_HOSTS.size(); i++) {
            members.add(new PatroniCluster.Member("pg" + (i + 1), nodeHosts().get(i).address(), PG_PORT, PATRONI_PORT));
        }
        patroni = PatroniCluster.start(dir.resolve("pg"), zk.connectString(), members,
                nodeHosts().stream().map(Host::commandPrefix).toList(), hosts.subnet());
        // this cluster closes them (after the run's logs are copied), not the reaper on its own
        Reaper.unregister(mail);
        Reaper.unregister(patroni);
        patroni.awaitWhole(Duration.ofSeconds(180));
        patroni.createAppDatabase();
        db = Reaper.register(Database.open(settings().withMaxPoolSize(3), "chaos-harness"));
        Migrations.migrate(db.dataSource());
        db.dsl().insertInto(MAILBOX)
                .set(MAILBOX.ID, MAILBOX_ID).set(MAILBOX.ADDRESS, SUPPORT)
                .set(MAILBOX.IMAP_HOST, mailHost.address()).set(MAILBOX.IMAP_PORT, IMAP_PORT).set(MAILBOX.IMAP_SECURITY, "none")
                .set(MAILBOX.IMAP_USER, SUPPORT).set(MAILBOX.SECRET_REF, "support")
                .set(MAILBOX.INBOX_FOLDER, "INBOX").set(MAILBOX.PROCESSED_FOLDER, "Processed")
                .set(MAILBOX.SMTP_HOST, mailHost.address()).set(MAILBOX.SMTP_PORT, SMTP_PORT).set(MAILBOX.SMTP_SECURITY, "none")
                .execute();
        for (String h : NODE_HOSTS) {
            writeNodeConfig(h);
        }
        cli(List.of("user", "add", "--config", config("h1").toString(), "--email", STAFF_EMAIL, "--name", "Chaos Staff",
                "--role", "agent"), STAFF_PASSWORD);
        // the node makes the token and prints it once ("token: tkd_…")
        String made = launcher.run(List.of("user", "token", "--config", config("h1").toString(), "--email", STAFF_EMAIL,
                "--name", "chaos"), null, Duration.ofSeconds(60));
        Matcher printed = Pattern.compile("token: (tkd_\\S+)").matcher(made);
        if (!printed.find()) {
            throw new IllegalStateException("ticketd user token printed no token: " + made);
        }
        apiToken = printed.group(1);
        startNode("h1");
        awaitLiveNodes(1, Duration.ofSeconds(90));
        startNode("h2");
        startNode("h3");
        awaitLiveNodes(3, Duration.ofSeconds(90));
        startOutsideWatch();
        log.info("three-host cluster ready in {} ms", (System.nanoTime() - t0) / 1_000_000);
    }

    /** The application's database settings, as the harness uses them (multi-host URL, Patroni's view). */
    public DatabaseSettings settings() {
        return DatabaseSettings.of(patroni.jdbcUrl(), patroni.appUser(), patroni.appPassword())
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5))
                .withPatroniUrls(dev.ticketd.db.patroni.PatroniLeader.parseUrls(patroni.restUrls()));
    }

    /** The staff API token the cluster's first node made during {@link #start}. */
    public String apiToken() {
        return apiToken;
    }

    public List<Host> nodeHosts() {
        return NODE_HOSTS.stream().map(hosts::host).toList();
    }

    public Hosts hosts() {
        return hosts;
    }

    public MailServer mail() {
        return mail;
    }

    public ZooKeeperServers zooKeeper() {
        return zk;
    }

    public PatroniCluster patroni() {
        return patroni;
    }

    public Database db() {
        return db;
    }

    /** The operations side: every alert notice the nodes and the outside watcher sent. */
    public AlertCapture alerts() {
        return alerts;
    }

    /**
     * {@code ticketd watch}, the watcher outside the cluster, in the harness's own namespace (outside
     * every host), asking each node every 5 s and alerting to the same capture as the nodes.
     */
    private void startOutsideWatch() throws IOException {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("cluster.name", CLUSTER);
        c.put("watch.nodes", NODE_HOSTS.stream().map(h -> httpUrl(h) + "/").collect(Collectors.joining(",")));
        c.put("watch.interval", "5s");
        c.putAll(alerts.alertConfig("watch@ops.test"));
        Path file = dir.resolve("outside-watch.properties");
        Files.writeString(file, c.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n", "", "\n")), StandardCharsets.UTF_8);
        outsideWatch = launcher.processBuilder(List.of("-Xmx96m", "-XX:TieredStopAtLevel=1"), List.of("watch", "--config", file.toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("outside-watch.log").toFile()).start();
        Process started = outsideWatch;
        Reaper.register(started::destroyForcibly);
        log.info("outside watcher started pid={} nodes={}", started.pid(), c.get("watch.nodes"));
    }

    public boolean outsideWatchAlive() {
        return outsideWatch != null && outsideWatch.isAlive();
    }

    public Path dir() {
        return dir;
    }

    public String httpUrl(String host) {
        return "http://" + hosts.host(host).address() + ":" + HTTP_PORT;
    }

    public Path config(String host) {
        return dir.resolve(host + ".properties");
    }

    private void writeNodeConfig(String h) throws IOException {
        Host host = hosts.host(h);
        Map<String, String> c = new LinkedHashMap<>();
        c.put("node.id", h);
        c.put("http.host", host.address());
        c.put("http.port", Integer.toString(HTTP_PORT));
        c.put("http.public-url", httpUrl(h) + "/");
        c.put("db.url", patroni.jdbcUrl());
        c.put("db.user", patroni.appUser());
        c.put("db.password", patroni.appPassword());
        c.put("db.patroni-urls", patroni.restUrls());
        c.put("cluster.name", CLUSTER);
        c.put("zk.address", zk.connectString());
        // the timings the Ansible role deploys (pool size, timeouts, poll interval, give-up, claim
        // expiry): one source for both. Short SMTP timeouts allow a claim expiry the drain can wait
        // out, so a reply whose sender was killed mid-send is re-sent (and counted) within the run.
        c.putAll(NODE_TUNING);
        c.put("zk.session-timeout", sessionTimeout.toMillis() + "ms");
        c.put("secret.support", SUPPORT_PASSWORD);
        // operations: the harness's webhook sink and relay (AlertCapture), never the support mail server
        c.putAll(alerts.alertConfig("ticketd-" + h + "@ops.test"));
        c.putAll(NODE_EXTRAS);
        Files.writeString(config(h), c.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n", "", "\n")), StandardCharsets.UTF_8);
    }

    /** Runs a CLI command of the node jar from the harness (root namespace), with {@code stdin} as its first input line. */
    private void cli(List<String> args, String stdin) throws IOException, InterruptedException {
        launcher.run(args, stdin, Duration.ofSeconds(60));
    }

    /** Starts (or restarts) the ticket node on host {@code h}, inside the host's namespace. */
    public void startNode(String h) throws IOException {
        Process old = nodes.get(h);
        if (old != null && old.isAlive()) {
            throw new IllegalStateException("the node on " + h + " is still running");
        }
        // inside the host's namespace, in the JVM the Ansible role deploys; the log is appended to across restarts
        nodes.put(h, launcher.behind(hosts.host(h).commandPrefix())
                .serve(NODE_JVM.options(), NODE_JVM.environment(), config(h), dir.resolve("node-" + h + ".log"), true));
        nodeStarts.merge(h, 1, Integer::sum);
    }

    public Process node(String h) {
        return nodes.get(h);
    }

    public boolean nodeAlive(String h) {
        Process p = nodes.get(h);
        return p != null && p.isAlive();
    }

    public int nodeStarts(String h) {
        return nodeStarts.getOrDefault(h, 0);
    }

    private org.apache.zookeeper.ZooKeeper zkClient;

    /**
     * Live Helix instances, read straight from ZooKeeper (empty when it cannot be asked), over one
     * client session kept for the run (a session per question made thousands of sessions an hour).
     */
    public synchronized List<String> liveNodes() {
        try {
            if (zkClient == null || !zkClient.getState().isAlive()) {
                if (zkClient != null) {
                    zkClient.close();
                }
                zkClient = new org.apache.zookeeper.ZooKeeper(zk.connectString(), 10_000, event -> { });
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (zkClient.getState() != org.apache.zookeeper.ZooKeeper.States.CONNECTED && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(20);
            }
            return zkClient.getChildren("/" + CLUSTER + "/LIVEINSTANCES", false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        } catch (Exception e) {
            return List.of();
        }
    }

    public void awaitLiveNodes(int count, Duration timeout) throws InterruptedException {
        Poll.until(count + " live ticket nodes", timeout, Duration.ofMillis(250), () -> {
            nodes.forEach((h, p) -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("the node on " + h + " exited, see " + dir.resolve("node-" + h + ".log"));
                }
            });
            return liveNodes().size() == count;
        });
    }

    /** The mailbox's lease holder and epoch, read on the primary Patroni names. */
    public record Lease(String holder, long epoch) {
    }

    public Lease lease() {
        return db.dsl().select(MAILBOX_LEASE.HOLDER, MAILBOX_LEASE.EPOCH).from(MAILBOX_LEASE)
                .where(MAILBOX_LEASE.MAILBOX_ID.eq(MAILBOX_ID))
                .fetchOptional(r -> new Lease(r.value1(), r.value2())).orElse(new Lease(null, 0));
    }

    /** Copies every log of the run (nodes, ZooKeeper, Patroni, mail server) into {@code to}. */
    public void copyLogs(Path to) throws IOException {
        Files.createDirectories(to);
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".log") && Files.isRegularFile(f)).toList()) {
                Files.copy(f, to.resolve(dir.relativize(f).toString().replace('/', '_')),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    @Override
    public void close() throws Exception {
        Reaper.unregister(this);
        synchronized (this) {
            if (zkClient != null) {
                zkClient.close();
            }
        }
        if (outsideWatch != null) {
            outsideWatch.destroyForcibly();
        }
        for (Process p : nodes.values()) {
            p.destroyForcibly();
        }
        for (Process p : nodes.values()) {
            p.waitFor(20, TimeUnit.SECONDS);
        }
        if (db != null) {
            db.close();
        }
        if (patroni != null) {
            patroni.close();
        }
        if (zk != null) {
            for (int i = 0; i < NODE_HOSTS.size(); i++) {
                zk.kill(i);
            }
        }
        if (mail != null) {
            mail.close();
        }
        if (alerts != null) {
            alerts.close();
            Reaper.unregister(alerts);
        }
        if (hosts != null) {
            hosts.close();
        }
        Procs.deleteTree(dir);
    }
}
