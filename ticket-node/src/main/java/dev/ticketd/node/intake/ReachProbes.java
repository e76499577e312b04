package dev.ticketd.node.intake;

import dev.ticketd.cluster.ReachReport;
import dev.ticketd.mail.TransportSecurity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.sql.DataSource;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Checks, about once a second, what this node can reach — the database (a bounded {@code select 1})
 * and the IMAP server of every enabled mailbox (its greeting, within {@link #TIMEOUT}) — and
 * publishes the result as this node's {@link ReachReport}, so that a leader cut off from either can
 * see whether another node is not ({@link HandoverRule}). Every node checks, leader or not: one
 * connect a second per mail server is cheap, and the report is what lets a stuck leader hand over
 * in seconds. Each distinct server is checked once per round however many mailboxes it serves.
 *
 * <p>The checks never run on a reader's thread: one scheduler thread starts a round, the IMAP
 * greetings run on a small pool and the database check on a thread of its own (a check that hangs
 * past its deadline leaves that thread busy, and the next rounds report the database as not
 * answering until it frees). The list of mailboxes comes from the database and is kept when the
 * database is out of reach. Nothing secret is checked or reported: no login, only the greeting.
 *
 * <p>Lifecycle: the constructor does no I/O; {@link #start()} once, {@link #close()} at shutdown.
 */
public final class ReachProbes implements AutoCloseable {

    /** Where a mailbox's IMAP server is. */
    public record ImapServer(String host, int port, TransportSecurity security) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(ReachProbes.class);
    static final Duration PERIOD = Duration.ofSeconds(1);
    /** The deadline of each check: a connect, a TLS handshake and a greeting, or a {@code select 1}. */
    static final Duration TIMEOUT = Duration.ofMillis(1500);
    /** How often the list of mailboxes is read again from the database. */
    private static final Duration MAILBOXES_EVERY = Duration.ofSeconds(10);
    private static final int MAX_GREETING = 512;

    private final String nodeId;
    private final Supplier<Map<String, ImapServer>> mailboxes;
    private final DataSource database;
    private final Consumer<ReachReport> publish;
    private final Clock clock;
    private final ScheduledExecutorService rounds = Executors.newSingleThreadScheduledExecutor(daemons("reach-probes"));
    private final ExecutorService greetings = Executors.newCachedThreadPool(daemons("reach-probe-imap"));
    private final ThreadPoolExecutor databaseChecks = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(1), daemons("reach-probe-db"));
    /** Reads the list of mailboxes: a read that hangs with the database must not hold up a round. */
    private final ExecutorService mailboxReads = Executors.newSingleThreadExecutor(daemons("reach-probe-mailboxes"));
    private final AtomicReference<ReachReport> latest = new AtomicReference<>();
    /** Round thread only. */
    private Map<String, ImapServer> known = Map.of();
    private Instant mailboxesReadAt = Instant.MIN;
    private Future<Map<String, ImapServer>> mailboxRead;
    private ReachReport.Reach lastDatabase;
    private final Map<String, ReachReport.Reach> lastImap = new HashMap<>();
    private boolean publishFailing;

    /**
     * @param mailboxes every enabled mailbox's IMAP server, by mailbox id; read from the database, may throw
     * @param database  the node's pool to the primary (the database intake writes to)
     * @param publish   makes the report seen by the other nodes (ZooKeeper); may throw
     */
    public ReachProbes(String nodeId, Supplier<Map<String, ImapServer>> mailboxes, DataSource database, Consumer<ReachReport> publish,
                       Clock clock) {
        this.nodeId = nodeId;
        this.mailboxes = mailboxes;
        this.database = database;
        this.publish = publish;
        this.clock = clock;
    }

    public void start() {
        rounds.scheduleAtFixedRate(this::round, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** This node's latest report, or null before the first round ended. */
    public ReachReport latest() {
        return latest.get();
    }

    private void round() {
        try {
            Instant now = clock.instant();
            refreshMailboxes(now);
            Future<String> db = checkDatabase();
            Map<ImapServer, Future<String>> servers = new LinkedHashMap<>();
            for (ImapServer s : known.values()) {
                servers.computeIfAbsent(s, server -> greetings.submit(() -> greet(server)));
            }
            long deadline = System.nanoTime() + TIMEOUT.toNanos() + 200_000_000L; // each check bounds itself; the margin is for the pool
            ReachReport.Reach database = reach(lastDatabase, outcome(db, deadline, "the database"), now);
            lastDatabase = database;
            Map<String, ReachReport.Reach> imap = new HashMap<>();
            Map<ImapServer, String> outcomes = new HashMap<>();
            servers.forEach((server, f) -> {
                String problem = outcome(f, deadline, server.toString());
                outcomes.put(server, problem == null ? null : server + ": " + problem);
            });
            known.forEach((mailbox, server) -> imap.put(mailbox, reach(lastImap.get(mailbox), outcomes.get(server), now)));
            lastImap.clear();
            lastImap.putAll(imap);
            ReachReport report = new ReachReport(nodeId, now, database, imap);
            latest.set(report);
            publish(report);
        } catch (RuntimeException e) {
            log.warn("reach check round failed error={}", e.toString());
        }
    }

    /**
     * Takes the list read since the last round, if any, and starts another read when one is due;
     * never waits for one. The first round may so check no server yet; the next one a second later does.
     */
    private void refreshMailboxes(Instant now) {
        if (mailboxRead != null && mailboxRead.isDone()) {
            try {
                known = Map.copyOf(mailboxRead.get());
            } catch (ExecutionException e) {
                // the database is out of reach: keep checking the servers known so far
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            mailboxRead = null;
        }
        boolean due = Duration.between(mailboxesReadAt, now).compareTo(known.isEmpty() ? PERIOD : MAILBOXES_EVERY) >= 0;
        if (mailboxRead == null && due) {
            mailboxesReadAt = now;
            mailboxRead = mailboxReads.submit(mailboxes::get);
        }
    }

    private void publish(ReachReport report) {
        try {
            publish.accept(report);
            if (publishFailing) {
                log.info("publishing this node's reach report again");
                publishFailing = false;
            }
        } catch (RuntimeException e) {
            if (!publishFailing) {
                log.warn("cannot publish this node's reach report (retrying every {} ms) error={}", PERIOD.toMillis(), e.toString());
                publishFailing = true;
            }
        }
    }

    private Future<String> checkDatabase() {
        try {
            return databaseChecks.submit(() -> {
                try (Connection c = database.getConnection(); Statement st = c.createStatement()) {
                    st.setQueryTimeout((int) ((TIMEOUT.toMillis() + 999) / 1000));
                    st.execute("select 1");
                    return null;
                }
            });
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture("an earlier check has not answered yet");
        }
    }

    /** @return null when the server greeted, else why not (no secrets: the server and the exception's class) */
    static String greet(ImapServer server) {
        int timeout = (int) TIMEOUT.toMillis();
        long start = System.nanoTime();
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(server.host(), server.port()), timeout);
            Socket s = plain;
            int left = (int) Math.max(1, timeout - (System.nanoTime() - start) / 1_000_000);
            plain.setSoTimeout(left);
            if (server.security() == TransportSecurity.TLS) {
                SSLSocket tls = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault())
                        .createSocket(plain, server.host(), server.port(), true);
                tls.startHandshake();
                s = tls;
            }
            String greeting = firstLine(s.getInputStream());
            if (greeting.startsWith("* OK") || greeting.startsWith("* PREAUTH")) {
                s.getOutputStream().write("p1 LOGOUT\r\n".getBytes(StandardCharsets.US_ASCII));
                return null;
            }
            return "no IMAP greeting" + (greeting.isEmpty() ? " (connection closed)"
                    : " (it said '" + greeting.substring(0, Math.min(40, greeting.length())).replaceAll("[^\\x20-\\x7e]", "?") + "')");
        } catch (IOException | RuntimeException e) {
            return e.getClass().getSimpleName() + " after " + (System.nanoTime() - start) / 1_000_000 + " ms";
        }
    }

    private static String firstLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b; line.length() < MAX_GREETING && (b = in.read()) >= 0 && b != '\n'; ) {
            line.append((char) b);
        }
        return line.toString().strip();
    }

    /** @return null when the check succeeded, else why not */
    private static String outcome(Future<String> check, long deadlineNanos, String what) {
        try {
            return check.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            check.cancel(true);
            return "no answer within " + TIMEOUT.toMillis() + " ms";
        } catch (ExecutionException e) {
            return e.getCause().getClass().getSimpleName();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while checking " + what;
        }
    }

    /** The new state, keeping its start time when the result did not change. */
    private static ReachReport.Reach reach(ReachReport.Reach previous, String problem, Instant now) {
        boolean reachable = problem == null;
        Instant since = previous != null && previous.reachable() == reachable ? previous.since() : now;
        return new ReachReport.Reach(reachable, since, problem);
    }

    @Override
    public void close() {
        rounds.shutdownNow();
        mailboxReads.shutdownNow();
        greetings.shutdownNow();
        databaseChecks.shutdownNow();
    }

    private static ThreadFactory daemons(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
