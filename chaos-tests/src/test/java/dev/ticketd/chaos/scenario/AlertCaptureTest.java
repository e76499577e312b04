package dev.ticketd.chaos.scenario;

import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** The capture records what a node's webhook and mail channels send, with the rule, subject, event and severity. */
class AlertCaptureTest {

    @Test
    void recordsAWebhookNoticeAndAMailOpeningAndItsAllClear() throws Exception {
        try (AlertCapture capture = new AlertCapture("127.0.0.1").start()) {
            Instant t0 = Instant.now();
            HttpResponse<Void> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(capture.webhookUrl()))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"event\":\"open\",\"reminder\":0,\"rule\":\"mailbox-stalled\","
                            + "\"subject\":\"support\",\"severity\":\"stall\",\"node\":\"h2\"}")).build(), HttpResponse.BodyHandlers.discarding());
            assertThat(answer.statusCode()).isEqualTo(200);
            mail(capture, "[ticketd ticketd ALERT stall] mailbox-stalled support", "No pass.\n\nCluster ticketd, sent by node h1. Every node's page.");
            mail(capture, "[ticketd ticketd RESOLVED] mailbox-stalled support", "Over now.\n\nCluster ticketd, sent by node outside watcher. Every…");
            mail(capture, "[ticketd ticketd RESOLVED warning (its alert could not be sent here)] outbox-stuck support",
                    "Over now.\n\nCluster ticketd, sent by node h3. Every…");

            assertThat(capture.await(t0, n -> n.channel().equals("smtp") && "outbox-stuck".equals(n.rule()), Duration.ofSeconds(10)))
                    .isPresent();
            assertThat(capture.notices()).extracting(AlertCapture.Notice::channel, AlertCapture.Notice::event, AlertCapture.Notice::rule,
                    AlertCapture.Notice::subject, AlertCapture.Notice::severity, AlertCapture.Notice::node).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("webhook", "open", "mailbox-stalled", "support", "stall", "h2"),
                    org.assertj.core.groups.Tuple.tuple("smtp", "open", "mailbox-stalled", "support", "stall", "h1"),
                    org.assertj.core.groups.Tuple.tuple("smtp", "clear", "mailbox-stalled", "support", "stall", "outside watcher"),
                    org.assertj.core.groups.Tuple.tuple("smtp", "clear", "outbox-stuck", "support", "warning", "h3"));
            assertThat(AlertCapture.countByKind(capture.notices()))
                    .isEqualTo("smtp clear stall=1, smtp clear warning=1, smtp open stall=1, webhook open stall=1");
        }
    }

    private static void mail(AlertCapture capture, String subject, String text) throws Exception {
        Properties p = new Properties();
        p.put("mail.smtp.host", capture.address());
        p.put("mail.smtp.port", Integer.toString(capture.relayPort()));
        MimeMessage m = new MimeMessage(Session.getInstance(p));
        m.setFrom(new InternetAddress("ticketd@ops.test"));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress(AlertCapture.OPS_ADDRESS));
        m.setSubject(subject);
        m.setText(text);
        Transport.send(m);
    }
}
