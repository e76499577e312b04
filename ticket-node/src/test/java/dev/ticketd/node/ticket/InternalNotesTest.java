package dev.ticketd.node.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ticketd.node.web.WebFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;

/** Staff leave internal notes with files; a note is stored once per key, shown as a note, audited, and never mailed. */
class InternalNotesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static WebFixture web;
    private static String token;
    private static String mailbox;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        token = web.apiToken();
        mailbox = web.data.mailbox("notes", "notes@desk.example.test");
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    @Test
    void aNoteFromTheApiIsStoredOnceAsANoteAndNeverQueuedForMail() throws Exception {
        long ticket = web.data.ticket("T-3001", "Refund", "open", mailbox, "refund@example.test");
        Map<String, String> key = Map.of("Idempotency-Key", "note-3001");
        String body = "{\"body\": \"Customer is on the premium plan; refund approved by Ana.\","
                + " \"attachments\": [{\"filename\": \"approval.txt\", \"contentType\": \"text/plain\", \"contentBase64\": \"b2s=\"}]}";

        HttpResponse<String> first = web.api("POST", "/api/v1/tickets/" + ticket + "/notes", token, body, key);
        HttpResponse<String> repeat = web.api("POST", "/api/v1/tickets/" + ticket + "/notes", token, body, key);

        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        assertThat(repeat.statusCode()).isEqualTo(200);
        JsonNode note = JSON.readTree(first.body());
        assertThat(note.get("kind").asText()).isEqualTo("note");
        assertThat(JSON.readTree(repeat.body()).get("id").asLong()).isEqualTo(note.get("id").asLong());
        assertThat(note.get("attachments")).hasSize(1);
        assertThat(web.db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.TICKET_ID.eq(ticket)
                .and(TICKET_MESSAGE.KIND.eq("note")))).isEqualTo(1);
        assertThat(web.data.outboxRowsOf(ticket)).as("a note is never mailed").isZero();
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(ticket).and(AUDIT_LOG.ACTION.eq("ticket.note"))))
                .isEqualTo(1);
        JsonNode messages = JSON.readTree(web.apiGet("/api/v1/tickets/" + ticket, token).body()).get("messages");
        assertThat(messages).anySatisfy(m -> assertThat(m.get("kind").asText()).isEqualTo("note"));
    }

    @Test
    void aNoteFromThePageIsShownAsAnInternalNote() {
        long ticket = web.data.ticket("T-3002", "Slow site", "open", mailbox, "slow@example.test");
        WebFixture.Browser browser = web.loggedInBrowser();
        String page = browser.get("/tickets/" + ticket).body();
        assertThat(page).contains("action=\"/tickets/" + ticket + "/note\"");

        HttpResponse<String> response = browser.post("/tickets/" + ticket + "/note", Map.of(
                "csrf", WebFixture.hiddenField(page, "csrf"),
                "idempotency_key", "page-note-3002",
                "body", "Checked the CDN logs: nothing unusual."));

        assertThat(response.statusCode()).isEqualTo(303);
        assertThat(response.headers().firstValue("Location")).contains("/tickets/" + ticket + "?sent=note");
        String shown = browser.get("/tickets/" + ticket + "?sent=note").body();
        assertThat(shown).contains("Note saved. Only staff see it.").contains("internal note")
                .contains("Checked the CDN logs: nothing unusual.");
        assertThat(web.data.outboxRowsOf(ticket)).isZero();
    }

    @Test
    void aNoteRefusedOnThePageComesBackInTheNoteBoxNeverInTheReplyBox() {
        long ticket = web.data.ticket("T-3003", "Too many files", "open", mailbox, "files@example.test");
        WebFixture.Browser browser = web.loggedInBrowser();
        String page = browser.get("/tickets/" + ticket).body();
        List<WebFixture.FormFile> files = new ArrayList<>();
        for (int i = 0; i <= ReplyAttachments.MAX_FILES; i++) {
            files.add(new WebFixture.FormFile("attachments", "f" + i + ".txt", "text/plain", "x".getBytes(StandardCharsets.US_ASCII)));
        }
        Map<String, String> form = new HashMap<>();
        form.put("csrf", WebFixture.hiddenField(page, "csrf"));
        form.put("idempotency_key", "page-note-3003");
        form.put("body", "Internal: the customer owes us two invoices");

        HttpResponse<String> response = browser.postMultipart("/tickets/" + ticket + "/note", form, files);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("<textarea id=\"note-body\" name=\"body\">Internal: the customer owes us two invoices</textarea>")
                .contains("<textarea id=\"body\" name=\"body\"></textarea>")
                .contains("value=\"page-note-3003\"");
        assertThat(web.data.messagesOf(ticket)).isZero();
    }

    @Test
    void anEmptyNoteOrANoteToNoTicketIsRefused() {
        HttpResponse<String> empty = web.api("POST", "/api/v1/tickets/1/notes", token, "{\"body\": \"  \"}", Map.of("Idempotency-Key", "n-empty"));
        HttpResponse<String> noKey = web.api("POST", "/api/v1/tickets/1/notes", token, "{\"body\": \"x\"}", Map.of());
        HttpResponse<String> noTicket = web.api("POST", "/api/v1/tickets/" + Long.MAX_VALUE + "/notes", token, "{\"body\": \"x\"}",
                Map.of("Idempotency-Key", "n-missing"));

        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(noKey.statusCode()).isEqualTo(400);
        assertThat(noKey.body()).contains("Idempotency-Key");
        assertThat(noTicket.statusCode()).isEqualTo(404);
    }
}
