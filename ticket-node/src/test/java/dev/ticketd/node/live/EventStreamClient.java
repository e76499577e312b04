package dev.ticketd.node.live;

import dev.ticketd.node.web.WebFixture;
import dev.ticketd.testing.TestTimeouts;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;


/**
 * A test's reader of {@code GET /events}: sends a browser's cookies (and a {@code Last-Event-ID} when
 * given), records every event as it arrives on a thread of its own. The caller closes it.
 */
final class EventStreamClient implements AutoCloseable {

    /** One event as the browser would see it. */
    record Event(String name, String id, String data, long receivedNanos) {
    }

    final int status;
    final List<Event> events = new CopyOnWriteArrayList<>();
    private final InputStream body;
    private final Thread reader;

    private EventStreamClient(HttpResponse<InputStream> response) {
        this.status = response.statusCode();
        this.body = response.body();
        this.reader = new Thread(this::read, "event-stream-client");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    static EventStreamClient open(int port, WebFixture.Browser browser, String lastEventId) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/events"))
                .header("Accept", "text/event-stream")
                .header("Cookie", browser.cookies.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining("; ")));
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(TestTimeouts.seconds(5)).build();
            return new EventStreamClient(http.send(request.GET().build(), HttpResponse.BodyHandlers.ofInputStream()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void read() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String name = "message";
            String id = null;
            StringBuilder data = new StringBuilder();
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        events.add(new Event(name, id, data.toString(), System.nanoTime()));
                    }
                    name = "message";
                    id = null;
                    data.setLength(0);
                } else if (line.startsWith("event: ")) {
                    name = line.substring(7);
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring(6));
                }
            }
        } catch (IOException e) {
            // closed by the test or the server
        }
    }

    /** Waits for the first event of this name whose data contains {@code text}. */
    Event await(String name, String text) {
        return org.awaitility.Awaitility.await().atMost(TestTimeouts.seconds(15)).pollInterval(Duration.ofMillis(20))
                .until(() -> events.stream().filter(e -> e.name().equals(name) && e.data().contains(text)).findFirst().orElse(null),
                        e -> e != null);
    }

    List<Event> named(String name) {
        return events.stream().filter(e -> e.name().equals(name)).toList();
    }

    boolean ended() {
        return !reader.isAlive();
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException e) {
            // already gone
        }
    }
}
