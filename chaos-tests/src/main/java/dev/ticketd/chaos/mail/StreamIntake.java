package dev.ticketd.chaos.mail;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.jooq.Record2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static org.awaitility.Awaitility.await;
import static org.jooq.impl.DSL.field;

/**
 * The stream measurement: while the reader waits with IMAP IDLE, {@code rate} mails a second for
 * {@code seconds} are sent over one SMTP connection to Postfix, which delivers each to Dovecot
 * over LMTP. A mail's latency runs from Postfix's 250 to the DATA (the server accepted it) to the
 * moment a watcher thread, polling the database every 10 ms, first sees its committed row (so up to
 * 10 ms late). Mails are sent at fixed moments (open loop): a slow send does not slow the ones after
 * it, and the rate actually reached is reported.
 */
final class StreamIntake {

    private static final Logger log = LoggerFactory.getLogger(StreamIntake.class);
    private static final Duration WATCH_EVERY = Duration.ofMillis(10);
    private static final Duration STALL = Duration.ofSeconds(120);
    private static final byte[] ID_PREFIX = "<bench-".getBytes(StandardCharsets.US_ASCII);

    private final IntakeRig rig;
    private final BenchDatabase database;
    private final BenchMails mails;
    private final int rate;
    private final int seconds;
    private final Duration timeout;

    StreamIntake(IntakeRig rig, BenchDatabase database, BenchMails mails, int rate, int seconds, Duration timeout) {
        this.rig = rig;
        this.database = database;
        this.mails = mails;
        this.rate = rate;
        this.seconds = seconds;
        this.timeout = timeout;
    }

