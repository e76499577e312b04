package dev.ticketd.mail.bench;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.MailboxReader;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.TestPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.awaitility.Awaitility.await;

/**
 * Ingest benchmark (a program, not a test; {@code mail-ingest/ingest-bench}). One PostgreSQL, one
 * GreenMail, one {@link MailboxReader}, on this machine:
 * <ul>
 *   <li><b>backlog</b>: N mails already in the INBOX when the reader starts; mails/s until all are tickets;</li>
 *   <li><b>latency</b>: mails sent over SMTP one at a time at random moments while the reader waits, with
 *       IMAP IDLE (5 s safety poll) and without IDLE at a 60 s poll; the time from the SMTP server's
 *       acceptance of a mail to its committed ticket (seen by polling the database every 5 ms, so up to
 *       5 ms late).</li>
 * </ul>
 * Each figure is measured {@code --runs} times on a fresh database and mail server; the report gives every
 * run and the median of the runs.
 */
public final class IngestBenchmark {

    private static final Logger log = LoggerFactory.getLogger(IngestBenchmark.class);
    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "bench-secret";

    private IngestBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>(Map.of("--backlog", "1000", "--runs", "3", "--idle-mails", "40",
                "--poll-mails", "20", "--poll-seconds", "60"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!opts.containsKey(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; options: " + opts.keySet());
            }
            opts.put(args[i], args[i + 1]);
        }
        int backlog = Integer.parseInt(opts.get("--backlog"));
        int runs = Integer.parseInt(opts.get("--runs"));
        int idleMails = Integer.parseInt(opts.get("--idle-mails"));
        int pollMails = Integer.parseInt(opts.get("--poll-mails"));
        int pollSeconds = Integer.parseInt(opts.get("--poll-seconds"));

        List<Double> rates = new ArrayList<>();
        List<double[]> idle = new ArrayList<>();
        List<double[]> poll = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            rates.add(backlog(backlog));
            idle.add(latency(idleMails, Duration.ofSeconds(5), true, 1_500));
            poll.add(latency(pollMails, Duration.ofSeconds(pollSeconds), false, pollSeconds * 1_000L / 4));
        }
        StringBuilder out = new StringBuilder("\ningest benchmark: ").append(runs).append(" runs, ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, Java ").append(System.getProperty("java.version"))
                .append(", ").append(System.getProperty("os.name")).append('\n');
        out.append(String.format(Locale.ROOT, "backlog of %d mails: %s mails/s, median %.1f%n", backlog, fmt(rates, "%.1f"), median(rates)));
        appendLatency(out, "IDLE (5 s safety poll), " + idleMails + " mails", idle);
        appendLatency(out, "no IDLE, poll every " + pollSeconds + " s, " + pollMails + " mails", poll);
        double ratio = median(poll.stream().map(a -> a[0]).toList()) / median(idle.stream().map(a -> a[0]).toList());
        out.append(String.format(Locale.ROOT, "p50 latency, poll / IDLE: %.0fx%n", ratio));
        System.out.print(out); // the program's report, on standard output
    }

    private static void appendLatency(StringBuilder out, String what, List<double[]> runs) {
        out.append(String.format(Locale.ROOT, "latency %s: p50 %s ms (median %.0f), p99 %s ms (median %.0f)%n", what,
                fmt(runs.stream().map(a -> a[0]).toList(), "%.0f"), median(runs.stream().map(a -> a[0]).toList()),
                fmt(runs.stream().map(a -> a[1]).toList(), "%.0f"), median(runs.stream().map(a -> a[1]).toList())));
    }

    /** Mails per second for a backlog that is in the INBOX before the reader starts. */
    private static double backlog(int n) throws Exception {
        try (Bench b = new Bench()) {
            List<byte[]> raws = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                raws.add(b.mail.textMail("c" + (i % 97) + "@example.test", SUPPORT, "backlog " + i, "please help " + i));
            }
            b.mail.deliverInProcess(SUPPORT, raws);
            long start = System.nanoTime();
            try (MailboxReader reader = b.reader(b.settings())) {
                reader.start();
                b.awaitTickets(n, Duration.ofMinutes(30));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            log.info("backlog mails={} seconds={}", n, seconds);
            return n / seconds;
        }
    }

    /**
     * p50 and p99 in ms from SMTP acceptance to a committed ticket. The mails are sent one by one at
     * random gaps (a quarter to all of {@code maxGapMs}) without waiting for each other, as customers
     * write; a watcher thread polls the database every 5 ms and notes when each ticket appears.
     */
    private static double[] latency(int n, Duration poll, boolean idle, long maxGapMs) throws Exception {
        try (Bench b = new Bench()) {
            MailboxSettings settings = b.settings().withPollInterval(poll);
            try (MailboxReader reader = b.reader(idle ? settings : settings.withoutIdle())) {
                reader.start();
                // the reader has connected and finished its first pass over the empty INBOX
                await().atMost(Duration.ofSeconds(30)).until(() -> reader.status().lastPassAt() != null);
                Map<String, Long> seen = new java.util.concurrent.ConcurrentHashMap<>();
                Thread watcher = new Thread(() -> {
                    while (seen.size() < n && !Thread.currentThread().isInterrupted()) {
                        long now = System.nanoTime();
                        b.db.dsl().select(TICKET.SUBJECT).from(TICKET).fetch(TICKET.SUBJECT).forEach(sub -> seen.putIfAbsent(sub, now));
                        try {
                            Thread.sleep(5); // the sampling interval of the measurement, not a wait
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "bench-watcher");
                watcher.setDaemon(true);
                watcher.start();
                Map<String, Long> sentAt = new HashMap<>();
                for (int i = 0; i < n; i++) {
                    // the load's own pace (customers writing at random gaps), not a wait
                    Thread.sleep(ThreadLocalRandom.current().nextLong(maxGapMs / 4, maxGapMs + 1));
                    String subject = "latency " + i;
                    b.mail.send(SUPPORT, List.of(b.mail.textMail("l" + i + "@example.test", SUPPORT, subject, "x")));
                    sentAt.put(subject, System.nanoTime());
                }
                watcher.join(poll.plusSeconds(30).toMillis());
                watcher.interrupt();
                if (seen.size() < n) {
                    throw new IllegalStateException("only " + seen.size() + " of " + n + " mails became tickets");
                }
                List<Double> latencies = new ArrayList<>();
                sentAt.forEach((subject, sent) -> latencies.add((seen.get(subject) - sent) / 1e6));
                Collections.sort(latencies);
                log.info("latency idle={} poll={} ms={}", idle, poll, latencies);
                return new double[]{percentile(latencies, 50), percentile(latencies, 99)};
            }
        }
    }

    /** A fresh database and mail server with one mailbox. */
    private static final class Bench implements AutoCloseable {
        final Database db = TestPostgres.freshDatabase();
        final TestMailServer mail = TestMailServer.start();
        final long epoch;

        Bench() {
            mail.addUser(SUPPORT, PASSWORD);
            db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, "support").set(MAILBOX.ADDRESS, SUPPORT)
                    .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, mail.imapPort())
                    .set(MAILBOX.IMAP_USER, SUPPORT).set(MAILBOX.SECRET_REF, "support").execute();
            epoch = new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).acquire("support", "bench");
        }

        MailboxSettings settings() {
            return mail.mailbox("support", SUPPORT, PASSWORD, "INBOX").withPollInterval(MailboxSettings.DEFAULT_POLL_INTERVAL);
        }

        MailboxReader reader(MailboxSettings s) {
            return new MailboxReader(s, new IngestStore(db, new MailParser(), new TicketsFromMail()), epoch, Clock.systemUTC());
        }

        void awaitTickets(int n, Duration atMost) {
            await(n + " tickets").atMost(atMost).pollInterval(Duration.ofMillis(50)).until(() -> db.dsl().fetchCount(TICKET) >= n);
        }

        @Override
        public void close() {
            mail.close();
            db.close();
        }
    }

    private static double percentile(List<Double> sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int m = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(m) : (sorted.get(m - 1) + sorted.get(m)) / 2;
    }

    private static String fmt(List<Double> values, String format) {
        return String.join(" / ", values.stream().map(v -> String.format(Locale.ROOT, format, v)).toList());
    }
}
