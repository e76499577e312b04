package dev.ticketd.chaos.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs Debian's {@code wrk} against one URL and reads its summary: the latency percentiles it
 * prints with {@code --latency}, the requests per second and any answer that was not 2xx/3xx.
 */
final class Wrk {

    /** One kind of request under load. {@code errors}: answers not 2xx/3xx plus socket errors. */
    record Result(String kind, String url, double p50Millis, double p99Millis, double requestsPerSecond, long requests,
                  long errors) {
    }

    private static final Pattern PERCENTILE = Pattern.compile("^\\s*(50|99)%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);
    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
    private static final Pattern SOCKET = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

    private Wrk() {
    }

    /**
     * Drives {@code url} with {@code connections} connections for {@code duration}; each connection
     * sends its next request as soon as the answer is in ({@code thinkMillis} 0) or a pause after it
     * of {@code thinkMillis} on average (a person reading the page: drawn uniformly between 0 and twice
     * that, through wrk's {@code delay} hook). Latency is measured from sending to the answer either way.
     */
    static Result run(String kind, String url, Map<String, String> headers, int connections, Duration duration, int thinkMillis)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("wrk", "-t2", "-c" + connections, "-d" + duration.toSeconds() + "s",
                "--timeout", "10s", "--latency"));
        Path script = null;
        if (thinkMillis > 0) {
            script = Files.createTempFile("wrk-think", ".lua");
            // drawn anew each time, uniform up to twice the mean: people do not click in step, and
            // connections that all waited exactly as long would send their requests in bursts of all of them
            Files.writeString(script, "function delay()\n  return math.random(0, " + 2 * thinkMillis + ")\nend\n");
            command.add("-s");
            command.add(script.toString());
        }
        try {
            return run(kind, url, headers, duration, command);
        } finally {
            if (script != null) {
                Files.deleteIfExists(script);
            }
        }
    }

    private static Result run(String kind, String url, Map<String, String> headers, Duration duration, List<String> command)
            throws IOException, InterruptedException {
        headers.forEach((k, v) -> {
            command.add("-H");
            command.add(k + ": " + v);
        });
        command.add(url);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(duration.toSeconds() + 60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("wrk did not end: " + out);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("wrk failed (exit " + p.exitValue() + "): " + out);
        }
        return parse(kind, url, out);
    }

    static Result parse(String kind, String url, String out) {
        double p50 = -1;
        double p99 = -1;
        Matcher m = PERCENTILE.matcher(out);
        while (m.find()) {
            double v = Double.parseDouble(m.group(2)) * switch (m.group(3)) {
                case "us" -> 0.001;
                case "ms" -> 1.0;
                default -> 1000.0;
            };
            if (m.group(1).equals("50")) {
                p50 = v;
            } else {
                p99 = v;
            }
        }
        Matcher rate = RATE.matcher(out);
        Matcher total = TOTAL.matcher(out);
        if (p50 < 0 || p99 < 0 || !rate.find() || !total.find()) {
            throw new IllegalStateException("cannot read wrk's summary: " + out);
        }
        long errors = 0;
        Matcher non2xx = NON_2XX.matcher(out);
        if (non2xx.find()) {
            errors += Long.parseLong(non2xx.group(1));
        }
        Matcher socket = SOCKET.matcher(out);
        if (socket.find()) {
            for (int g = 1; g <= 4; g++) {
                errors += Long.parseLong(socket.group(g));
            }
        }
        return new Result(kind, url, p50, p99, Double.parseDouble(rate.group(1)), Long.parseLong(total.group(1)), errors);
    }
}
