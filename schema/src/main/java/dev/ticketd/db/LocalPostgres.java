package dev.ticketd.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server on 127.0.0.1 for the demo and the tests (never for production).
 *
 * <p>It uses the system's PostgreSQL binaries when there are any ({@code $TICKETD_PG_BIN}, else
 * the newest {@code /usr/lib/postgresql/N/bin}), else the binaries that the
 * {@code io.zonky.test.postgres} artifacts ship ({@code TICKETD_PG_BIN=embedded} forces those).
 * PostgreSQL refuses to run as root, so when this process is root the server runs as {@code postgres} (or {@code nobody}) through {@code setpriv}.
 * The server trusts local connections as user {@code postgres} and listens on loopback only.
 *
 * <p>Lifecycle: {@link #start(Path)} initialises (unless the folder already holds a cluster) and
 * starts; {@link #close()} stops it with a fast shutdown. Not thread-safe.
 */
public final class LocalPostgres implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalPostgres.class);
    public static final String SUPERUSER = "postgres";

    private final Path baseDir;
    private final int port;
    private final Path binDir;          // null when the embedded binaries are used
    private final List<String> asUser;  // command prefix that drops root, empty otherwise
    private EmbeddedPostgres embedded;
    private String extraOptions = "";
    private boolean durable;

    private LocalPostgres(Path baseDir, int port, Path binDir, List<String> asUser) {
        this.baseDir = baseDir;
        this.port = port;
        this.binDir = binDir;
        this.asUser = asUser;
    }

    /** Starts a server whose files live in {@code baseDir} (created if missing, reused if it holds one). */
    public static LocalPostgres start(Path baseDir) throws IOException {
        LocalPostgres pg = create(baseDir);
        try {
            pg.startServer();
        } catch (IOException | RuntimeException e) {
            pg.close();
            throw e;
        }
        return pg;
    }

    /**
     * Prepares a server without starting it, so that a caller can register {@link #close()} (for
     * example in a shutdown hook) before {@link #startServer()}: an interrupted start is then
     * stopped too.
     */
    public static LocalPostgres create(Path baseDir) throws IOException {
        Files.createDirectories(baseDir);
        Optional<Path> systemBin = systemBinaries();
        return new LocalPostgres(baseDir.toAbsolutePath(), freePort(), systemBin.orElse(null),
                systemBin.isPresent() && isRoot() ? dropRootPrefix() : List.of());
    }

    /**
     * Prepares (does not start) a hot standby of a running {@code primary}, streaming from it:
     * {@code pg_basebackup -R} into {@code baseDir}. Needs the system's binaries (not the embedded
     * ones). Its WAL receiver reports {@code name} as its application name.
     */
    public static LocalPostgres standbyOf(LocalPostgres primary, Path baseDir, String name) throws IOException {
        if (primary.binDir == null) {
            throw new IllegalStateException("a streaming standby needs the system's PostgreSQL binaries, not the embedded ones");
        }
        if (!name.matches("[a-z0-9_]+")) {
            throw new IllegalArgumentException("not a plain standby name: " + name);
        }
        Files.createDirectories(baseDir);
        LocalPostgres standby = new LocalPostgres(baseDir.toAbsolutePath(), freePort(), primary.binDir, primary.asUser);
        standby.extraOptions = " -c cluster_name=" + name + " -c hot_standby=on -c wal_receiver_status_interval=1s";
        if (!standby.asUser.isEmpty()) {
            standby.chownToServerUser(standby.baseDir);
        }
        standby.exec("pg_basebackup", List.of("-h", "127.0.0.1", "-p", Integer.toString(primary.port), "-U", SUPERUSER,
                "-D", standby.baseDir.resolve("data").toString(), "-R", "-X", "stream", "--no-sync", "-c", "fast"), 120);
        return standby;
    }

    /** Kills the server the way a host loss would ({@code pg_ctl stop -m immediate}): no shutdown checkpoint. */
    public synchronized void stopImmediately() throws IOException {
        requireSystemBinaries();
        exec("pg_ctl", List.of("-D", baseDir.resolve("data").toString(), "-m", "immediate", "-w", "-t", "30", "stop"), 60);
    }

    /** Promotes a standby to primary and waits until it accepts writes. */
    public void promote() throws IOException {
        requireSystemBinaries();
        exec("pg_ctl", List.of("-D", baseDir.resolve("data").toString(), "-w", "-t", "60", "promote"), 90);
    }

    /** Runs one SQL statement as the superuser against database {@code postgres} (test set-up). */
    public void execute(String sql) {
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), SUPERUSER, "");
             Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("statement failed on port " + port + ": " + e.getMessage(), e);
        }
    }

    private void requireSystemBinaries() {
        if (binDir == null) {
            throw new IllegalStateException("needs the system's PostgreSQL binaries, not the embedded ones");
        }
    }

    public int port() {
        return port;
    }

    /** JDBC URL of one database on this server, for user {@link #SUPERUSER} without password. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Creates a database unless it exists. The name must be a plain identifier. */
    public void createDatabase(String name) {
        if (!name.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("not a plain database name: " + name);
        }
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), SUPERUSER, "");
             Statement st = c.createStatement()) {
            try (var rs = st.executeQuery("select 1 from pg_database where datname = '" + name + "'")) {
                if (rs.next()) {
                    return;
                }
            }
            st.execute("create database " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Server settings for the next {@link #startServer()} (system binaries only), each {@code name=value}
     * with a plain name and value: a benchmark's memory and planner settings, a preloaded library.
     */
    public LocalPostgres withSettings(List<String> settings) {
        StringBuilder options = new StringBuilder(extraOptions);
        for (String s : settings) {
            if (!s.matches("[a-z_.]+=-?[A-Za-z0-9_.,]+")) {
                throw new IllegalArgumentException("not a plain name=value server setting: " + s);
            }
            options.append(" -c ").append(s);
        }
        extraOptions = options.toString();
        return this;
    }

    /**
     * Keeps {@code fsync} and {@code full_page_writes} on for the next {@link #startServer()} (system
     * binaries only): a commit then waits for its WAL on disk, as in production. Without this the
     * throwaway server turns both off, which is right for tests but makes every commit look cheaper
     * than it is, so a benchmark of commit-bound work (the ingest benchmark) asks for this.
     */
    public LocalPostgres withDurableWrites() {
        durable = true;
        return this;
    }

    /** The postmaster's pid while the server runs (its backends are its children), read from {@code postmaster.pid}. */
    public Optional<Long> postmasterPid() {
        try {
            Path pidFile = baseDir.resolve("data").resolve("postmaster.pid");
            if (!Files.exists(pidFile)) {
                return Optional.empty();
            }
            String first = Files.readAllLines(pidFile, StandardCharsets.US_ASCII).get(0).strip();
            return Optional.of(Long.parseLong(first));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // not (yet) written, or the server is stopping
        }
    }

    public void startServer() throws IOException {
        if (binDir == null) {
            if (durable) {
                throw new IllegalStateException("durable writes need the system's PostgreSQL binaries, not the embedded ones");
            }
            log.info("postgres binaries=embedded dir={} port={}", baseDir, port);
            embedded = EmbeddedPostgres.builder()
                    .setDataDirectory(baseDir.resolve("data"))
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    .start();
            return;
        }
        log.info("postgres binaries={} dir={} port={} asUser={} fsync={}", binDir, baseDir, port,
                asUser.isEmpty() ? "self" : asUser, durable ? "on" : "off");
        Path data = baseDir.resolve("data");
        Path socketDir = baseDir.resolve("socket");
        Files.createDirectories(socketDir);
        if (!asUser.isEmpty()) {
            chownToServerUser(baseDir);
        }
        if (!Files.exists(data.resolve("PG_VERSION"))) {
            exec("initdb", List.of("-D", data.toString(), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                    "--no-locale", "--no-sync"), 120);
        }
        String options = "-p " + port + " -k " + socketDir + " -c listen_addresses=127.0.0.1"
                + (durable ? "" : " -c fsync=off -c full_page_writes=off") + " -c max_connections=200" + extraOptions;
        exec("pg_ctl", List.of("-D", data.toString(), "-l", baseDir.resolve("postgres.log").toString(),
                "-w", "-t", "60", "-o", options, "start"), 90);
    }

    /**
     * Stops the server with a fast shutdown. Safe to call more than once, and also after a start
     * that failed or was interrupted half-way (a postmaster may be running without our knowing).
     */
    @Override
    public synchronized void close() {
        try {
            if (embedded != null) {
                embedded.close();
                embedded = null;
            } else if (binDir != null && Files.exists(baseDir.resolve("data").resolve("postmaster.pid"))) {
                exec("pg_ctl", List.of("-D", baseDir.resolve("data").toString(), "-m", "fast", "-w", "-t", "30", "stop"), 60);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("postgres stop failed dir={}: {}", baseDir, e.toString());
        }
    }

    private void exec(String program, List<String> args, int timeoutSeconds) throws IOException {
        List<String> command = new ArrayList<>(asUser);
        command.add(binDir.resolve(program).toString());
        command.addAll(args);
        Path output = Files.createTempFile("ticketd-pg-", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(program + " did not finish within " + timeoutSeconds + " s");
            }
            if (p.exitValue() != 0) {
                throw new IOException(program + " failed (exit " + p.exitValue() + "): "
                        + Files.readString(output, StandardCharsets.UTF_8).strip()
                        + tailOfServerLog());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + program, e);
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private String tailOfServerLog() {
        Path logFile = baseDir.resolve("postgres.log");
        try {
            if (Files.exists(logFile)) {
                List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
                return "\nserver log:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
            }
        } catch (IOException ignored) {
            // the log is only extra detail for an error that is being reported anyway
        }
        return "";
    }

    private void chownToServerUser(Path dir) throws IOException {
        String user = serverUser();
        // the server user must also be able to traverse every parent folder (true for /tmp)
        for (Path parent = dir.getParent(); parent != null; parent = parent.getParent()) {
            if (!Files.getPosixFilePermissions(parent).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IOException("PostgreSQL runs as '" + user + "' (it refuses root), and that user cannot enter "
                        + parent + ": choose a data folder whose parents are world-traversable (e.g. under /tmp) or chmod o+x " + parent);
            }
        }
        runQuietly(List.of("chown", "-R", user + ":" + primaryGroup(user), dir.toString()));
    }

    static Optional<Path> systemBinaries() {
        String override = System.getenv("TICKETD_PG_BIN");
        if ("embedded".equals(override)) {
            return Optional.empty();
        }
        if (override != null && !override.isBlank()) {
            Path bin = Path.of(override);
            if (!Files.isExecutable(bin.resolve("postgres"))) {
                throw new IllegalStateException("TICKETD_PG_BIN=" + override + " holds no postgres binary");
            }
            return Optional.of(bin);
        }
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions
                    .filter(v -> v.getFileName().toString().matches("\\d+"))
                    .filter(v -> Integer.parseInt(v.getFileName().toString()) >= 13)
                    .map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("postgres")) && Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isRoot() {
        return "0".equals(capture(List.of("id", "-u")));
    }

    private static List<String> dropRootPrefix() {
        String user = serverUser();
        return List.of("setpriv", "--reuid=" + capture(List.of("id", "-u", user)),
                "--regid=" + capture(List.of("id", "-g", user)), "--clear-groups", "--");
    }

    private static String serverUser() {
        return capture(List.of("id", "-u", "postgres")).isEmpty() ? "nobody" : "postgres";
    }

    private static String primaryGroup(String user) {
        return capture(List.of("id", "-g", user));
    }

    private static String capture(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor() == 0 ? out : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static void runQuietly(List<String> command) throws IOException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