    Map<String, Object> measure() throws Exception {
        int n = rate * seconds;
        var reader = rig.startReader();
        // connected, and done with its first pass over the empty INBOX: from here on it waits in IDLE
        await("the reader's first pass").atMost(Duration.ofSeconds(60)).until(() -> {
            rig.requireReaderAlive();
            return reader.status().lastPassAt() != null;
        });
        Map<String, Long> seenAt = new ConcurrentHashMap<>();
        Thread watcher = new Thread(() -> watch(seenAt, n), "stream-watcher");
        watcher.setDaemon(true);
        watcher.start();

        Map<String, Long> acceptedAt = new LinkedHashMap<>();
        int failed = 0;
        Map<String, Integer> refusals = new java.util.TreeMap<>(); // the server's answer and the corpus file, counted
        DovecotIngestBenchmark.Usage before = DovecotIngestBenchmark.Usage.now(rig, database);
        long period = 1_000_000_000L / rate;
        long start = System.nanoTime();
        Session session = session();
        Address[] to = {new InternetAddress(IntakeRig.SUPPORT)};
        try (Transport smtp = session.getTransport("smtp")) {
            smtp.connect();
            for (int i = 0; i < n; i++) {
                long due = start + i * period;
                // the load's own pace (open loop), not a wait for anything
                for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                    LockSupport.parkNanos(wait);
                }
                MimeMessage m = new MimeMessage(session, new ByteArrayInputStream(mails.mail(i)));
                try {
                    smtp.sendMessage(m, to);
                    acceptedAt.put(mails.messageId(i), System.nanoTime());
                } catch (MessagingException e) {
                    failed++;
                    refusals.merge(mails.sourceOf(i) + ": " + String.valueOf(e.getMessage()).strip(), 1, Integer::sum);
                    log.warn("stream send {} refused: {}", i, e.toString());
                    if (!smtp.isConnected()) {
                        smtp.connect();
                    }
                }
            }
        }
        double sendSeconds = (System.nanoTime() - start) / 1e9;
        log.info("stream sent={} failed={} seconds={}", acceptedAt.size(), failed, sendSeconds);
        try {
            int[] lastSeen = {-1};
            long[] lastChange = {System.nanoTime()};
            await("every accepted stream mail committed").atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> {
                rig.requireReaderAlive();
                if (seenAt.keySet().containsAll(acceptedAt.keySet())) {
                    return true;
                }
                if (seenAt.size() != lastSeen[0]) {
                    lastSeen[0] = seenAt.size();
                    lastChange[0] = System.nanoTime();
                } else if (System.nanoTime() - lastChange[0] > STALL.toNanos()) {
                    List<String> missing = acceptedAt.keySet().stream().filter(id -> !seenAt.containsKey(id)).limit(5).toList();
                    throw new IllegalStateException("nothing new committed for " + STALL + "; " + seenAt.size() + " of "
                            + acceptedAt.size() + " accepted mails seen, missing e.g. " + missing + " (reader's last error: "
                            + rig.readerError() + "; Postfix's log: " + rig.mail.postfixLog() + ", queue: " + rig.mail.queuedMails() + ")");
                }
                return false;
            });
        } finally {
            watcher.interrupt();
            watcher.join(5_000);
        }
        DovecotIngestBenchmark.Usage used = DovecotIngestBenchmark.Usage.now(rig, database).minus(before);

        List<Double> ms = new ArrayList<>();
        acceptedAt.forEach((id, at) -> ms.add((seenAt.get(id) - at) / 1e6));
        Collections.sort(ms);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("delivery", "SMTP to Postfix on " + rig.mail.bindAddress() + ":" + rig.mail.smtpPort()
                + ", which delivers over LMTP to Dovecot; latency from Postfix's 250 to the committed row");
        out.put("mails", n);
        out.put("accepted", acceptedAt.size());
        out.put("refused", failed);
        out.put("refusals", refusals);
        out.put("rate", rate);
        out.put("sentPerSecond", DovecotIngestBenchmark.round(n / sendSeconds, 1));
        // the reader's pace over the stream: from the first acceptance to the last commit seen
        long first = acceptedAt.values().stream().mapToLong(Long::longValue).min().orElse(start);
        long last = seenAt.values().stream().mapToLong(Long::longValue).max().orElse(first);
        double committedPerSecond = acceptedAt.size() / Math.max(1e-9, (last - first) / 1e9);
        out.put("committedPerSecond", DovecotIngestBenchmark.round(committedPerSecond, 1));
        // latency that grows over the stream means the reader fell behind (a queue), flat means it kept up
        out.put("p50By10SecondsMillis", p50ByWindow(acceptedAt, seenAt, start, Duration.ofSeconds(10)));
        out.put("p50Millis", DovecotIngestBenchmark.round(percentile(ms, 50), 0));
        out.put("p99Millis", DovecotIngestBenchmark.round(percentile(ms, 99), 0));
        out.put("maxMillis", DovecotIngestBenchmark.round(ms.get(ms.size() - 1), 0));
        used.putPerThousand(out, acceptedAt.size());
        DovecotIngestBenchmark.putOutcomes(rig, out, acceptedAt.size());
        return out;
    }

    /**
     * Notes when each mail's row is first seen: new rows by id (one reader commits one mail at a
     * time, so ids appear in commit order), each mail's Message-ID found in the first bytes of its
     * raw text (the parsed column is empty for a mail that failed to parse).
     */
    private void watch(Map<String, Long> seenAt, int expected) {
        long lastId = 0;
        var raw = field("substring({0} from 1 for 8192)", byte[].class, INBOUND_MESSAGE.RAW);
        while (seenAt.size() < expected && !Thread.currentThread().isInterrupted()) {
            try {
                long now = System.nanoTime();
                for (Record2<Long, byte[]> r : rig.db.dsl().select(INBOUND_MESSAGE.ID, raw).from(INBOUND_MESSAGE)
                        .where(INBOUND_MESSAGE.ID.gt(lastId)).orderBy(INBOUND_MESSAGE.ID).fetch()) {
                    lastId = r.value1();
                    String id = messageId(r.value2());
                    if (id != null) {
                        seenAt.putIfAbsent(id, now);
                    }
                }
            } catch (RuntimeException e) {
                log.warn("stream watcher query failed: {}", e.toString());
            }
            LockSupport.parkNanos(WATCH_EVERY.toNanos()); // the sampling interval of the measurement
        }
    }

    /** The bench Message-ID in a raw mail's first bytes, without the angle brackets. */
    static String messageId(byte[] head) {
        String text = new String(head, StandardCharsets.ISO_8859_1);
        int at = text.indexOf(new String(ID_PREFIX, StandardCharsets.ISO_8859_1));
        if (at < 0) {
            return null;
        }
        int end = text.indexOf('>', at);
        return end < 0 ? null : text.substring(at + 1, end);
    }

    private Session session() {
        Properties p = new Properties();
        p.put("mail.smtp.host", rig.mail.bindAddress());
        p.put("mail.smtp.port", Integer.toString(rig.mail.smtpPort()));
        p.put("mail.smtp.from", "bench@customers.example");
        p.put("mail.smtp.connectiontimeout", "5000");
        p.put("mail.smtp.timeout", "30000");
        return Session.getInstance(p);
    }

    /** The p50 latency of the mails accepted in each window of the stream, in order. */
    private static List<Double> p50ByWindow(Map<String, Long> acceptedAt, Map<String, Long> seenAt, long start, Duration window) {
        java.util.TreeMap<Long, List<Double>> byWindow = new java.util.TreeMap<>();
        acceptedAt.forEach((id, at) -> byWindow.computeIfAbsent((at - start) / window.toNanos(), w -> new ArrayList<>())
                .add((seenAt.get(id) - at) / 1e6));
        List<Double> out = new ArrayList<>();
        for (List<Double> ms : byWindow.values()) {
            Collections.sort(ms);
            out.add(DovecotIngestBenchmark.round(percentile(ms, 50), 0));
        }
        return out;
    }

    private static double percentile(List<Double> sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
