package dev.ticketd.chaos.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ticketd.chaos.Procs;
import dev.ticketd.cluster.EmbeddedZooKeeper;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import dev.ticketd.db.LocalPostgres;
import dev.ticketd.db.Migrations;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.NodeLauncher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The staff desk at scale, on this machine: seeds a database of {@code --tickets} tickets (default
 * 1,000,000, about five messages each; kept in {@code --dir} and reused by the next run), starts one
 * node on it with an in-process ZooKeeper and mail server, and drives it with {@code wrk} at
 * {@code --connections} concurrent staff (default 20) for each kind of request — list views, deep
 * pages, filters, ticket pages with 5 and 50 messages, every kind of search, the list page with its
 * view counts — while mail keeps arriving. Before the load, every query the node runs during one
 * pass over those requests and its background loops is planned with {@code auto_explain}: a
 * sequential scan of {@code ticket}, {@code ticket_message} or {@code outbox} fails the run. After
 * it, the intake rate into the seeded database is compared with the rate into an empty one.
 *
 * <p>Writes {@code --out} (JSON) and prints a table of p50 / p99 / requests per second per kind.
 * Exit status 1 when a plan scans a big table, a request kind answered errors, or a target was
 * missed (list and ticket pages p99 ≤ 50 ms, search p99 ≤ 200 ms, intake ≥ 90 % of the empty rate).
 */
public final class WebBench {

    private static final Logger log = LoggerFactory.getLogger(WebBench.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String SUPPORT = "support@bench.example";
    private static final String MAIL_PASSWORD = "bench-mail-secret";
    private static final String STAFF_PASSWORD = "bench-staff-password-1";
    private static final String AGENT = "bench-agent@bench.example";
    /** Who sends the mail of the intake runs and of the load. */
    private static final String SENDER = "kim@customer.example";
    private static final List<String> AGENT_GROUPS = List.of("Support", "Billing", "Sales", "Hardware", "Software");
    private static final Pattern SEQ_SCAN = Pattern.compile("Seq Scan on (ticket|ticket_message|outbox)(\\s|$)");
    private static final double PAGE_P99_MILLIS = 50;
    private static final double SEARCH_P99_MILLIS = 200;
    private static final double INTAKE_RATIO = 0.9;
    private static final Duration LOAD_WARM_UP = Duration.ofSeconds(3);

    private final Path dir;
    private final int tickets;
    private final int connections;
    private final Duration duration;
    private final int intakeMails;
    private final Path out;
    /** Only the seeding and the plan check: no load, no intake (a test's run). */
    private final boolean plansOnly;
    /** Only the seeding and the load: no plan check, no intake (to compare the load before and after a change). */
    private final boolean loadOnly;
    /** The request kinds to drive: those whose name this finds ({@code --kinds}; all by default). */
    private final Pattern kinds;
    /** Each connection's pause between its answer and its next request ({@code --think-ms}; 0: none). */
    private final int thinkMillis;
    private final NodeLauncher launcher;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, Object> report = new LinkedHashMap<>();
    private final List<String> failures = new ArrayList<>();

    private LocalPostgres pg;
    private EmbeddedZooKeeper zk;
    private TestMailServer mail;
    private Process node;
    private int httpPort;

    private WebBench(Map<String, String> options) {
        this.dir = Path.of(options.getOrDefault("--dir", "chaos-tests/target/web-bench-data")).toAbsolutePath();
        this.tickets = Integer.parseInt(options.getOrDefault("--tickets", "1000000"));
        this.connections = Integer.parseInt(options.getOrDefault("--connections", "20"));
        this.duration = Duration.ofSeconds(Long.parseLong(options.getOrDefault("--seconds", "15")));
        this.intakeMails = Integer.parseInt(options.getOrDefault("--intake-mails", "500"));
        this.out = Path.of(options.getOrDefault("--out", "chaos-tests/target/web-bench.json")).toAbsolutePath();
        this.plansOnly = "plans".equals(options.get("--only"));
        this.loadOnly = "load".equals(options.get("--only"));
        if (options.containsKey("--only") && !plansOnly && !loadOnly) {
            throw new IllegalArgumentException("--only takes plans (the plan check alone) or load (the load alone), was "
                    + options.get("--only"));
        }
        this.kinds = Pattern.compile(options.getOrDefault("--kinds", ""));
        this.thinkMillis = Integer.parseInt(options.getOrDefault("--think-ms", "0"));
        this.launcher = NodeLauncher.of(Path.of(System.getProperty("ticketd.jar")));
        if (tickets < Seeder.LONG_THREAD_EVERY || connections < 1 || duration.isNegative() || duration.isZero() || intakeMails < 1
                || thinkMillis < 0) {
            throw new IllegalArgumentException("--tickets at least " + Seeder.LONG_THREAD_EVERY + ", --connections, --seconds and "
                    + "--intake-mails at least 1, --think-ms at least 0");
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("options are --name value pairs: --tickets --connections --seconds "
                        + "--think-ms --kinds --intake-mails --dir --out --only; got '" + args[i] + "'");
            }
            options.put(args[i], args[++i]);
        }
        System.exit(run(options));
    }

