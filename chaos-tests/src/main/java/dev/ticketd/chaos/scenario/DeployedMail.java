package dev.ticketd.chaos.scenario;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ticketd.chaos.Ticker;
import dev.ticketd.chaos.scenario.check.Checker;
import dev.ticketd.chaos.scenario.check.History;
import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseSettings;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/**
 * Customers' mail through a deployed cluster, judged by the chaos suite's {@link Checker}: sends
 * tagged mail (new, replies, bad mail) to the customers' mail server at a steady rate until a stop
 * file appears, while the caller does what it tests (kills a host, upgrades the nodes); then waits
 * until every accepted mail is stored and judges the database: each accepted mail exactly one ticket
 * message, nothing unexpected, replies in their tickets, no two epochs overlapping. Reports the
 * longest stretch without a stored mail while mail was being sent (the intake gap) and the time to
 * ticket. Writes DIR/report.json; exit status 0 only when every check passes.
 *
 * <pre>
 * DeployedMail --smtp HOST:PORT --to ADDRESS --mailbox ID --db JDBC_URL --db-user USER
 *              --db-password-file FILE --out DIR [--rate 2] [--stop-file FILE]
 *              [--max-duration 10m] [--settle 3m] [--seed 1] [--first-tag 1]
 * </pre>
 *
 * Only the mails stored after it started are judged, so a second stream into the same mailbox is
 * judged on its own; give it tags of its own with --first-tag (e.g. 100001): mails with the tags
 * (Message-IDs) of the first stream would be taken for copies.
 *
 * DIR/sending appears once the first mail was handed over, so the caller knows the stream runs.
 */
public final class DeployedMail {

    private static final Logger log = LoggerFactory.getLogger(DeployedMail.class);

