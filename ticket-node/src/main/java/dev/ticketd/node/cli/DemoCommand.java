package dev.ticketd.node.cli;

import dev.ticketd.cluster.EmbeddedZooKeeper;
import dev.ticketd.db.Database;
import dev.ticketd.db.LocalPostgres;
import dev.ticketd.db.Migrations;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.node.Node;
import dev.ticketd.node.auth.ApiTokens;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.auth.StaffAccounts;
import dev.ticketd.node.auth.StaffGroups;
import dev.ticketd.node.sla.SlaAdmin;
import dev.ticketd.desk.GroupAccess;
import dev.ticketd.node.config.ConfigLoader;
import dev.ticketd.node.config.NodeConfig;
import dev.ticketd.node.intake.MailboxCatalog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;


import static dev.ticketd.db.generated.Tables.TICKET;
/**
 * A newcomer's start: a throwaway PostgreSQL, an in-process ZooKeeper, an in-process IMAP + SMTP
 * server holding the support mailbox, and one node leading it, all on 127.0.0.1. Ctrl-C stops everything it started.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, subcommands = DemoSendCommand.class,
        description = "Run a self-contained demo: local PostgreSQL, in-process ZooKeeper and mail server, one node.")
public final class DemoCommand implements Callable<Integer> {

    static final String ADMIN_EMAIL = "admin@example.test";
    /** Two agents of two teams: Ana works Support and reads Billing, Ben works Billing. */
    static final String SUPPORT_AGENT = "ana@example.test";
    static final String BILLING_AGENT = "ben@example.test";

    @Spec
    CommandSpec spec;

    @Option(names = "--http-port", defaultValue = "8080", description = "Web UI port (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--smtp-port", defaultValue = "3025", description = "In-process SMTP port (default: ${DEFAULT-VALUE}).")
    int smtpPort;

    @Option(names = "--imap-port", defaultValue = "3143", description = "In-process IMAP port (default: ${DEFAULT-VALUE}).")
    int imapPort;

    @Option(names = "--zk-port", defaultValue = "2181", description = "In-process ZooKeeper port (default: ${DEFAULT-VALUE}).")
    int zkPort;

    @Option(names = "--admin-password", description = "Password of " + ADMIN_EMAIL + " (default: generated and printed).")
    String adminPassword;

    @Option(names = "--api-token", description = "Also make an API bearer token for the admin and print it.")
    boolean withApiToken;

    /** The token made for {@code --api-token}, once {@link #prepare} ran. */
    private String apiToken;

    @Option(names = "--data-dir", description = "Keep the demo's database here across runs (default: a temporary folder, deleted at exit).")
    Path dataDir;

    @Option(names = "--nodes", defaultValue = "1",
            description = "How many ticket nodes (default: ${DEFAULT-VALUE}). With more than one, each is its own process "
                    + "on --http-port, --http-port+1, …, and this process only supervises them.")
    int nodes;

    @Option(names = "--mailbox", defaultValue = "support@example.test", description = "The support address (default: ${DEFAULT-VALUE}).")
    String mailbox;

    @Option(names = "--empty", description = "Start with no tickets (by default a handful of customers' mails arrive and the demo agents work them).")
    boolean empty;

    @Override
    public Integer call() throws Exception {
        if (nodes < 1 || nodes > 5) {
            throw new IllegalArgumentException("--nodes must be between 1 and 5, was " + nodes);
        }
        PrintWriter out = spec.commandLine().getOut();
        Deque<AutoCloseable> running = new ArrayDeque<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Path dir = dataDir != null ? dataDir.toAbsolutePath() : Files.createTempDirectory("ticketd-demo-",
                // traversable by the unprivileged user that PostgreSQL runs as when this is root
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        boolean temporary = dataDir == null;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopAll(running);
            if (temporary) {
                deleteTree(dir);
            }
            stopped.countDown();
        }, "ticketd-demo-shutdown"));

        out.println("Starting PostgreSQL in " + dir.resolve("postgres") + " ...");
        out.flush();
        LocalPostgres pg = LocalPostgres.create(dir.resolve("postgres"));
        running.push(pg); // before starting: Ctrl-C during initdb must stop a half-started server too
        pg.startServer();
        pg.createDatabase("ticketd");

        EmbeddedZooKeeper zooKeeper = EmbeddedZooKeeper.start(dir.resolve("zookeeper"), zkPort);
        running.push(zooKeeper);

        String mailPassword = randomSecret();
        // keeps received mail byte for byte, so the demo takes in 8-bit headers as production would
        DemoMailServer mail = new DemoMailServer("127.0.0.1", smtpPort, imapPort);
        mail.start();
        running.push(mail);
        mail.addUser(mailbox, mailPassword);

        Map<String, String> shared = Map.of(
                "http.host", "127.0.0.1",
                "db.url", pg.jdbcUrl("ticketd"),
                "db.user", LocalPostgres.SUPERUSER,
                "zk.address", zooKeeper.connectString(),
                "mail.poll-interval", "2s",
                "secret.demo-mailbox", mailPassword);
        String password = adminPassword != null ? adminPassword : randomSecret();
        prepare(nodeConfig(shared, "demo", httpPort), password);

        out.println();
        out.println("ticketd demo is running.");
        if (nodes == 1) {
            Node node = new Node(nodeConfig(shared, "demo", httpPort), Clock.systemUTC());
            node.start();
            running.push(node);
            out.println("  Web UI:   http://127.0.0.1:" + node.httpPort() + "/");
        } else {
            for (int i = 1; i <= nodes; i++) {
                NodeProcess node = NodeProcess.start(dir, "node-" + i, withNode(shared, "node-" + i, httpPort + i - 1));
                running.push(node);
                out.println("  Node " + node.id() + ": http://127.0.0.1:" + (httpPort + i - 1) + "/  pid " + node.pid()
                        + "  log " + node.log());
            }
            out.println("  Cluster:  http://127.0.0.1:" + httpPort + "/cluster  (kill -9 the leader's pid and watch it move)");
        }
        if (!empty) {
            out.println("  Desk:     " + seedDesk(nodeConfig(shared, "demo", httpPort), password));
        }
        out.println("  Login:    " + ADMIN_EMAIL + " / " + password + "  (admin)");
        out.println("            " + SUPPORT_AGENT + " / " + password + "  (agent: Support, reads Billing)");
        out.println("            " + BILLING_AGENT + " / " + password + "  (agent: Billing)");
        if (apiToken != null) {
            out.println("  API:      curl -H 'Authorization: Bearer " + apiToken + "' http://127.0.0.1:" + httpPort + "/api/v1/tickets");
        }
        out.println("  Mailbox:  " + mailbox + " (SMTP 127.0.0.1:" + smtpPort + ", IMAP 127.0.0.1:" + imapPort + ")");
        out.println("  Send a test mail from another terminal:");
        out.println("    java -jar ticket-node/target/ticketd.jar demo send --smtp-port " + smtpPort + " --to " + mailbox
                + " --subject 'Printer on fire'");
        out.println("  or send a saved mail's exact bytes:  ... demo send --smtp-port " + smtpPort + " --eml FILE");
        out.println("  Stop with Ctrl-C.");
        out.flush();
        stopped.await();
        return 0;
    }

    private static Map<String, String> withNode(Map<String, String> shared, String nodeId, int port) {
        Map<String, String> values = new HashMap<>(shared);
        values.put("node.id", nodeId);
        values.put("http.port", Integer.toString(port));
        return values;
    }

    private static NodeConfig nodeConfig(Map<String, String> shared, String nodeId, int port) {
        return ConfigLoader.fromMap(withNode(shared, nodeId, port), Map.of());
    }

    private void prepare(NodeConfig config, String password) {
        try (Database db = Database.open(config.database(), "ticketd-demo-setup")) {
            Migrations.migrate(db.dataSource());
            // replies and acknowledgements go out through the in-process SMTP server (it keeps them in
            // the customer's mailbox there); no SMTP login
            new MailboxCatalog(db).save(new MailboxCatalog.NewMailbox("demo", mailbox, "127.0.0.1", imapPort,
                    TransportSecurity.NONE, mailbox, "demo-mailbox", "INBOX", "Processed",
                    "127.0.0.1", smtpPort, TransportSecurity.NONE, null));
            StaffAccounts accounts = new StaffAccounts(db);
            new StaffGroups(db).create("Billing");
            // service levels, so the desk shows due times: Support around the clock, Billing in office hours
            SlaAdmin sla = new SlaAdmin(db);
            sla.saveCalendar("Office", "Europe/Berlin", List.of("mon-fri=09:00-17:00"));
            sla.savePolicy("Support", "normal", null, "1h", "4h", "24h", "15m", false, false);
            sla.savePolicy("Support", "high", null, "30m", "2h", "8h", "10m", true, true);
            sla.savePolicy("Billing", "normal", "Office", "4h", "8h", "40h", "1h", true, false);
            user(accounts, ADMIN_EMAIL, "Demo Admin", password, Role.ADMIN, Map.of());
            user(accounts, SUPPORT_AGENT, "Ana Support", password, Role.AGENT, Map.of("Support", GroupAccess.FULL, "Billing", GroupAccess.READ));
            user(accounts, BILLING_AGENT, "Ben Billing", password, Role.AGENT, Map.of("Billing", GroupAccess.FULL));
            if (withApiToken) {
                apiToken = new ApiTokens(db, Clock.systemUTC()).create(ADMIN_EMAIL, "demo", ApiTokens.DEFAULT_LIFETIME).token();
            }
        }
    }

    /** A desk at work ({@link DemoDesk}) on a database without tickets yet; says what it did, or why not. */
    private String seedDesk(NodeConfig config, String password) {
        try (Database db = Database.open(config.database(), "ticketd-demo-desk")) {
            if (db.dsl().fetchCount(TICKET) > 0) {
                return "the kept database has tickets already; no demo tickets added";
            }
            int made = DemoDesk.seed(db, smtpPort, mailbox, password, Duration.ofSeconds(60));
            return made + " customers' mails arrived; Ana and Ben took, answered, parked, moved and resolved some (--empty for none)";
        } catch (Exception e) { // the demo runs on without them: it is a picture, not the product
            return "no demo tickets: " + e.getMessage();
        }
    }

    private static void user(StaffAccounts accounts, String email, String name, String password, Role role,
                             Map<String, GroupAccess> groups) {
        try {
            accounts.createUser(email, name, password, role, groups);
        } catch (IllegalArgumentException alreadyThere) {
            accounts.setPassword(email, password); // a kept --data-dir from an earlier run
        }
    }

    private static void stopAll(Deque<AutoCloseable> running) {
        while (!running.isEmpty()) {
            try {
                running.pop().close();
            } catch (Exception e) {
                System.err.println("ticketd demo: error while stopping: " + e);
            }
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp folder left behind is harmless; the processes are stopped
        }
    }

    static String randomSecret() {
        byte[] bytes = new byte[12];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