    /** Runs the bench with these options (as {@code main} takes them) and returns its exit status. */
    public static int run(Map<String, String> options) throws Exception {
        WebBench bench = new WebBench(options);
        try {
            return bench.run();
        } finally {
            bench.close();
        }
    }

    private int run() throws Exception {
        Files.createDirectories(dir);
        report.put("date", Instant.now().toString());
        report.put("machine", Runtime.getRuntime().availableProcessors() + " cores, "
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB bench heap; see /proc for the rest");
        report.put("tickets", tickets);
        report.put("connections", connections);
        report.put("secondsPerKind", duration.toSeconds());
        report.put("thinkMillis", thinkMillis);
        pg = LocalPostgres.create(dir.resolve("pg")).withSettings(List.of("shared_buffers=2GB", "effective_cache_size=12GB",
                "work_mem=16MB", "maintenance_work_mem=1GB", "max_wal_size=16GB", "checkpoint_timeout=30min", "random_page_cost=1.1",
                "jit=off", "shared_preload_libraries=auto_explain")); // auto_explain logs nothing until the plan check turns it on
        pg.startServer();
        zk = EmbeddedZooKeeper.start(dir.resolve("zk-" + ProcessHandle.current().pid()), Procs.freePort());
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, MAIL_PASSWORD);

        String seeded = "bench_" + tickets;
        Map<String, Object> intake = new LinkedHashMap<>();
        if (!plansOnly && !loadOnly) {
            DatabaseSettings empty = database("bench_empty", true);
            startNode(empty);
            intake.put("emptyMailsPerSecond", intake(empty));
            stopNode();
        }

        Path marker = dir.resolve(seeded + ".json");
        boolean seedNow = !Files.exists(marker); // a database without its marker was not seeded to the end: made again
        DatabaseSettings big = database(seeded, seedNow);
        if (seedNow) {
            log.info("seeding {} tickets into {} (minutes)", tickets, seeded);
            Seeder.Result r = new Seeder(big.jdbcUrl(), LocalPostgres.SUPERUSER, tickets, 1).seed();
            Files.writeString(marker, JSON.writeValueAsString(r));
        }
        JsonNode seed = JSON.readTree(Files.readString(marker));
        report.put("seeding", seed);
        log.info("seeded database: {}", seed);

        startNode(big);
        Users users = users(big);
        Requests requests = requests(big, users);
        if (!loadOnly) {
            report.put("planCheck", planCheck(requests, users));
        }
        if (loadOnly) {
            report.put("load", load(requests, users));
        } else if (!plansOnly) {
            report.put("load", load(requests, users));
            intake.put("seededMailsPerSecond", intake(big));
            double ratio = (double) intake.get("seededMailsPerSecond") / (double) intake.get("emptyMailsPerSecond");
            intake.put("ratio", Math.round(ratio * 1000) / 1000.0);
            if (ratio < INTAKE_RATIO) {
                failures.add("intake into the seeded database at " + Math.round(ratio * 100) + " % of the empty one (target "
                        + Math.round(INTAKE_RATIO * 100) + " %)");
            }
            report.put("intake", intake);
        }
        report.put("failures", failures);
        report.put("verdict", failures.isEmpty() ? "pass" : "fail");
        Files.createDirectories(out.getParent());
        Files.writeString(out, JSON.writeValueAsString(report));
        System.out.println(table());
        System.out.println("report: " + out + (failures.isEmpty() ? "" : "\nFAILED: " + String.join("; ", failures)));
        return failures.isEmpty() ? 0 : 1;
    }

