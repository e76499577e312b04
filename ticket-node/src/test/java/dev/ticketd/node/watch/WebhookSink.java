package dev.ticketd.node.watch;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HTTP server on loopback that takes alert webhooks as an operator's endpoint would: it keeps
 * every body and {@code Authorization} header it received and answers with the status the test sets
 * (204 unless told otherwise). Bodies it answered with an error are not kept: they were not delivered.
 */
public final class WebhookSink implements AutoCloseable {

    private static final Pattern EVENT = Pattern.compile("\"event\":\"([a-z]+)\".*\"rule\":\"([a-z-]+)\"");

    private final HttpServer server;
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final AtomicInteger status = new AtomicInteger(204);

    private WebhookSink(HttpServer server) {
        this.server = server;
    }

    public static WebhookSink start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            WebhookSink sink = new WebhookSink(server);
            server.createContext("/hook", exchange -> {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                int answer = sink.status.get();
                if (answer / 100 == 2) {
                    sink.bodies.add(body);
                    sink.authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
                }
                exchange.sendResponseHeaders(answer, -1);
                exchange.close();
            });
            server.start();
            return sink;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
    }

    /** The status every later request is answered with. */
    public void answer(int httpStatus) {
        status.set(httpStatus);
    }

    public List<String> bodies() {
        return bodies;
    }

    public List<String> authorizations() {
        return authorizations;
    }

    /** Each JSON notice received as "event rule", e.g. {@code open mailbox-stalled}. */
    public List<String> events() {
        return bodies.stream().map(b -> {
            Matcher m = EVENT.matcher(b);
            return m.find() ? m.group(1) + " " + m.group(2) : "unreadable " + b;
        }).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