    record Options(String smtpHost, int smtpPort, String to, String mailbox, String jdbcUrl, String dbUser, Path dbPasswordFile,
                   Path out, double rate, Path stopFile, Duration maxDuration, Duration settle, long seed,
                   int firstTag) {
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("DeployedMail: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(run(o) ? 0 : 1);
    }

    static Options parse(String[] args) {
        Map<String, String> v = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --option value pairs, got '" + args[i] + "'");
            }
            v.put(args[i].substring(2), args[++i]);
        }
        List<String> known = List.of("smtp", "to", "mailbox", "db", "db-user", "db-password-file", "out", "rate", "stop-file",
                "max-duration", "settle", "seed", "first-tag");
        for (String k : v.keySet()) {
            if (!known.contains(k)) {
                throw new IllegalArgumentException("unknown option --" + k + " (known: --" + String.join(", --", known) + ")");
            }
        }
        for (String k : List.of("smtp", "to", "mailbox", "db", "db-user", "db-password-file", "out")) {
            if (!v.containsKey(k)) {
                throw new IllegalArgumentException("--" + k + " is required");
            }
        }
        String smtp = v.get("smtp");
        int colon = smtp.lastIndexOf(':');
        if (colon < 1) {
            throw new IllegalArgumentException("--smtp must be HOST:PORT, was '" + smtp + "'");
        }
        double rate = Double.parseDouble(v.getOrDefault("rate", "2"));
        if (!(rate > 0 && rate <= 50)) {
            throw new IllegalArgumentException("--rate must be above 0 and at most 50 mails a second, was " + rate);
        }
        Duration max = duration("max-duration", v.getOrDefault("max-duration", "10m"));
        Duration settle = duration("settle", v.getOrDefault("settle", "3m"));
        int firstTag = Integer.parseInt(v.getOrDefault("first-tag", "1"));
        if (firstTag < 1 || firstTag > 900_000) {
            throw new IllegalArgumentException("--first-tag must be 1 to 900000 (tags have six digits), was " + firstTag);
        }
        return new Options(smtp.substring(0, colon), Integer.parseInt(smtp.substring(colon + 1)), v.get("to"), v.get("mailbox"),
                v.get("db"), v.get("db-user"), Path.of(v.get("db-password-file")), Path.of(v.get("out")).toAbsolutePath(), rate,
                v.containsKey("stop-file") ? Path.of(v.get("stop-file")) : null, max, settle, Long.parseLong(v.getOrDefault("seed", "1")),
                firstTag);
    }

    private static Duration duration(String key, String text) {
        if (!text.matches("\\d+[smh]")) {
            throw new IllegalArgumentException("--" + key + " must be a number of s, m or h (e.g. 90s, 10m), was '" + text + "'");
        }
        long n = Long.parseLong(text.substring(0, text.length() - 1));
        return switch (text.charAt(text.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    static boolean run(Options o) throws Exception {
        Files.createDirectories(o.out());
        Files.deleteIfExists(o.out().resolve("sending"));
        String password = Files.readString(o.dbPasswordFile(), StandardCharsets.UTF_8).strip();
        try (Database db = Database.open(DatabaseSettings.of(o.jdbcUrl(), o.dbUser(), password), "deployed-mail")) {
            // what the mailbox held before this stream (an earlier stream's mails) is not judged
            long before = db.dsl().select(DSL.coalesce(DSL.max(INBOUND_MESSAGE.ID), 0L)).from(INBOUND_MESSAGE)
                    .where(INBOUND_MESSAGE.MAILBOX_ID.eq(o.mailbox())).fetchOne(0, Long.class);
            Customers customers = new Customers(o.smtpHost(), o.smtpPort(), o.to(), o.seed(), o.firstTag(), tag -> ticketOf(db, tag));
            Instant started = Instant.now();
            Instant deadline = started.plus(o.maxDuration());
            Duration period = Duration.ofMillis(Math.round(1000 / o.rate()));
            try (Ticker ignored = new Ticker("customers", period, () -> {
                customers.sendOne();
                markSending(o.out());
            })) {
                // bounded: the stop file or the longest run, checked every 200 ms
                while (Instant.now().isBefore(deadline) && (o.stopFile() == null || !Files.exists(o.stopFile()))) {
                    Thread.sleep(200);
                }
            }
            Instant stopped = Instant.now();
            Map<String, History.Send> sent = customers.sent();
            log.info("sent {} mails from {} to {}; waiting up to {} for them to be stored", sent.size(), started, stopped, o.settle());
            // wait (bounded) until every accepted mail is stored, then judge what the database holds
            Checker.Verdicts judged = null;
            History history = null;
            Instant settleUntil = Instant.now().plus(o.settle());
            while (true) {
                try {
                    history = new History(List.copyOf(sent.values()), StoredMails.load(db.dsl(), o.mailbox(), before));
                    judged = Checker.check(history);
                    if (judged.lost().isEmpty() || Instant.now().isAfter(settleUntil)) {
                        break;
                    }
                } catch (RuntimeException e) {
                    log.warn("cannot read the database yet: {}", e.toString());
                    if (Instant.now().isAfter(settleUntil)) {
                        throw e;
                    }
                }
                Thread.sleep(1000);
            }
            return report(o, judged, history, started, stopped);
        }
    }

    private static void markSending(Path out) {
        Path marker = out.resolve("sending");
        if (!Files.exists(marker)) {
            try {
                Files.writeString(marker, Instant.now() + "\n");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    private static Optional<String> ticketOf(Database db, String tag) {
        try {
            return Optional.ofNullable(db.dsl().select(TICKET.NUMBER).from(TICKET_MESSAGE)
                    .join(INBOUND_MESSAGE).on(INBOUND_MESSAGE.ID.eq(TICKET_MESSAGE.INBOUND_MESSAGE_ID))
                    .join(TICKET).on(TICKET.ID.eq(TICKET_MESSAGE.TICKET_ID))
                    .where(INBOUND_MESSAGE.MESSAGE_ID.eq(Customers.messageId(tag)))
                    .limit(1).fetchOne(TICKET.NUMBER));
        } catch (RuntimeException e) {
            return Optional.empty(); // the database is failing over: this mail opens a ticket instead
        }
    }

    private static boolean report(Options o, Checker.Verdicts judged, History history, Instant started, Instant stopped)
            throws java.io.IOException {
        List<RunReport.Check> checks = new ArrayList<>(CheckReport.mailChecks(judged));
        checks.add(CheckReport.epochCheck(judged.epochs()));
        List<Instant> commits = history.stored().stream().map(History.Stored::committedAt).filter(Objects::nonNull)
                .distinct().sorted().toList();
        long gap = ChaosScenario.longestGap(commits, started, stopped);
        Instant gapEnd = gapEnd(commits, started, stopped);
        List<Long> timeToTicket = new ArrayList<>();
        for (Checker.MailJudgement m : judged.mails()) {
            if (m.send().outcome() == History.Outcome.OK && m.ticketedAt() != null) {
                timeToTicket.add(Math.max(0, Duration.between(m.send().invokedAt(), m.ticketedAt()).toMillis()));
            }
        }
        Collections.sort(timeToTicket);
        boolean pass = checks.stream().allMatch(RunReport.Check::ok);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("verdict", pass ? "pass" : "fail");
        r.put("started", started.toString());
        r.put("stopped", stopped.toString());
        r.put("mailsSent", history.sends().size());
        r.put("accepted", judged.accepted());
        r.put("lost", judged.lost().size());
        r.put("duplicated", judged.duplicatedCopies());
        r.put("unexpected", judged.unexpected().size());
        r.put("misthreaded", judged.misthreaded().size());
        r.put("unknownOutcomes", judged.unknowns().sends());
        r.put("longestIntakeGapMillis", gap);
        r.put("longestIntakeGapEnded", gapEnd == null ? null : gapEnd.toString());
        r.put("timeToTicketP50Millis", ChaosScenario.percentile(timeToTicket, 0.50));
        r.put("timeToTicketP99Millis", ChaosScenario.percentile(timeToTicket, 0.99));
        r.put("timeToTicketMaxMillis", timeToTicket.isEmpty() ? -1 : timeToTicket.get(timeToTicket.size() - 1));
        r.put("checks", checks);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(o.out().resolve("report.json").toFile(), r);
        System.out.printf("mail through the deployed cluster: %s — %d sent, %d accepted, lost %d, duplicated %d, unexpected %d;"
                        + " longest intake gap %d ms; time to ticket p50 %d ms, p99 %d ms%n", pass ? "PASS" : "FAIL", history.sends().size(),
                judged.accepted(), judged.lost().size(), judged.duplicatedCopies(), judged.unexpected().size(), gap,
                ChaosScenario.percentile(timeToTicket, 0.50), ChaosScenario.percentile(timeToTicket, 0.99));
        for (RunReport.Check c : checks) {
            System.out.printf("  %s %s: %s%n", c.ok() ? "PASS" : "FAIL", c.name(), c.detail());
        }
        return pass;
    }

    /** When the longest stretch without a commit in [from, to] ended (its first commit after), or null when it ran to the end. */
    static Instant gapEnd(List<Instant> sortedCommits, Instant from, Instant to) {
        long gap = ChaosScenario.longestGap(sortedCommits, from, to);
        Instant last = from;
        for (Instant t : sortedCommits) {
            if (t.isBefore(from)) {
                continue;
            }
            if (t.isAfter(to)) {
                break;
            }
            if (Duration.between(last, t).toMillis() == gap) {
                return t;
            }
            last = t;
        }
        return null;
    }
}
