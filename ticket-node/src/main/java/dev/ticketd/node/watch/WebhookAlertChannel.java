package dev.ticketd.node.watch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Alerts by an HTTP POST of JSON (or, for ntfy, plain text) to {@code alert.webhook.url}. Any 2xx
 * answer is delivery; anything else, or no answer within the timeout, is a failure named in the log
 * and retried later.
 */
final class WebhookAlertChannel implements AlertChannel {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final WatchSettings.AlertWebhook settings;
    private final HttpClient http;

    WebhookAlertChannel(WatchSettings.AlertWebhook settings, HttpClient http) {
        this.settings = settings;
        this.http = http;
    }

    @Override
    public String name() {
        return "webhook";
    }

    @Override
    public void send(Alert alert) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(settings.url()).timeout(TIMEOUT);
        if (!settings.authorization().isEmpty()) {
            request.header("Authorization", settings.authorization());
        }
        if (settings.format() == WatchSettings.WebhookFormat.NTFY) {
            request.header("Content-Type", "text/plain; charset=utf-8")
                    .header("Title", ascii(alert.title()))
                    .header("Priority", alert.event() == Alert.Event.OPEN && alert.severity() == Finding.Severity.STALL ? "urgent" : "default")
                    .header("Tags", alert.event() == Alert.Event.CLEAR ? "white_check_mark" : "rotating_light")
                    .POST(HttpRequest.BodyPublishers.ofString(alert.text(), StandardCharsets.UTF_8));
        } else {
            request.header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body(alert), StandardCharsets.UTF_8));
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            String answer = response.body() == null ? "" : response.body();
            throw new IOException("the webhook answered HTTP " + response.statusCode() + ": "
                    + (answer.length() > 200 ? answer.substring(0, 200) + "…" : answer));
        }
    }

    String body(Alert alert) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        switch (settings.format()) {
            case SLACK -> body.put("text", alert.title() + "\n" + alert.text());
            case MATRIX -> body.put("msgtype", "m.text").put("body", alert.title() + "\n" + alert.text());
            default -> body.put("event", alert.event().value())
                    .put("reminder", alert.reminder())
                    .put("unannounced", alert.unannounced())
                    .put("rule", alert.rule())
                    .put("subject", alert.subject())
                    .put("severity", alert.severity().value())
                    .put("summary", alert.summary())
                    .put("openedAt", alert.openedAt() == null ? null : alert.openedAt().toString())
                    .put("cluster", alert.cluster())
                    .put("node", alert.node())
                    .put("title", alert.title())
                    .put("text", alert.text());
        }
        return JSON.writeValueAsString(body);
    }

    /** HTTP header values are ASCII: anything else becomes '?'. */
    private static String ascii(String s) {
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