    /** A database of the bench's server, migrated; {@code fresh}: dropped and made again. */
    private DatabaseSettings database(String name, boolean fresh) {
        if (fresh) {
            pg.execute("drop database if exists " + name + " with (force)");
        }
        try {
            pg.createDatabase(name);
        } catch (IllegalStateException exists) {
            if (fresh) {
                throw exists;
            }
        }
        DatabaseSettings settings = DatabaseSettings.of(pg.jdbcUrl(name), LocalPostgres.SUPERUSER, "");
        try (Database db = Database.open(settings.withMaxPoolSize(2), "bench-migrate")) {
            Migrations.migrate(db.dataSource());
            db.dsl().execute("insert into mailbox (id, address, imap_host, imap_port, imap_security, imap_user, secret_ref) "
                    + "values ('support', '" + SUPPORT + "', '127.0.0.1', " + mail.imapPort() + ", 'none', '" + SUPPORT + "', 'support') "
                    + "on conflict (id) do update set address = excluded.address, imap_host = excluded.imap_host, "
                    + "imap_port = excluded.imap_port, imap_security = 'none', imap_user = excluded.imap_user");
        }
        return settings;
    }

    private Path configFor(DatabaseSettings db) throws IOException {
        httpPort = Procs.freePort();
        Path config = dir.resolve("node.properties");
        Map<String, String> c = new LinkedHashMap<>();
        c.put("node.id", "bench-1");
        c.put("http.host", "127.0.0.1");
        c.put("http.port", Integer.toString(httpPort));
        c.put("db.url", db.jdbcUrl());
        c.put("db.user", db.user());
        c.put("db.password", db.password());
        c.put("db.pool-size", "16");
        c.put("cluster.name", "bench");
        c.put("zk.address", zk.connectString());
        c.put("mail.poll-interval", "500ms");
        c.put("tickets.timer-interval", "5s");
        c.put("secret.support", MAIL_PASSWORD);
        StringBuilder text = new StringBuilder();
        c.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Files.writeString(config, text.toString());
        return config;
    }

