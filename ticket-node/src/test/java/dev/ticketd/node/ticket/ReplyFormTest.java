package dev.ticketd.node.ticket;

import dev.ticketd.node.web.WebFixture;
import org.jooq.Record;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;

class ReplyFormTest {

    static WebFixture web;
    static WebFixture.Browser browser;
    static String mailbox;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        browser = web.loggedInBrowser();
        mailbox = web.data.mailbox("support", "help@desk.example.test");
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    private static Map<String, String> replyForm(String page, String body) {
        return Map.of("body", body, "csrf", WebFixture.hiddenField(page, "csrf"),
                "idempotency_key", WebFixture.hiddenField(page, "idempotency_key"));
    }

    @Test
    void aReplySubmittedTwiceWithTheSameKeyExistsOnceAndIsQueuedOnce() {
        long ticket = web.data.ticket("T-1042", "Cannot print", "open", mailbox, "cust@example.test");
        web.data.inbound(ticket, mailbox, "<first@cust.example>", "cust@example.test", "help",
                "Subject: Cannot print\r\n\r\nhelp".getBytes(StandardCharsets.US_ASCII));
        Map<String, String> form = replyForm(browser.get("/tickets/" + ticket).body(), "Have you tried turning it off?");

        HttpResponse<String> first = browser.post("/tickets/" + ticket + "/reply", form);
        HttpResponse<String> second = browser.post("/tickets/" + ticket + "/reply", form);

        assertThat(first.statusCode()).isEqualTo(303);
        assertThat(first.headers().firstValue("Location")).hasValue("/tickets/" + ticket + "?sent=mail");
        assertThat(second.statusCode()).isEqualTo(303);
        assertThat(web.data.outboundMessagesOf(ticket)).isEqualTo(1);
        assertThat(web.data.outboxRowsOf(ticket)).isEqualTo(1);
        Record outbox = web.db.dsl().selectFrom(OUTBOX).where(OUTBOX.TICKET_ID.eq(ticket)).fetchOne();
        assertThat(outbox.get(OUTBOX.SUBJECT)).isEqualTo("Re: Cannot print [T-1042]");
        assertThat(outbox.get(OUTBOX.TO_ADDRESS)).isEqualTo("cust@example.test");
        assertThat(outbox.get(OUTBOX.IN_REPLY_TO)).isEqualTo("<first@cust.example>");
        assertThat(outbox.get(OUTBOX.MESSAGE_ID)).matches("<reply\\.[0-9a-f-]{36}@desk\\.example\\.test>");
        assertThat(outbox.get(OUTBOX.STATUS)).isEqualTo("pending");
        assertThat(outbox.get(OUTBOX.MAILBOX_ID)).isEqualTo(mailbox);
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(ticket).and(AUDIT_LOG.ACTION.eq("ticket.reply"))))
                .isEqualTo(1);
        assertThat(browser.get("/tickets/" + ticket).body()).contains("Have you tried turning it off?");
    }

    private static WebFixture.FormFile upload(String filename, String type, byte[] content) {
        return new WebFixture.FormFile("attachments", filename, type, content);
    }

    private static List<Record> attachmentsOf(long ticket) {
        return new ArrayList<>(web.db.dsl().select(ATTACHMENT.ID, ATTACHMENT.FILENAME, ATTACHMENT.CONTENT_TYPE, ATTACHMENT.CONTENT)
                .from(ATTACHMENT).join(TICKET_MESSAGE).on(TICKET_MESSAGE.ID.eq(ATTACHMENT.TICKET_MESSAGE_ID))
                .where(TICKET_MESSAGE.TICKET_ID.eq(ticket)).orderBy(ATTACHMENT.ID).fetch());
    }

    @Test
    void filesUploadedWithTheFormAreStoredWithTheReplyAndListedOnTheTicket() {
        long ticket = web.data.ticket("T-1046", "Manual", "open", mailbox, "files@example.test");
        String page = browser.get("/tickets/" + ticket).body();
        assertThat(page).contains("enctype=\"multipart/form-data\"").contains("<input type=\"file\" id=\"attachments\" name=\"attachments\" multiple>");
        byte[] pdf = {'%', 'P', 'D', 'F', 0, (byte) 0xff, '\r', '\n'};
        byte[] notes = "Grüße\n".getBytes(StandardCharsets.UTF_8);

        HttpResponse<String> response = browser.postMultipart("/tickets/" + ticket + "/reply", replyForm(page, "Grüße, the manual is attached."),
                List.of(upload("manual.pdf", "application/pdf", pdf), upload("Grüße.txt", "text/plain", notes)));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(303);
        assertThat(response.headers().firstValue("Location")).hasValue("/tickets/" + ticket + "?sent=mail");
        List<Record> stored = attachmentsOf(ticket);
        assertThat(stored).extracting(r -> r.get(ATTACHMENT.FILENAME)).containsExactly("manual.pdf", "Grüße.txt");
        assertThat(stored).extracting(r -> r.get(ATTACHMENT.CONTENT_TYPE)).containsExactly("application/pdf", "text/plain");
        assertThat(stored.get(0).get(ATTACHMENT.CONTENT)).isEqualTo(pdf);
        assertThat(stored.get(1).get(ATTACHMENT.CONTENT)).isEqualTo(notes);
        String after = browser.get("/tickets/" + ticket).body();
        assertThat(after).contains("Grüße, the manual is attached.")
                .contains("<a href=\"/attachments/" + stored.get(0).get(ATTACHMENT.ID) + "\" download>manual.pdf</a>")
                .contains("<a href=\"/attachments/" + stored.get(1).get(ATTACHMENT.ID) + "\" download>Grüße.txt</a>");
        assertThat(web.data.outboxRowsOf(ticket)).isEqualTo(1);
    }

    @Test
    void aFormSentAgainWithItsFilesStoresThemOnce() {
        long ticket = web.data.ticket("T-1047", "Twice", "open", mailbox, "twice@example.test");
        Map<String, String> form = replyForm(browser.get("/tickets/" + ticket).body(), "Attached.");
        List<WebFixture.FormFile> files = List.of(upload("a.txt", "text/plain", "a".getBytes(StandardCharsets.US_ASCII)));

        assertThat(browser.postMultipart("/tickets/" + ticket + "/reply", form, files).statusCode()).isEqualTo(303);
        assertThat(browser.postMultipart("/tickets/" + ticket + "/reply", form, files).statusCode()).isEqualTo(303);

        assertThat(web.data.outboundMessagesOf(ticket)).isEqualTo(1);
        assertThat(attachmentsOf(ticket)).hasSize(1);
    }

    @Test
    void aMultipartFormWithoutItsCsrfTokenOrWithAnotherSessionsIsRefusedAndStoresNothing() {
        long ticket = web.data.ticket("T-1048", "Forged", "open", mailbox, "forged@example.test");
        Map<String, String> form = new HashMap<>(replyForm(browser.get("/tickets/" + ticket).body(), "Forged"));
        List<WebFixture.FormFile> files = List.of(upload("x.txt", "text/plain", "x".getBytes(StandardCharsets.US_ASCII)));
        form.remove("csrf");

        HttpResponse<String> without = browser.postMultipart("/tickets/" + ticket + "/reply", form, files);
        form.put("csrf", web.loggedInBrowser().csrf());
        HttpResponse<String> another = browser.postMultipart("/tickets/" + ticket + "/reply", form, files);

        assertThat(without.statusCode()).isEqualTo(403);
        assertThat(without.body()).contains("security token");
        assertThat(another.statusCode()).isEqualTo(403);
        assertThat(web.data.messagesOf(ticket)).isZero();
        assertThat(attachmentsOf(ticket)).isEmpty();
    }

    @Test
    void noFileChosenIsNoFile() {
        long ticket = web.data.ticket("T-1049", "No file", "open", mailbox, "nofile@example.test");
        Map<String, String> form = replyForm(browser.get("/tickets/" + ticket).body(), "Just text.");

        // what a browser sends for a file input left empty
        HttpResponse<String> response = browser.postMultipart("/tickets/" + ticket + "/reply", form,
                List.of(upload("", "application/octet-stream", new byte[0])));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(303);
        assertThat(web.data.outboundMessagesOf(ticket)).isEqualTo(1);
        assertThat(attachmentsOf(ticket)).isEmpty();
    }

    @Test
    void aRefusedFileBringsTheFormBackWithTheReasonTheTextTheKeyAndAskToChooseTheFilesAgain() {
        long ticket = web.data.ticket("T-1050", "Refused", "open", mailbox, "refused@example.test");
        Map<String, String> form = replyForm(browser.get("/tickets/" + ticket).body(), "Typed with care");
        List<WebFixture.FormFile> files = new ArrayList<>();
        files.add(upload("fine.pdf", "application/pdf", new byte[]{1}));
        files.add(upload("empty.txt", "text/plain", new byte[0]));

        HttpResponse<String> response = browser.postMultipart("/tickets/" + ticket + "/reply", form, files);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("the file \"empty.txt\" is empty")
                .contains("<textarea id=\"body\" name=\"body\">Typed with care</textarea>")
                .contains("choose them again before sending: fine.pdf, empty.txt");
        assertThat(WebFixture.hiddenField(response.body(), "idempotency_key")).isEqualTo(form.get("idempotency_key"));
        assertThat(web.data.messagesOf(ticket)).isZero();
        assertThat(attachmentsOf(ticket)).isEmpty();
    }

    @Test
    void anUploadAboveTheFormsSizeCapIsRefusedWholeWithAClearMessage() {
        long ticket = web.data.ticket("T-1051", "Huge", "open", mailbox, "huge@example.test");
        Map<String, String> form = replyForm(browser.get("/tickets/" + ticket).body(), "Huge");
        byte[] nineMb = new byte[9 * 1024 * 1024];

        HttpResponse<String> response = browser.postMultipart("/tickets/" + ticket + "/reply", form,
                List.of(upload("1.bin", "application/octet-stream", nineMb), upload("2.bin", "application/octet-stream", nineMb),
                        upload("3.bin", "application/octet-stream", nineMb)));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(413);
        assertThat(response.body()).contains("larger than 25 MB together").contains("nothing was saved");
        assertThat(web.data.messagesOf(ticket)).isZero();
    }

    @Test
    void aFormWithoutFilesStillTakesAtMostOneMegabyte() {
        long ticket = web.data.ticket("T-1053", "Long", "open", mailbox, "long@example.test");

        HttpResponse<String> response = browser.post("/tickets/" + ticket + "/reply",
                replyForm(browser.get("/tickets/" + ticket).body(), "x".repeat(1_100_000)));

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(web.data.messagesOf(ticket)).isZero();
    }

    @Test
    void aMalformedMultipartFormIsABadRequestNotAServerError() {
        long ticket = web.data.ticket("T-1052", "Broken", "open", mailbox, "broken@example.test");
        String csrf = WebFixture.hiddenField(browser.get("/tickets/" + ticket).body(), "csrf");
        byte[] cutShort = ("--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + csrf
                + "\r\n--b\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"a.txt\"\r\n\r\nno end")
                .getBytes(StandardCharsets.UTF_8);

        HttpResponse<String> response = browser.postRaw("/tickets/" + ticket + "/reply", "multipart/form-data; boundary=b", cutShort);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("the form could not be read");
        assertThat(web.data.messagesOf(ticket)).isZero();
    }

    @Test
    void aSubjectThatAlreadyCarriesTheTicketNumberIsNotTaggedTwice() {
        assertThat(ReplyService.replySubject("Re: Cannot print [T-9]", "T-9")).isEqualTo("Re: Cannot print [T-9]");
        assertThat(ReplyService.replySubject("Cannot print", "T-9")).isEqualTo("Re: Cannot print [T-9]");
    }

    @Test
    void anEmptyReplyReRendersWithTheErrorTheTypedTextAndTheSameKey() {
        long ticket = web.data.ticket("T-1043", "Empty", "open", mailbox, "e@example.test");
        String page = browser.get("/tickets/" + ticket).body();
        Map<String, String> form = replyForm(page, "   \n  ");

        HttpResponse<String> response = browser.post("/tickets/" + ticket + "/reply", form);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("The reply is empty");
        assertThat(response.body()).contains("<textarea id=\"body\" name=\"body\">   \n  </textarea>");
        assertThat(WebFixture.hiddenField(response.body(), "idempotency_key")).isEqualTo(form.get("idempotency_key"));
        assertThat(web.data.messagesOf(ticket)).isZero();
    }

    @Test
    void aReplyToATicketWithoutAMailboxIsStoredButNotQueuedAndThePageSaysSo() {
        long ticket = web.data.ticket("T-1044", "No mailbox", "open", null, "n@example.test");
        String page = browser.get("/tickets/" + ticket).body();
        assertThat(page).contains("not emailed");

        HttpResponse<String> response = browser.post("/tickets/" + ticket + "/reply", replyForm(page, "Stored only"));

        assertThat(response.headers().firstValue("Location")).hasValue("/tickets/" + ticket + "?sent=stored");
        assertThat(browser.get(response.headers().firstValue("Location").orElseThrow()).body())
                .contains("no mailbox, so it was not emailed").contains("Stored only");
        assertThat(web.data.outboundMessagesOf(ticket)).isEqualTo(1);
        assertThat(web.data.outboxRowsOf(ticket)).isZero();
    }

    @Test
    void aDatabaseErrorKeepsTheTypedTextAndCreatesNothing() {
        long ticket = web.data.ticket("T-1045", "Failing", "open", mailbox, "f@example.test");
        web.db.dsl().execute("""
                create function fail_outbox() returns trigger language plpgsql as $$
                begin raise exception 'simulated outage'; end $$""");
        web.db.dsl().execute("create trigger fail_outbox before insert on outbox for each row execute function fail_outbox()");
        try {
            Map<String, String> form = replyForm(browser.get("/tickets/" + ticket).body(), "Typed with care");

            HttpResponse<String> response = browser.post("/tickets/" + ticket + "/reply", form);

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.body()).contains("could not be saved").contains("Typed with care")
                    .doesNotContain("simulated outage").doesNotContain("at dev.ticketd");
            assertThat(WebFixture.hiddenField(response.body(), "idempotency_key")).isEqualTo(form.get("idempotency_key"));
            assertThat(web.data.messagesOf(ticket)).isZero();
        } finally {
            web.db.dsl().execute("drop trigger fail_outbox on outbox");
            web.db.dsl().execute("drop function fail_outbox()");
        }
    }
}
