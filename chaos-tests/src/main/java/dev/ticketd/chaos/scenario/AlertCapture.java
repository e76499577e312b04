package dev.ticketd.chaos.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import jakarta.mail.internet.MimeMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What operations would receive: the two alert channels of the cluster's self-watch and of the
 * outside watcher, ended on the harness. A webhook sink (the JDK's HTTP server, JSON bodies) and an
 * operations relay (GreenMail's SMTP, not the mail server that serves the support mailbox), both
 * bound to the bridge address the hosts see the harness at. Every notice is recorded with its
 * arrival time, so a silent fault is judged by what reached an operator, not by rows in the
 * database.
 *
 * <p>Lifecycle: {@link #start} binds both and starts a poller that turns each mail GreenMail
 * received into a notice (its arrival is known to within {@link #MAIL_POLL}); {@link #close} stops
 * them. {@link #notices()} may be read from any thread.
 */
public final class AlertCapture implements AutoCloseable {

    /** One notice as received: {@code channel} "webhook" or "smtp"; {@code event} open / remind / clear / test. */
    public record Notice(Instant at, String channel, String event, String rule, String subject, String severity, String node) {

        /** An opening of an alert that stops intake (severity stall). */
        boolean stallOpen() {
            return "open".equals(event) && "stall".equals(severity);
        }

        /** The episode this notice belongs to: one per rule and subject at a time. */
        String episode() {
            return rule + " " + subject;
        }
    }

    public static final String WEBHOOK = "webhook";
    public static final String SMTP = "smtp";
    public static final List<String> CHANNELS = List.of(WEBHOOK, SMTP);
    static final String OPS_ADDRESS = "ops@ops.test";
    private static final Duration MAIL_POLL = Duration.ofMillis(200);
    private static final Logger log = LoggerFactory.getLogger(AlertCapture.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * {@code [ticketd CLUSTER ALERT stall] RULE SUBJECT}, {@code STILL stall (reminder N)}, {@code RESOLVED} (or
     * {@code RESOLVED stall (its alert could not be sent here)}), {@code TEST}: Alert.title() in ticket-node.
     */
    private static final Pattern TITLE = Pattern.compile(
            "\\[ticketd \\S+ (ALERT (\\S+)|STILL (\\S+) \\(reminder \\d+\\)|RESOLVED(?: (\\S+) \\([^)]*\\))?|TEST)] (\\S+) ?(.*)");
    private static final Pattern SENT_BY = Pattern.compile("sent by node (.+?)\\. ");

    private final String address;
    private final List<Notice> notices = new CopyOnWriteArrayList<>();
    private HttpServer webhook;
    private GreenMail relay;
    private ScheduledExecutorService poller;
    private int mailsSeen;

    /** Nothing is bound until {@link #start}. */
    public AlertCapture(String address) {
        this.address = address;
    }

    public AlertCapture start() throws IOException {
        webhook = HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), 0), 16);
        webhook.createContext("/alerts", this::onWebhook);
        webhook.start();
        relay = new GreenMail(new ServerSetup(freePort(), address, ServerSetup.PROTOCOL_SMTP));
        relay.start();
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "alert-relay-poll");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::pollRelay, 0, MAIL_POLL.toMillis(), TimeUnit.MILLISECONDS);
        log.info("alert capture webhook={} relay={}:{}", webhookUrl(), address, relayPort());
        return this;
    }

    public String address() {
        return address;
    }

    public String webhookUrl() {
        return "http://" + address + ":" + webhook.getAddress().getPort() + "/alerts";
    }

    public int webhookPort() {
        return webhook.getAddress().getPort();
    }

    public int relayPort() {
        return relay.getSmtp().getPort();
    }

    /** The {@code alert.*} keys of a node's (or the outside watcher's) configuration that point at this capture. */
    public java.util.Map<String, String> alertConfig(String from) {
        java.util.Map<String, String> c = new java.util.LinkedHashMap<>();
        c.put("alert.smtp.host", address);
        c.put("alert.smtp.port", Integer.toString(relayPort()));
        c.put("alert.smtp.security", "none");
        c.put("alert.smtp.from", from);
        c.put("alert.smtp.to", OPS_ADDRESS);
        c.put("alert.webhook.url", webhookUrl());
        c.put("alert.webhook.format", "json");
        return c;
    }

    /** Every notice received so far, in arrival order. */
    public List<Notice> notices() {
        return List.copyOf(notices);
    }

    /** The first notice received at or after {@code since} that matches, waiting up to {@code timeout}. */
    public Optional<Notice> await(Instant since, Predicate<Notice> wanted, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<Notice> found = notices.stream().filter(n -> !n.at().isBefore(since)).filter(wanted).findFirst();
            if (found.isPresent() || System.nanoTime() > deadline) {
                return found;
            }
            Thread.sleep(250);
        }
    }

    private void onWebhook(HttpExchange exchange) throws IOException {
        Instant at = Instant.now();
        try (exchange; InputStream body = exchange.getRequestBody()) {
            JsonNode json = JSON.readTree(body.readAllBytes());
            record(new Notice(at, WEBHOOK, json.path("event").asText(null), json.path("rule").asText(null),
                    json.path("subject").asText(null), json.path("severity").asText(null), json.path("node").asText(null)));
            exchange.sendResponseHeaders(200, -1);
        } catch (IOException | RuntimeException e) {
            log.warn("alert capture: an unreadable webhook call: {}", e.toString());
            exchange.sendResponseHeaders(400, -1);
        }
    }

    private void pollRelay() {
        try {
            MimeMessage[] received = relay.getReceivedMessages();
            Instant at = Instant.now();
            for (int i = mailsSeen; i < received.length; i++) {
                record(fromMail(received[i], at));
            }
            mailsSeen = received.length;
        } catch (RuntimeException e) {
            log.warn("alert capture: cannot read the relay's mail: {}", e.toString());
        }
    }

    private Notice fromMail(MimeMessage m, Instant at) {
        try {
            String title = m.getSubject() == null ? "" : m.getSubject();
            Object content = m.getContent();
            Matcher sentBy = SENT_BY.matcher(content instanceof String s ? s : "");
            String node = sentBy.find() ? sentBy.group(1) : null;
            Matcher t = TITLE.matcher(title);
            if (!t.matches()) {
                return new Notice(at, SMTP, "unknown: " + title, null, null, null, node);
            }
            String what = t.group(1);
            String event = what.startsWith("ALERT") ? "open" : what.startsWith("STILL") ? "remind" : what.startsWith("RESOLVED") ? "clear" : "test";
            String severity = t.group(2) != null ? t.group(2) : t.group(3) != null ? t.group(3) : t.group(4);
            String rule = t.group(5);
            String subject = t.group(6);
            if (severity == null) {
                // an all-clear's title has no severity (unless its channel missed the opening): it is that of the episode it ends
                String episode = rule + " " + subject;
                severity = notices.stream().filter(n -> episode.equals(n.episode()) && n.severity() != null)
                        .reduce((a, b) -> b).map(Notice::severity).orElse(null);
            }
            return new Notice(at, SMTP, event, rule, subject, severity, node);
        } catch (jakarta.mail.MessagingException | IOException e) {
            return new Notice(at, SMTP, "unreadable: " + e.getMessage(), null, null, null, null);
        }
    }

    private void record(Notice n) {
        notices.add(n);
        log.info("alert received channel={} event={} rule={} subject={} severity={} node={}", n.channel(), n.event(), n.rule(),
                n.subject(), n.severity(), n.node());
    }

    /** A port free on the capture's address right now (GreenMail wants a number). */
    private int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(address))) {
            return s.getLocalPort();
        }
    }

    /** Counts notices by channel and event, e.g. {@code webhook open=3, smtp clear=2}. */
    static String countByKind(List<Notice> notices) {
        java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
        for (Notice n : notices) {
            counts.merge(n.channel() + " " + n.event() + (n.severity() == null ? "" : " " + n.severity()), 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((k, v) -> parts.add(k + "=" + v));
        return parts.isEmpty() ? "no notice" : String.join(", ", parts);
    }

    @Override
    public void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
        if (webhook != null) {
            webhook.stop(0);
        }
        if (relay != null) {
            relay.stop();
        }
    }
}
