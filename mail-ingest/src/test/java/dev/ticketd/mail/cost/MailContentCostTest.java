package dev.ticketd.mail.cost;

import dev.ticketd.mail.ContentKey;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.ParsedMail;
import dev.ticketd.mail.mime.Charsets;
import dev.ticketd.mail.mime.EncodedWords;
import dev.ticketd.mail.mime.HtmlSanitizer;
import dev.ticketd.mail.outbound.LoopRules;
import dev.ticketd.mail.quarantine.HeaderPeek;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No work on mail content grows faster than the mail. Every stage that reads what a sender wrote
 * (headers, addresses, encoded words, RFC 2231 parameters, threading ids, HTML to text, text
 * normalisation, whole MIME trees) is fed large adversarial inputs: long runs of each special
 * character, deep nesting, huge counts. For each, the input is grown until one run takes long enough
 * to measure, then made four times larger: linear work takes about four times as long, quadratic work
 * sixteen. The bound (at most {@value #MAX_RATIO} times for four times the input, i.e. under about 2.8
 * times per doubling) leaves room for a noisy shared machine and still fails any quadratic stage.
 * Times are the least CPU time of a few runs, because noise only ever adds.
 *
 * <p>This is not a benchmark (no figure is asserted, only how cost grows); the same cases with their
 * times are printed so a reader can see them.
 */
class MailContentCostTest {

    private static final double MAX_RATIO = 8.0;
    /** A run must take this long before its growth is judged (shorter ones are all noise). */
    private static final long MEASURABLE_NANOS = 15_000_000L;
    private static final int MAX_SIZE = 8 * 1024 * 1024;
    private static final int RUNS = 5;

    private static final ThreadMXBean THREAD_CPU = ManagementFactory.getThreadMXBean();
    private static final MailParser PARSER = new MailParser();
    private static final HtmlSanitizer SANITIZER = new HtmlSanitizer();

    /** A stage fed an input of a given size. */
    record Case(String name, IntFunction<Runnable> ofSize) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        // headers: the loop rules, on every character that starts or ends a comment
        for (String c : List.of("(", ")", "\\", "(\\", "\"")) {
            cases.add(new Case("loop rules: Auto-Submitted of '" + c + "' x n", n -> () -> LoopRules.check("ann@example.test",
                    new ParsedMail.LoopHeaders(c.repeat(n / c.length()), "", "", Optional.empty(), "", false, false), Set.of())));
            cases.add(new Case("loop rules: Return-Path and Precedence of '" + c + "' x n", n -> () -> LoopRules.check("ann@example.test",
                    new ParsedMail.LoopHeaders("", c.repeat(n / c.length()), "", Optional.of(c.repeat(n / c.length())),
                            ",".repeat(n), false, false), Set.of())));
        }
        // the same through the whole parser, folded as a mail server would pass it
        for (String c : List.of("(", ")", "\\", "\"", "<", ";", "=", "=?", "?=")) {
            cases.add(new Case("parse: Auto-Submitted of '" + c + "' x n", n -> parse(headerMail("Auto-Submitted", c, n))));
            cases.add(new Case("parse: From of '" + c + "' x n", n -> parse(mail("From: " + folded(c, n) + " <ann@example.test>\r\n"
                    + "Subject: x\r\n", "body"))));
            cases.add(new Case("parse: Subject of '" + c + "' x n", n -> parse(headerMail("Subject", c, n))));
            cases.add(new Case("parse: References of '" + c + "' x n", n -> parse(headerMail("References", c, n))));
            cases.add(new Case("parse: Content-Type parameter of '" + c + "' x n", n -> parse(mail("From: ann@example.test\r\n"
                    + "Content-Type: text/plain; name=\"" + folded(c, n) + "\"\r\n", "body"))));
        }
        // addresses that never close: nothing after the run closes the comment, quote or angle bracket
        for (String c : List.of("(", "<", "<a", "a(", "\"")) {
            cases.add(new Case("parse: From of unclosed '" + c + "' x n", n -> parse(mail("From: " + folded(c, n / c.length())
                    + "\r\nSubject: x\r\n", "body"))));
        }
        // addresses: huge counts
        cases.add(new Case("parse: From with n addresses", n -> parse(mail("From: " + folded("a@example.test, ", n) + "\r\n", "body"))));
        cases.add(new Case("parse: From of nested comments", n -> parse(mail("From: " + folded("(a", n / 2) + folded(")", n / 2)
                + " ann@example.test\r\n", "body"))));
        // threading ids
        cases.add(new Case("parse: References with n ids", n -> parse(mail("From: ann@example.test\r\nReferences: "
                + folded("<a@b> ", n) + "\r\nIn-Reply-To: " + folded("<a", n) + "\r\n", "body"))));
        // encoded words
        cases.add(new Case("encoded words: n adjacent B words", n -> () -> EncodedWords.decode("=?utf-8?B?w6k=?= ".repeat(n / 17))));
        cases.add(new Case("encoded words: n adjacent Q words in alternating charsets", n -> () -> EncodedWords.decode(
                "=?utf-8?Q?=C3=A9?= =?iso-8859-1?Q?=E9?= ".repeat(n / 40))));
        cases.add(new Case("encoded words: '=?' x n", n -> () -> EncodedWords.decode("=?".repeat(n / 2))));
        cases.add(new Case("encoded words: one unterminated word", n -> () -> EncodedWords.decode("=?utf-8?q?" + "=".repeat(n))));
        cases.add(new Case("encoded words: '=?a?B?' x n", n -> () -> EncodedWords.decode("=?a?B?".repeat(n / 6))));
        // RFC 2231 parameters: huge counts of continuations
        cases.add(new Case("parse: RFC 2231 filename in n segments", n -> {
            StringBuilder cd = new StringBuilder("Content-Disposition: attachment");
            for (int i = 0; i < n / 24; i++) {
                cd.append(";\r\n filename*").append(i).append("*=%C3%A9x");
            }
            return parse(mail("From: ann@example.test\r\n" + cd + "\r\n", "body"));
        }));
        // HTML to text and sanitising
        cases.add(new Case("html: <pre> with a run of spaces", n -> () -> SANITIZER.toText("<pre>" + " ".repeat(n) + "x</pre>")));
        cases.add(new Case("html: <pre> with a run of tabs and newlines", n -> () -> SANITIZER.toText("<pre>" + " \t\n".repeat(n / 3) + "x</pre>")));
        cases.add(new Case("html: text of n empty paragraphs", n -> () -> SANITIZER.toText("<p> </p>".repeat(n / 8))));
        cases.add(new Case("html: sanitise n nested divs", n -> () -> SANITIZER.sanitize("<div>".repeat(n / 5) + "x")));
        cases.add(new Case("html: sanitise misnested formatting", n -> () -> SANITIZER.sanitize("<b><i>x</b></i>".repeat(n / 15))));
        cases.add(new Case("html: sanitise n unclosed table cells", n -> () -> SANITIZER.sanitize("<table><tr><td>".repeat(n / 15))));
        cases.add(new Case("html: sanitise '<' x n", n -> () -> SANITIZER.sanitize("<".repeat(n))));
        cases.add(new Case("html: sanitise a style attribute of '\\\\' x n", n -> () -> SANITIZER.sanitize(
                "<p style=\"" + "\\".repeat(n) + "\">x</p>")));
        cases.add(new Case("html: whole HTML mail with a <pre> of spaces", n -> parse(mail("From: ann@example.test\r\n"
                + "Content-Type: text/html; charset=utf-8\r\n", "<pre>" + " ".repeat(n) + "x</pre>"))));
        // text normalisation
        cases.add(new Case("text: charset repair of n high bytes", n -> () -> Charsets.fix8bit("\u00e9".repeat(n))));
        cases.add(new Case("text: decoding invalid UTF-8 declared as UTF-8", n -> () -> Charsets.decode(
                bytes("\u00c3(".repeat(n / 2)), "utf-8")));
        // whole MIME trees: huge counts and deep nesting
        cases.add(new Case("parse: multipart with n parts", n -> {
            StringBuilder body = new StringBuilder();
            for (int i = 0; i < n / 60; i++) {
                body.append("--b\r\nContent-Type: text/plain\r\n\r\npart ").append(i).append("\r\n");
            }
            return parse(mail("From: ann@example.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n",
                    body + "--b--\r\n"));
        }));
        cases.add(new Case("parse: multiparts nested n deep", n -> {
            StringBuilder body = new StringBuilder();
            int depth = n / 60;
            for (int d = 0; d < depth; d++) {
                body.append("--b").append(d).append("\r\nContent-Type: multipart/mixed; boundary=b").append(d + 1).append("\r\n\r\n");
            }
            body.append("--b").append(depth).append("\r\nContent-Type: text/plain\r\n\r\ndeep\r\n");
            return parse(mail("From: ann@example.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n",
                    body.toString()));
        }));
        cases.add(new Case("parse: n header lines", n -> parse(mail("From: ann@example.test\r\n" + "X-A: b\r\n".repeat(n / 8), "body"))));
        cases.add(new Case("parse: body of n lines", n -> parse(mail("From: ann@example.test\r\n", "line\r\n".repeat(n / 6)))));
        // identity and quarantine peeking on the raw bytes
        cases.add(new Case("content key: a header folded n times", n -> () -> ContentKey.of(bytes(
                "From: ann@example.test\r\nSubject: " + folded("a", n) + "\r\n\r\nbody"))));
        cases.add(new Case("header peek: a From of n address-like characters", n -> () -> HeaderPeek.fromAddress(bytes(
                "From: " + "a.".repeat(n / 2) + "\r\n\r\nbody"))));
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void fourTimesTheInputCostsAtMostRoughlyFourTimesTheTime(Case c) {
        int n = 1024;
        long small = fastest(c.ofSize().apply(n));
        while (small < MEASURABLE_NANOS && n * 2 <= MAX_SIZE / 4) {
            n *= 2;
            small = fastest(c.ofSize().apply(n));
        }
        long large = fastest(c.ofSize().apply(n * 4));
        double ratio = (double) large / small;
        System.out.printf("cost %-60s n=%9d %8.1f ms  4n %8.1f ms  ratio %5.2f%n", c.name(), n, small / 1e6, large / 1e6, ratio);
        if (small < MEASURABLE_NANOS) {
            return; // even a quarter of the largest input is too quick to measure: nothing grows here
        }
        // Other processes on a shared machine slow this one's CPU time too (caches, memory bandwidth),
        // now and then enough to pass the limit. Work that grows faster than its input does so every
        // time (a quadratic one 16-fold), so a ratio over the limit is measured again, at most twice.
        for (int again = 0; again < 2 && ratio > MAX_RATIO; again++) {
            small = fastest(c.ofSize().apply(n));
            large = fastest(c.ofSize().apply(n * 4));
            ratio = Math.min(ratio, (double) large / small);
            System.out.printf("cost %-60s measured again: ratio %5.2f%n", c.name(), (double) large / small);
        }
        assertThat(ratio).as("%s: time for %d against %d characters", c.name(), 4 * n, n).isLessThanOrEqualTo(MAX_RATIO);
    }

    /**
     * The least CPU time this thread spent on the work in {@value #RUNS} runs. CPU time, not wall time:
     * on a shared machine the thread waits for a core while other builds run, and that wait says
     * nothing about how the work grows (every stage measured here runs on the calling thread).
     */
    private static long fastest(Runnable work) {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < RUNS; i++) {
            long t0 = THREAD_CPU.getCurrentThreadCpuTime();
            work.run();
            best = Math.min(best, THREAD_CPU.getCurrentThreadCpuTime() - t0);
        }
        return best;
    }

    private static Runnable parse(byte[] raw) {
        return () -> PARSER.parse(raw);
    }

    private static byte[] headerMail(String header, String run, int n) {
        return mail("From: ann@example.test\r\n" + header + ": " + folded(run, n / Math.max(1, run.length())) + "\r\n", "body");
    }

    private static byte[] mail(String headers, String body) {
        return bytes(headers + "To: support@example.test\r\n\r\n" + body + "\r\n");
    }

    /** {@code count} repetitions of {@code unit}, folded into lines under 1,000 characters as an MTA passes them. */
    private static String folded(String unit, int count) {
        StringBuilder out = new StringBuilder(unit.length() * count + count / 50);
        int line = 0;
        for (int i = 0; i < count; i++) {
            if (line + unit.length() > 900) {
                out.append("\r\n ");
                line = 0;
            }
            out.append(unit);
            line += unit.length();
        }
        return out.toString();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
