package dev.ticketd.chaos.mail;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * A real Dovecot (IMAP, LMTP, Maildir) and Postfix (SMTP in, LMTP out to Dovecot) started by hand
 * for the root-only chaos suite, never as system services. All state lives under
 * {@link MailServerConfig#dir()}; every daemon command runs behind the configured command prefix
 * (e.g. {@code ip netns exec mailns}), so the daemons can live in a network namespace.
 *
 * <p>Mail for the users' domains lands in their Maildirs; every address of a capture domain lands
 * in {@link #captureUser()}; any other recipient is refused at RCPT, and nothing is ever relayed.
 *
 * <p>Lifecycle: {@link #start} writes the configs, starts Dovecot ({@code dovecot -F}, a child of
 * this JVM) and then Postfix ({@code postfix start}, which detaches; its master is found through
 * its pid file), and returns once IMAP, LMTP and SMTP answer. {@link #close()} ends exactly those
 * processes and their descendants (by pid) and deletes the folder. The fault methods
 * ({@link #kill9Dovecot()}, {@link #restartDovecot()}, {@link #resetUidValidity(String)}) are for one
 * controlling thread; the class is not meant for concurrent use.
 */
public final class MailServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MailServer.class);
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final int LOG_TAIL = 25;

    private final MailServerConfig config;
    private final MailServerFiles files;
    private final AtomicBoolean closed = new AtomicBoolean();
    private Process dovecot;
    private ProcessHandle postfixMaster;
    private Duration startupTime;

    private MailServer(MailServerConfig config) {
        this.config = config;
        this.files = new MailServerFiles(config.dir());
    }

    /**
     * Writes the configs and starts both daemons; returns when IMAP, LMTP and SMTP answer on the
     * bind address. On any failure it stops what it had started, deletes the folder and throws
     * with the tails of the daemons' logs.
     */
    public static MailServer start(MailServerConfig config) throws IOException, InterruptedException {
        MailServer server = new MailServer(config);
        long t0 = System.nanoTime();
        server.files.checkUsable(); // before the try: close() deletes the folder
        try {
            server.files.write(config);
            server.startDovecot();
            server.startPostfix();
        } catch (IOException | InterruptedException | RuntimeException e) {
            try {
                server.close();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        server.startupTime = Duration.ofNanos(System.nanoTime() - t0);
        log.info("mail server ready dir={} address={} imap={} smtp={} lmtp={} startup_ms={}", config.dir(),
                config.bindAddress(), config.imapPort(), config.smtpPort(), config.lmtpPort(), server.startupTime.toMillis());
        return server;
    }

    public MailServerConfig config() {
        return config;
    }

    public String bindAddress() {
        return config.bindAddress();
    }

    public int imapPort() {
        return config.imapPort();
    }

    public int smtpPort() {
        return config.smtpPort();
    }

    public int lmtpPort() {
        return config.lmtpPort();
    }

    /** Login and address of the Maildir that receives all mail of the capture domains. */
    public String captureUser() {
        return config.captureUser();
    }

    public String capturePassword() {
        return config.capturePassword();
    }

    /** From the call of {@link #start} until IMAP, LMTP and SMTP answered. */
    public Duration startupTime() {
        return startupTime;
    }

    public Path dovecotLog() {
        return files.dovecotLog;
    }

    public Path postfixLog() {
        return files.postfixLog;
    }

    /** What the daemon commands themselves printed (start-up errors before their logs open). */
    public List<Path> daemonOutputs() {
        return List.of(files.dovecotOut, files.postfixOut);
    }

    /** A user's Maildir; its root is the INBOX. Files there belong to uid 65534. */
    public Path maildir(String address) {
        return files.maildir(address.toLowerCase(java.util.Locale.ROOT));
    }

    /** The Dovecot master's pid while it runs. */
    public Optional<Long> dovecotPid() {
        return dovecot != null && Daemons.running(dovecot.toHandle()) ? Optional.of(dovecot.pid()) : Optional.empty();
    }

    /** The Postfix master's pid while it runs. */
    public Optional<Long> postfixPid() {
        return postfixMaster != null && Daemons.running(postfixMaster) ? Optional.of(postfixMaster.pid()) : Optional.empty();
    }

    /**
     * Starts Dovecot when it is not running and waits until IMAP and LMTP answer. Postfix keeps
     * mail for Dovecot queued while it is down and retries within seconds.
     */
    public void startDovecot() throws IOException, InterruptedException {
        requireOpen();
        if (dovecot != null && Daemons.running(dovecot.toHandle())) {
            return;
        }
        long deadline = System.nanoTime() + config.startTimeout().toNanos();
        dovecot = Daemons.launch(config.commandPrefix(), List.of("dovecot", "-F", "-c", files.dovecotConf.toString()), files.dovecotOut);
        Process started = dovecot;
        Daemons.awaitGreeting(config.bindAddress(), config.imapPort(), "* OK", deadline, started::isAlive, this::dovecotDiagnostics);
        Daemons.awaitGreeting(config.bindAddress(), config.lmtpPort(), "220", deadline, started::isAlive, this::dovecotDiagnostics);
        log.info("dovecot running pid={} imap={}:{}", started.pid(), config.bindAddress(), config.imapPort());
    }

    /** Stops Dovecot with SIGTERM (it closes its clients), SIGKILL after a grace period. */
    public void stopDovecot() throws IOException, InterruptedException {
        if (dovecot != null) {
            Daemons.stopTree(dovecot.toHandle(), STOP_GRACE);
            log.info("dovecot stopped pid={}", dovecot.pid());
        }
    }

    /**
     * A crash of the IMAP server: SIGKILL to the Dovecot master and every process under it at
     * once, so connections drop without a goodbye. It stays down until {@link #startDovecot()}.
     */
    public void kill9Dovecot() throws IOException, InterruptedException {
        if (dovecot != null) {
            Daemons.kill9Tree(dovecot.toHandle());
            log.info("dovecot killed with SIGKILL pid={}", dovecot.pid());
        }
    }

    /** A crash of the SMTP server: SIGKILL to the Postfix master and all its processes; down until {@link #startPostfix()}. */
    public void kill9Postfix() throws IOException, InterruptedException {
        if (postfixMaster != null) {
            Daemons.kill9Tree(postfixMaster);
            log.info("postfix killed with SIGKILL pid={}", postfixMaster.pid());
        }
    }

    /** Stops Postfix with SIGTERM (its master ends its processes), SIGKILL after a grace period. */
    public void stopPostfix() throws IOException, InterruptedException {
        if (postfixMaster != null) {
            Daemons.stopTree(postfixMaster, STOP_GRACE);
            log.info("postfix stopped pid={}", postfixMaster.pid());
        }
    }

    public void restartDovecot() throws IOException, InterruptedException {
        stopDovecot();
        startDovecot();
    }

    /**
     * The "password changed on the mail server" fault: {@code address}'s IMAP (and SMTP) password
     * becomes {@code password} — or, with null, the configured one again — and Dovecot restarts, so
     * every session ends and the next login needs the new password, as after an operator rotated it
     * on the server and kicked the sessions.
     */
    public void setPassword(String address, String password) throws IOException, InterruptedException {
        requireOpen();
        java.util.Map<String, String> users = new java.util.LinkedHashMap<>(config.users());
        if (!users.containsKey(address)) {
            throw new IllegalArgumentException("no mail user " + address);
        }
        if (password != null) {
            users.put(address, password);
        }
        files.writeUsers(config, users);
        restartDovecot();
        log.info("password {} user={}", password == null ? "restored" : "changed", address);
    }

    /**
     * The "UIDVALIDITY reset" fault for a user's INBOX, as after a server rebuild: stops Dovecot,
     * deletes the INBOX's uid list and the index files, and starts Dovecot again. Dovecot then
     * numbers the INBOX's messages from UID 1 under a new, larger UIDVALIDITY (it keeps
     * {@code dovecot-uidvalidity}, so the new value never repeats an old one). Other folders keep
     * their UIDs. The mails themselves are untouched.
     */
    public void resetUidValidity(String address) throws IOException, InterruptedException {
        requireOpen();
        Path maildir = maildir(address);
        if (!Files.isDirectory(maildir)) {
            throw new IllegalArgumentException("no Maildir for " + address + " yet (it appears with the first mail or login): " + maildir);
        }
        stopDovecot();
        try (Stream<Path> entries = Files.list(maildir)) {
            for (Path p : entries.toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith("dovecot-uidlist") || name.startsWith("dovecot.index") || name.startsWith("dovecot.list.index")) {
                    Files.delete(p);
                }
            }
        }
        startDovecot();
        log.info("uidvalidity reset user={} maildir={}", address, maildir);
    }

    /**
     * The "mail server stops delivering" fault: with {@code true} Postfix still takes mail over SMTP
     * (250 to the data) but defers every delivery to Dovecot (its {@code lmtp} transport, which
     * carries all local mail here) and keeps it queued; with {@code false} delivery resumes and the
     * queue is flushed at once.
     */
    public void deferDelivery(boolean defer) throws IOException, InterruptedException {
        requireOpen();
        Duration timeout = Duration.ofSeconds(30);
        Daemons.run(config.commandPrefix(), List.of("postconf", "-c", files.postfixEtc.toString(), "-e",
                "defer_transports=" + (defer ? "lmtp" : "")), files.postfixOut, timeout, this::postfixDiagnostics);
        Daemons.run(config.commandPrefix(), List.of("postfix", "-c", files.postfixEtc.toString(), "reload"),
                files.postfixOut, timeout, this::postfixDiagnostics);
        if (!defer) {
            Daemons.run(config.commandPrefix(), List.of("postqueue", "-c", files.postfixEtc.toString(), "-f"),
                    files.postfixOut, timeout, this::postfixDiagnostics);
        }
        log.info("postfix delivery {}", defer ? "deferred (defer_transports=lmtp)" : "resumed, queue flushed");
    }

    /** How many mails wait in Postfix's queue (files under its incoming, active and deferred folders). */
    public int queuedMails() throws IOException {
        int n = 0;
        for (String q : List.of("incoming", "active", "deferred")) {
            Path d = files.postfixSpool.resolve(q);
            if (Files.isDirectory(d)) {
                try (Stream<Path> all = Files.walk(d)) {
                    n += (int) all.filter(Files::isRegularFile).count();
                }
            }
        }
        return n;
    }

    /**
     * The pids of the Dovecot {@code imap} processes (one per session here) whose client is at
     * {@code peerAddress}: each holds its client's TCP socket, found by the socket's inode in the
     * namespace's {@code /proc/PID/net/tcp}.
     */
    public List<Long> imapProcessesOf(String peerAddress) throws IOException {
        if (dovecot == null) {
            return List.of();
        }
        List<Long> found = new java.util.ArrayList<>();
        for (ProcessHandle p : dovecot.toHandle().descendants().toList()) {
            Path proc = Path.of("/proc", Long.toString(p.pid()));
            try {
                if (!Files.readString(proc.resolve("comm")).strip().equals("imap")) {
                    continue;
                }
                java.util.Set<String> inodes = new java.util.HashSet<>();
                try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
                    for (Path fd : fds.toList()) {
                        try {
                            String link = Files.readSymbolicLink(fd).toString();
                            if (link.startsWith("socket:[")) {
                                inodes.add(link.substring(8, link.length() - 1));
                            }
                        } catch (IOException gone) {
                            // the fd closed meanwhile
                        }
                    }
                }
                for (String line : Files.readAllLines(proc.resolve("net").resolve("tcp"))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && inodes.contains(f[9]) && hexToAddress(f[2]).equals(peerAddress)) {
                        found.add(p.pid());
                        break;
                    }
                }
            } catch (IOException | RuntimeException gone) {
                // the process ended while it was looked at
            }
        }
        return found;
    }

    /** {@code 0100007F:1F90} (little-endian IPv4 and a port, as in /proc/net/tcp) to {@code 127.0.0.1}. */
    static String hexToAddress(String hex) {
        long a = Long.parseLong(hex.substring(0, hex.indexOf(':')), 16);
        return (a & 0xff) + "." + ((a >> 8) & 0xff) + "." + ((a >> 16) & 0xff) + "." + ((a >> 24) & 0xff);
    }

    /** Stops Postfix and Dovecot (those this object started, by pid) and deletes the folder. Idempotent. */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        IOException failure = null;
        try {
            stopPostfix();
        } catch (IOException e) {
            failure = e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = new IOException("interrupted while stopping postfix", e);
        }
        try {
            stopDovecot();
        } catch (IOException e) {
            failure = addTo(failure, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = addTo(failure, new IOException("interrupted while stopping dovecot", e));
        }
        if (failure != null) {
            // keep the folder: a process may still use it, and its logs say why
            throw failure;
        }
        deleteTree(config.dir());
        log.info("mail server closed dir={}", config.dir());
    }

    /**
     * Starts Postfix when it is not running and waits until SMTP answers. Mail in its queue from
     * before a crash is delivered on.
     */
    public void startPostfix() throws IOException, InterruptedException {
        requireOpen();
        if (postfixMaster != null && Daemons.running(postfixMaster)) {
            return;
        }
        long deadline = System.nanoTime() + config.startTimeout().toNanos();
        // "start" waits for the master's initialisation and reports its failure; the master detaches
        Daemons.run(config.commandPrefix(), List.of("postfix", "-c", files.postfixEtc.toString(), "start"),
                files.postfixOut, config.startTimeout(), this::postfixDiagnostics);
        Path pidFile = files.postfixSpool.resolve("pid").resolve("master.pid");
        long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).trim());
        postfixMaster = ProcessHandle.of(pid).orElseThrow(() -> new IOException("postfix master " + pid + " from " + pidFile
                + " is not running" + postfixDiagnostics()));
        ProcessHandle master = postfixMaster;
        Daemons.awaitGreeting(config.bindAddress(), config.smtpPort(), "220", deadline, () -> Daemons.running(master), this::postfixDiagnostics);
        log.info("postfix running pid={} smtp={}:{}", pid, config.bindAddress(), config.smtpPort());
    }

    private String dovecotDiagnostics() {
        return Daemons.tail(files.dovecotOut, LOG_TAIL) + Daemons.tail(files.dovecotLog, LOG_TAIL);
    }

    private String postfixDiagnostics() {
        return Daemons.tail(files.postfixOut, LOG_TAIL) + Daemons.tail(files.postfixLog, LOG_TAIL);
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("mail server is closed: " + config.dir());
        }
    }

    private static IOException addTo(IOException first, IOException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