    private void startNode(DatabaseSettings db) throws IOException, InterruptedException {
        Path config = configFor(db);
        node = launcher.processBuilder(List.of("-Xmx1g"), List.of("serve", "--config", config.toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("node.log").toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            if (!node.isAlive()) {
                throw new IllegalStateException("the node exited; see " + dir.resolve("node.log"));
            }
            if (status("/health/ready", Map.of()) == 200) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(500);
        }
        throw new IllegalStateException("the node did not become ready within 180 s; see " + dir.resolve("node.log"));
    }

    private void stopNode() throws InterruptedException {
        if (node != null) {
            node.destroy();
            if (!node.waitFor(30, TimeUnit.SECONDS)) {
                node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            node = null;
        }
    }

    /**
     * Mails per second the node takes in: {@code intakeMails} mails put into the INBOX at once, timed
     * until all are stored, after {@link #WARM_UP} mails that warm the node up (not timed).
     */
    private double intake(DatabaseSettings settings) throws InterruptedException {
        intake(settings, WARM_UP);
        return intake(settings, intakeMails);
    }

    private static final int WARM_UP = 50;

    private double intake(DatabaseSettings settings, int intakeMails) throws InterruptedException {
        try (Database db = Database.open(settings.withMaxPoolSize(2), "bench-intake")) {
            long before = value(db, "select coalesce(max(id), 0) from inbound_message", Long.class);
            List<byte[]> raws = new ArrayList<>();
            for (int i = 0; i < intakeMails; i++) {
                raws.add(mailText("intake-" + System.nanoTime() + "-" + i, "Intake " + i, "The printer on floor " + i
                        + " is broken again, order ORD-2026-" + (10_000 + i) + ".").getBytes(StandardCharsets.UTF_8));
            }
            Instant start = Instant.now();
            mail.append(SUPPORT, MAIL_PASSWORD, "INBOX", raws);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            int stored = 0;
            while (System.nanoTime() < deadline) {
                stored = value(db, "select count(*) from inbound_message where id > " + before, Integer.class);
                if (stored >= intakeMails) {
                    double seconds = Duration.between(start, Instant.now()).toMillis() / 1000.0;
                    double rate = Math.round(intakeMails / seconds * 10) / 10.0;
                    log.info("intake {} mails in {} s: {} mails/s ({})", intakeMails, seconds, rate, settings.jdbcUrl());
                    return rate;
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
            throw new IllegalStateException("only " + stored + " of " + intakeMails + " mails were stored within 10 minutes");
        }
    }

    private static String mailText(String id, String subject, String body) {
        return "From: Kim Customer <" + SENDER + ">\r\nTo: " + SUPPORT + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + id
                + "@customer.example>\r\nDate: Sat, 05 Dec 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                + body + "\r\n";
    }

    /** The bench's agent (in five of the twenty groups) and an admin, with API tokens and the agent's web session. */
    private record Users(String agentToken, String adminToken, String agentCookie) {
    }

    private Users users(DatabaseSettings db) throws Exception {
        Path config = dir.resolve("node.properties");
        String c = config.toString();
        try (Database d = Database.open(db.withMaxPoolSize(2), "bench-users")) {
            if (!d.dsl().fetchExists(d.dsl().selectOne().from("staff_user").where("email = ?", AGENT))) {
                launcher.run(List.of("user", "add", "--config", c, "--email", AGENT, "--name", "Bench Agent", "--role", "agent"),
                        STAFF_PASSWORD, Duration.ofSeconds(60));
                launcher.run(List.of("user", "add", "--config", c, "--email", "bench-admin@bench.example", "--name", "Bench Admin",
                        "--role", "admin"), STAFF_PASSWORD, Duration.ofSeconds(60));
                for (String g : AGENT_GROUPS.subList(1, AGENT_GROUPS.size())) {
                    launcher.run(List.of("group", "member", "--config", c, g, AGENT), null, Duration.ofSeconds(60));
                }
                // the agent owns a share of their groups' tickets ("my open tickets")
                d.dsl().execute("update ticket set owner_id = (select id from staff_user where email = ?) where id % 100 = 0 "
                        + "and group_id in (select group_id from group_member where user_id = (select id from staff_user where email = ?))",
                        AGENT, AGENT);
                d.dsl().execute("analyze ticket"); // the planner learns whom the tickets now belong to
            }
        }
        String agentToken = token(c, AGENT);
        String adminToken = token(c, "bench-admin@bench.example");
        return new Users(agentToken, adminToken, login());
    }

    private String token(String config, String email) throws Exception {
        String printed = launcher.run(List.of("user", "token", "--config", config, "--email", email, "--name", "bench", "--expires-in-days",
                "1"), null, Duration.ofSeconds(60));
        Matcher m = Pattern.compile("token: (tkd_\\S+)").matcher(printed);
        if (!m.find()) {
            throw new IllegalStateException("no token printed: " + printed);
        }
        return m.group(1);
    }

    /** Logs the agent in like a browser and returns its cookies as a {@code Cookie} header. */
    private String login() throws IOException, InterruptedException {
        java.net.CookieManager cookies = new java.net.CookieManager();
        HttpClient browser = HttpClient.newBuilder().cookieHandler(cookies).connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> page = browser.send(HttpRequest.newBuilder(url("/login")).GET().build(), HttpResponse.BodyHandlers.ofString());
        Matcher csrf = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"").matcher(page.body());
        if (!csrf.find()) {
            throw new IllegalStateException("no CSRF field on the login page");
        }
        String form = "email=" + enc(AGENT) + "&password=" + enc(STAFF_PASSWORD) + "&csrf=" + enc(csrf.group(1));
        HttpResponse<String> r = browser.send(HttpRequest.newBuilder(url("/login"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                HttpResponse.BodyHandlers.ofString());
        String header = String.join("; ", cookies.getCookieStore().getCookies().stream().map(c -> c.getName() + "=" + c.getValue())
                .toList());
        HttpResponse<String> tickets = browser.send(HttpRequest.newBuilder(url("/tickets")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (tickets.statusCode() != 200) {
            throw new IllegalStateException("the agent's login did not hold (login HTTP " + r.statusCode() + ", /tickets HTTP "
                    + tickets.statusCode() + ")");
        }
        return header;
    }

    /** Every request kind with its URL and whether it is a page (session cookie) or the API (token). */
    private record Request(String kind, String path, boolean page) {
    }

    private record Requests(List<Request> all) {
    }

    private Requests requests(DatabaseSettings settings, Users users) throws Exception {
        List<Request> r = new ArrayList<>();
        try (Database db = Database.open(settings.withMaxPoolSize(2), "bench-requests")) {
            String groups = "(select id from staff_group where name in ('" + String.join("','", AGENT_GROUPS) + "'))";
            long billing = value(db, "select id from staff_group where name = 'Billing'", Long.class);
            // a ticket with 50 messages in one of the agent's groups
            long longThread = value(db, "select id from ticket where number = 'T-" + Seeder.LONG_THREAD_EVERY + "'", Long.class);
            db.dsl().execute("update ticket set group_id = " + billing + " where id = " + longThread);
            Long five = value(db, "select t.id from ticket t where t.group_id in " + groups + " and (select count(*) from "
                    + "ticket_message m where m.ticket_id = t.id) = 5 order by t.id desc limit 1", Long.class);
            String number = value(db, "select number from ticket where group_id in " + groups + " order by id limit 1 offset 500",
                    String.class);
            // a seeded customer (about a thousand tickets each), not the sender of the bench's own mail,
            // whose tickets grow with every run
            String requester = value(db, "select c.email from ticket t join contact c on c.id = t.requester_id "
                    + "where t.group_id in " + groups + " and c.email <> '" + SENDER + "' order by t.id desc limit 1", String.class);
            // three words of a seeded message (not of the bench's own mail, which every run adds to)
            String phrase = value(db, "select array_to_string((regexp_split_to_array(m.body_text, '\\s+'))[2:4], ' ') "
                    + "from ticket_message m join ticket t on t.id = m.ticket_id join contact c on c.id = t.requester_id "
                    + "where t.group_id in " + groups + " and c.email <> '" + SENDER + "' order by m.id desc limit 1", String.class);
            String order = value(db, "select substring(body_text from 'ORD-[0-9]+-([0-9]{3,})') from ticket_message "
                    + "where body_text like '%ORD-%' and substring(body_text from 'ORD-[0-9]+-([0-9]{3,})') is not null limit 1",
                    String.class);
            r.add(new Request("list first page", "/api/v1/tickets?limit=50", false));
            r.add(new Request("list deep page", "/api/v1/tickets?limit=50&cursor=" + deepCursor(users), false));
            r.add(new Request("list status=pending", "/api/v1/tickets?limit=50&status=pending", false));
            r.add(new Request("list priority=urgent", "/api/v1/tickets?limit=50&priority=urgent", false));
            r.add(new Request("list group=Billing", "/api/v1/tickets?limit=50&group=Billing", false));
            r.add(new Request("list owner=me", "/api/v1/tickets?limit=50&owner=me", false));
            r.add(new Request("list tag=vip", "/api/v1/tickets?limit=50&tag=vip", false));
            r.add(new Request("list view=unassigned", "/api/v1/tickets?limit=50&view=unassigned", false));
            r.add(new Request("ticket, 5 messages", "/api/v1/tickets/" + five, false));
            r.add(new Request("ticket, 50 messages", "/api/v1/tickets/" + longThread, false));
            r.add(new Request("page: list with view counts", "/tickets", true));
            r.add(new Request("page: ticket, 50 messages", "/tickets/" + longThread, true));
            r.add(new Request("search common word", "/api/v1/tickets?limit=50&q=" + Seeder.COMMON_WORD, false));
            r.add(new Request("search rare word", "/api/v1/tickets?limit=50&q=" + Seeder.RARE_WORD, false));
            r.add(new Request("search phrase", "/api/v1/tickets?limit=50&q=" + enc("\"" + phrase + "\""), false));
            r.add(new Request("search address", "/api/v1/tickets?limit=50&q=" + enc(requester), false));
            r.add(new Request("search part of order number", "/api/v1/tickets?limit=50&q=" + enc(order), false));
            r.add(new Request("search ticket number", "/api/v1/tickets?limit=50&q=" + enc(number), false));
            r.add(new Request("search + filters", "/api/v1/tickets?limit=50&status=open&priority=high&q=" + Seeder.COMMON_WORD, false));
        }
        return new Requests(r);
    }

    /** The cursor 50,000 tickets deep in the agent's list (or as deep as the list goes), by following nextCursor. */
    private String deepCursor(Users users) throws IOException, InterruptedException {
        String cursor = "";
        for (int page = 0; page < 100; page++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(url("/api/v1/tickets?limit=500" + (cursor.isEmpty() ? ""
                    : "&cursor=" + cursor))).header("Authorization", "Bearer " + users.agentToken()).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode next = JSON.readTree(r.body()).path("nextCursor");
            if (next.isNull() || next.isMissingNode()) {
                break;
            }
            cursor = next.asText();
        }
        return cursor;
    }

    /**
     * Plans every query the node runs during one pass over the request kinds and a few rounds of its
     * background loops (intake, self-watch, timers): {@code auto_explain} logs each plan, and a
     * sequential scan of a big table is a failure.
     */
    private Map<String, Object> planCheck(Requests requests, Users users) throws Exception {
        Path logFile = dir.resolve("pg").resolve("postgres.log");
        long from = Files.size(logFile);
        pg.execute("alter system set auto_explain.log_min_duration = 0");
        pg.execute("select pg_reload_conf()");
        try {
            TimeUnit.SECONDS.sleep(1);
            mail.append(SUPPORT, MAIL_PASSWORD, "INBOX", List.of(mailText("plan-" + System.nanoTime(), "Plan check", "printer")
                    .getBytes(StandardCharsets.UTF_8)));
            for (Request r : requests.all()) {
                int code = status(r.path(), headers(r, users));
                if (code != 200) {
                    failures.add(r.kind() + " answered HTTP " + code + " (" + r.path() + ")");
                }
            }
            status("/metrics", Map.of("Authorization", "Bearer " + users.adminToken()));
            TimeUnit.SECONDS.sleep(12); // the watch (every 5 s) and the timers (every 5 s here) run their rounds
        } finally {
            pg.execute("alter system set auto_explain.log_min_duration = -1");
            pg.execute("select pg_reload_conf()");
        }
        String logged;
        try (RandomAccessFile f = new RandomAccessFile(logFile.toFile(), "r")) {
            f.seek(from);
            byte[] bytes = new byte[(int) Math.min(Integer.MAX_VALUE - 16, f.length() - from)];
            f.readFully(bytes);
            logged = new String(bytes, StandardCharsets.UTF_8);
        }
        Plans read = plans(logged);
        int plans = read.count();
        Set<String> scans = read.bigTableScans();
        if (plans == 0) {
            failures.add("auto_explain logged no plan: the plan check saw nothing");
        }
        for (String s : scans) {
            failures.add("a sequential scan of a big table: " + s);
        }
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("plansLogged", plans);
        check.put("bigTableSeqScans", List.copyOf(scans));
        log.info("plan check: {} plans, {} sequential scans of big tables", plans, scans.size());
        return check;
    }

    /** What auto_explain logged: how many plans, and each sequential scan of a big table with (the start of) its query. */
    record Plans(int count, Set<String> bigTableScans) {
    }

    /** Reads auto_explain's text-format plans out of a PostgreSQL log. */
    static Plans plans(String logged) {
        int plans = 0;
        Set<String> scans = new LinkedHashSet<>();
        String query = null;
        for (String line : logged.split("\n")) {
            if (line.contains("plan:")) {
                plans++;
                query = null;
            } else if (line.contains("Query Text:")) {
                query = line.substring(line.indexOf("Query Text:") + 11).strip();
            } else if (SEQ_SCAN.matcher(line).find() && (query == null || !query.regionMatches(true, 0, "explain ", 0, 8))) {
                // (an EXPLAIN is planned, never run: the node asks for estimates that way)
                scans.add(line.strip().replaceAll("\\s+\\(cost=.*", "") + " in: " + (query == null ? "?" : query.length() > 300
                        ? query.substring(0, 300) + "…" : query));
            }
        }
        return new Plans(plans, scans);
    }

    private List<Wrk.Result> load(Requests requests, Users users) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger arrived = new AtomicInteger();
        Thread mailer = new Thread(() -> {
            while (!stop.get()) {
                try {
                    mail.append(SUPPORT, MAIL_PASSWORD, "INBOX", List.of(mailText("load-" + System.nanoTime(), "During the load",
                            "The printer is broken, order ORD-2026-" + arrived.incrementAndGet()).getBytes(StandardCharsets.UTF_8)));
                    TimeUnit.MILLISECONDS.sleep(500);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    log.warn("mail during the load not delivered: {}", e.toString());
                }
            }
        }, "bench-mail");
        mailer.setDaemon(true);
        mailer.start();
        List<Wrk.Result> results = new ArrayList<>();
        try {
            // a freshly started node runs interpreted until its JIT has seen the requests: warm it
            // with every kind before measuring any (not measured)
            for (Request r : requests.all()) {
                if (kinds.matcher(r.kind()).find()) {
                    Wrk.run(r.kind(), "http://127.0.0.1:" + httpPort + r.path(), headers(r, users), connections, LOAD_WARM_UP, 0);
                }
            }
            for (Request r : requests.all()) {
                if (!kinds.matcher(r.kind()).find()) {
                    continue;
                }
                Wrk.Result w = Wrk.run(r.kind(), "http://127.0.0.1:" + httpPort + r.path(), headers(r, users), connections, duration,
                        thinkMillis);
                log.info("{}: p50 {} ms, p99 {} ms, {} req/s, {} errors", w.kind(), w.p50Millis(), w.p99Millis(),
                        w.requestsPerSecond(), w.errors());
                results.add(w);
                if (w.errors() > 0) {
                    failures.add(r.kind() + ": " + w.errors() + " errors under load");
                }
                double target = r.kind().startsWith("search") ? SEARCH_P99_MILLIS : PAGE_P99_MILLIS;
                if (w.p99Millis() > target) {
                    failures.add(r.kind() + ": p99 " + w.p99Millis() + " ms (target " + target + " ms)");
                }
            }
        } finally {
            stop.set(true);
            mailer.interrupt();
            mailer.join(10_000);
        }
        report.put("mailsDuringLoad", arrived.get());
        return results;
    }

    private static Map<String, String> headers(Request r, Users users) {
        return r.page() ? Map.of("Cookie", users.agentCookie()) : Map.of("Authorization", "Bearer " + users.agentToken());
    }

    private int status(String path, Map<String, String> headers) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(30)).GET();
            headers.forEach(b::header);
            return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    private static <T> T value(Database db, String sql, Class<T> type) {
        return db.dsl().fetchOne(sql).get(0, type);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    private String table() {
        StringBuilder t = new StringBuilder("| request | p50 ms | p99 ms | requests/s |\n|---|---|---|---|\n");
        Object load = report.get("load");
        if (load instanceof List<?> list) {
            for (Object o : list) {
                Wrk.Result w = (Wrk.Result) o;
                t.append("| ").append(w.kind()).append(" | ").append(w.p50Millis()).append(" | ").append(w.p99Millis()).append(" | ")
                        .append(Math.round(w.requestsPerSecond())).append(" |\n");
            }
        }
        t.append("\nintake: ").append(report.get("intake")).append("\nseeding: ").append(report.get("seeding"));
        return t.toString();
    }

    private void close() {
        try {
            stopNode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (mail != null) {
            mail.close();
        }
        if (zk != null) {
            zk.close();
        }
        if (pg != null) {
            pg.close();
        }
    }
}
