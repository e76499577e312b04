package dev.ticketd.chaos;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A member of staff who keeps a ticket list open: logs in to one node through the login form, then
 * on each {@link #probe()} asks for {@code /tickets} and {@code /health/ready} and records what came
 * back (status, whether the page said it came from a standby, how long it took).
 */
public final class UiProbe {

    /** One answer: {@code status} -1 when there was none (refused, timed out). */
    public record Sample(Instant at, String path, int status, boolean fromStandby, long millis) {
        public boolean ok() {
            return status == 200;
        }
    }

    private static final String STALE_HEADER = "X-Ticketd-Stale";
    private static final String STALE_TEXT = "may be a few seconds old";

    private final String baseUrl;
    private final String email;
    private final String password;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final List<Sample> samples = new ArrayList<>();
    private volatile String sessionCookie;

    public UiProbe(String baseUrl, String email, String password) {
        this.baseUrl = baseUrl;
        this.email = email;
        this.password = password;
    }

    /** Logs in through the form (double-submit CSRF cookie); throws when the node refuses. */
    public void login() throws IOException, InterruptedException {
        String csrf = UUID.randomUUID().toString();
        String form = "email=" + URLEncoder.encode(email, StandardCharsets.UTF_8)
                + "&password=" + URLEncoder.encode(password, StandardCharsets.UTF_8) + "&csrf=" + csrf;
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/login"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Cookie", "ticketd_login_csrf=" + csrf)
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        sessionCookie = response.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("ticketd_session=") && !c.startsWith("ticketd_session=;"))
                .map(c -> c.substring(0, c.indexOf(';') < 0 ? c.length() : c.indexOf(';')))
                .findFirst()
                .orElseThrow(() -> new IOException("login to " + baseUrl + " refused: HTTP " + response.statusCode()));
    }

    /** One round: the ticket list and the readiness check. */
    public void probe() {
        record(get("/tickets"));
        record(get("/health/ready"));
    }

    private synchronized void record(Sample s) {
        samples.add(s);
    }

    public synchronized List<Sample> samples() {
        return List.copyOf(samples);
    }

    private Sample get(String path) {
        Instant at = Instant.now();
        long t0 = System.nanoTime();
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(5)).GET();
            if (sessionCookie != null) {
                request.header("Cookie", sessionCookie);
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            boolean stale = response.headers().firstValue(STALE_HEADER).isPresent() || response.body().contains(STALE_TEXT);
            return new Sample(at, path, response.statusCode(), stale, (System.nanoTime() - t0) / 1_000_000);
        } catch (IOException e) {
            return new Sample(at, path, -1, false, (System.nanoTime() - t0) / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Sample(at, path, -1, false, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /**
     * The longest stretch within [from, to] between two 200 answers to {@code path} (measured from
     * when each answer arrived), in ms: how long a member of staff waited for the page at worst.
     */
    public long longestGapMillis(String path, Instant from, Instant to) {
        Instant lastOk = from;
        long worst = 0;
        for (Sample s : samples()) {
            if (s.path().equals(path) && s.ok() && !s.at().isBefore(from) && !s.at().isAfter(to)) {
                Instant answeredAt = s.at().plusMillis(s.millis());
                worst = Math.max(worst, Duration.between(lastOk, answeredAt).toMillis());
                lastOk = answeredAt;
            }
        }
        return Math.max(worst, Duration.between(lastOk, to).toMillis());
    }

    /** How many {@code path} answers in [from, to] said they came from a standby. */
    public long standbyAnswers(String path, Instant from, Instant to) {
        return samples().stream().filter(s -> s.path().equals(path) && s.ok() && s.fromStandby()
                && !s.at().isBefore(from) && !s.at().isAfter(to)).count();
    }
}
