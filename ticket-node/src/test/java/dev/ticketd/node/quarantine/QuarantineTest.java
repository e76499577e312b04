package dev.ticketd.node.quarantine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ticketd.node.auth.Role;
import dev.ticketd.mail.ContentKey;
import dev.ticketd.node.web.WebFixture;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.QUARANTINE_ACTION;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;

/** The quarantine page, API and actions against a real PostgreSQL and a started web server. */
class QuarantineTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicLong uids = new AtomicLong(1000);
    static WebFixture web;
    static String mailbox;
    static String otherMailbox;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        mailbox = web.data.mailbox("quarantine-test", "help@example.test");
        otherMailbox = web.data.mailbox("quarantine-other", "sales@example.test");
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    @Test
    void failedMailIsListedNewestFirstWithItsReasonOnThePageAndInTheApi() throws Exception {
        long older = failed(unreadable("Older broken mail"), "malformed MIME: older", OffsetDateTime.now().minusHours(2));
        long newer = failed(unreadable("Newer broken mail"), "malformed MIME: newer", OffsetDateTime.now().minusHours(1));
        WebFixture.Browser browser = web.loggedInBrowser(Role.ADMIN);

        HttpResponse<String> page = browser.get("/quarantine");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("Newer broken mail", "malformed MIME: newer", "sender@example.test", "quarantine-test");
        assertThat(page.body().indexOf("Newer broken mail")).isLessThan(page.body().indexOf("Older broken mail"));

        String token = web.apiToken(Role.ADMIN);
        JsonNode first = JSON.readTree(web.apiGet("/api/v1/quarantine?limit=1", token).body());
        assertThat(first.get("entries")).hasSize(1);
        long firstId = first.get("entries").get(0).get("id").asLong();
        assertThat(first.get("nextCursor").isNull()).isFalse();
        JsonNode rest = JSON.readTree(web.apiGet("/api/v1/quarantine?limit=500&cursor=" + first.get("nextCursor").asText(), token).body());
        assertThat(firstId).isNotEqualTo(older);
        assertThat(rest.findValues("id").stream().map(JsonNode::asLong)).contains(older).doesNotContain(firstId);
        assertThat(web.apiGet("/api/v1/quarantine?limit=501", token).statusCode()).isEqualTo(400);
        assertThat(newer).isPositive();
    }

    @Test
    void thePageShowsRawUtf8HeadersDecodedAndARawExceptionAsTechnicalDetail() {
        byte[] raw = ("From: Jürgen Müller <jm@example.test>\r\nSubject: Rechnung für März – 東京\r\n"
                + "Content-Type: multipart/mixed\r\n\r\n--no boundary\r\n").getBytes(StandardCharsets.UTF_8);
        failed(raw, "unreadable MIME structure: jakarta.mail.MessagingException: Missing start boundary", OffsetDateTime.now());

        String page = web.loggedInBrowser(Role.ADMIN).get("/quarantine").body();

        assertThat(page).contains("Rechnung für März – 東京", "Jürgen Müller")
                .doesNotContain("fÃ¼r")
                .contains("unreadable MIME structure")
                .containsPattern("class=\"technical\">.*<code>jakarta.mail.MessagingException: Missing start boundary</code>");
    }

    @Test
    void retryingAMailThatParsesNowCreatesExactlyOneTicketEvenWhenRetriedTwice() throws Exception {
        byte[] raw = parseable("Now readable " + UUID.randomUUID());
        long id = failed(raw, "unknown charset x-broken", OffsetDateTime.now());
        String token = web.apiToken(Role.ADMIN);

        HttpResponse<String> first = web.api("POST", "/api/v1/quarantine/" + id + "/retry", token, null, Map.of());
        HttpResponse<String> second = web.api("POST", "/api/v1/quarantine/" + id + "/retry", token, null, Map.of());

        assertThat(first.statusCode()).isEqualTo(200);
        JsonNode a = JSON.readTree(first.body());
        JsonNode b = JSON.readTree(second.body());
        assertThat(a.get("resolved").asBoolean()).isTrue();
        assertThat(a.get("repeated").asBoolean()).isFalse();
        assertThat(b.get("repeated").asBoolean()).isTrue();
        assertThat(b.get("ticketNumber").asText()).isEqualTo(a.get("ticketNumber").asText());
        assertThat(web.db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(id))).isEqualTo(1);
        assertThat(web.db.dsl().select(INBOUND_MESSAGE.PARSE_STATUS).from(INBOUND_MESSAGE).where(INBOUND_MESSAGE.ID.eq(id))
                .fetchOne(INBOUND_MESSAGE.PARSE_STATUS)).isEqualTo("parsed");
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq("quarantine.retry")
                .and(AUDIT_LOG.TICKET_ID.eq(a.get("ticketId").asLong())))).isEqualTo(1);
        assertThat(listedIds(token)).doesNotContain(id);
    }

    @Test
    void retryingTheSecondCopyOfAMailSentToTwoMailboxesRecordsItAsACopyNotASecondTicketMessage() throws Exception {
        long[] copies = oneMailInBothMailboxes("Sent to both");
        long first = copies[0];
        long second = copies[1];
        String token = web.apiToken(Role.ADMIN);

        JsonNode a = JSON.readTree(web.api("POST", "/api/v1/quarantine/" + first + "/retry", token, null, Map.of()).body());
        JsonNode b = JSON.readTree(web.api("POST", "/api/v1/quarantine/" + second + "/retry", token, null, Map.of()).body());

        assertThat(a.get("resolved").asBoolean()).isTrue();
        assertThat(b.get("resolved").asBoolean()).isTrue();
        assertThat(b.get("outcome").asText()).contains("a copy of mail " + first);
        assertThat(b.get("ticketNumber").asText()).isEqualTo(a.get("ticketNumber").asText());
        assertThat(web.db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.INBOUND_MESSAGE_ID.in(first, second))).isEqualTo(1);
        assertThat(web.db.dsl().select(INBOUND_MESSAGE.COPY_OF_INBOUND_MESSAGE_ID).from(INBOUND_MESSAGE)
                .where(INBOUND_MESSAGE.ID.eq(second)).fetchOne(INBOUND_MESSAGE.COPY_OF_INBOUND_MESSAGE_ID)).isEqualTo(first);
        assertThat(listedIds(token)).doesNotContain(first, second);
    }

    @Test
    void importingACopyOfAMailAlreadyOnATicketIsRefusedAndTheMailStaysInQuarantine() throws Exception {
        long[] copies = oneMailInBothMailboxes("Read elsewhere");
        long read = copies[0];
        long copy = copies[1];
        String token = web.apiToken(Role.ADMIN);
        assertThat(web.api("POST", "/api/v1/quarantine/" + read + "/retry", token, null, Map.of()).statusCode()).isEqualTo(200);

        HttpResponse<String> imported = web.api("POST", "/api/v1/quarantine/" + copy + "/import", token, null, Map.of());

        assertThat(imported.statusCode()).isEqualTo(409);
        assertThat(imported.body()).contains("a copy of mail " + read);
        assertThat(listedIds(token)).contains(copy);
    }

    @Test
    void retryingAMailThatStillDoesNotParseKeepsItInQuarantineAndIsAudited() throws Exception {
        long id = failed("no header separator at all".getBytes(StandardCharsets.US_ASCII), "no headers", OffsetDateTime.now());
        String token = web.apiToken(Role.ADMIN);

        JsonNode r = JSON.readTree(web.api("POST", "/api/v1/quarantine/" + id + "/retry", token, null, Map.of()).body());

        assertThat(r.get("resolved").asBoolean()).isFalse();
        assertThat(listedIds(token)).contains(id);
        assertThat(web.db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq("quarantine.retry")
                .and(DSL.field("{0}->>'inboundMessageId'", String.class, AUDIT_LOG.DETAIL).eq(Long.toString(id))))).isEqualTo(1);
    }

    @Test
    void retryingAMailQuarantinedForItsSizeDoesNotTicketItsHeadersAlone() throws Exception {
        long id = failed(parseable("huge attachment").clone(), "too large: 61000 bytes, the limit is 20000; only its headers are stored",
                OffsetDateTime.now());
        String token = web.apiToken(Role.ADMIN);

        JsonNode r = JSON.readTree(web.api("POST", "/api/v1/quarantine/" + id + "/retry", token, null, Map.of()).body());

        assertThat(r.get("resolved").asBoolean()).isFalse();
        assertThat(r.toString()).contains("over the size limit");
        assertThat(listedIds(token)).contains(id);
    }

    @Test
    void importCreatesATicketWhoseMessageCarriesTheRawMail() throws Exception {
        String subject = "Strange mail " + UUID.randomUUID();
        byte[] raw = unreadable(subject);
        long id = failed(raw, "nested too deep", OffsetDateTime.now());
        String token = web.apiToken(Role.ADMIN);

        JsonNode r = JSON.readTree(web.api("POST", "/api/v1/quarantine/" + id + "/import", token, null, Map.of()).body());
        JsonNode again = JSON.readTree(web.api("POST", "/api/v1/quarantine/" + id + "/import", token, null, Map.of()).body());

        long ticketId = r.get("ticketId").asLong();
        assertThat(again.get("ticketId").asLong()).isEqualTo(ticketId);
        assertThat(web.db.dsl().select(TICKET.SUBJECT).from(TICKET).where(TICKET.ID.eq(ticketId)).fetchOne(TICKET.SUBJECT))
                .as("the mail's own subject, not the reason it was quarantined").isEqualTo("(unreadable mail) " + subject);
        assertThat(web.db.dsl().select(CONTACT.EMAIL).from(TICKET).join(CONTACT).on(CONTACT.ID.eq(TICKET.REQUESTER_ID))
                .where(TICKET.ID.eq(ticketId)).fetchOne(CONTACT.EMAIL)).isEqualTo("sender@example.test");
        JsonNode ticket = JSON.readTree(web.apiGet("/api/v1/tickets/" + ticketId, token).body());
        assertThat(ticket.get("messages").get(0).get("inboundMessageId").asLong()).isEqualTo(id);
        HttpResponse<byte[]> download = web.getBytes("/api/v1/inbound/" + id + "/raw", Map.of("Authorization", "Bearer " + token));
        assertThat(download.body()).isEqualTo(raw);
        assertThat(web.db.dsl().fetchCount(TICKET, TICKET.ID.eq(ticketId))).isEqualTo(1);
    }

    @Test
    void importOfMailWithoutAUsableSenderUsesThePlaceholderContact() throws Exception {
        long id = failed("From: nobody at all\r\nSubject: ?\r\n\r\nx".getBytes(StandardCharsets.US_ASCII), "broken", OffsetDateTime.now());

        JsonNode r = JSON.readTree(web.api("POST", "/api/v1/quarantine/" + id + "/import", web.apiToken(Role.ADMIN), null, Map.of()).body());

        assertThat(web.db.dsl().select(CONTACT.EMAIL).from(TICKET).join(CONTACT).on(CONTACT.ID.eq(TICKET.REQUESTER_ID))
                .where(TICKET.ID.eq(r.get("ticketId").asLong())).fetchOne(CONTACT.EMAIL)).isEqualTo(QuarantineService.UNKNOWN_SENDER);
    }

    @Test
    void dismissHidesTheMailFromTheListButKeepsTheRowAndAnotherActionIsAConflict() throws Exception {
        byte[] raw = parseable("Dismiss me " + UUID.randomUUID());
        long id = failed(raw, "whatever", OffsetDateTime.now());
        WebFixture.Browser browser = web.loggedInBrowser(Role.ADMIN);

        HttpResponse<String> dismissed = browser.post("/quarantine/" + id + "/dismiss", Map.of("csrf", browser.csrf()));

        assertThat(dismissed.statusCode()).isEqualTo(303);
        assertThat(browser.get(dismissed.headers().firstValue("Location").orElseThrow()).body()).contains("dismissed");
        String token = web.apiToken(Role.ADMIN);
        assertThat(listedIds(token)).doesNotContain(id);
        assertThat(web.db.dsl().select(INBOUND_MESSAGE.RAW).from(INBOUND_MESSAGE).where(INBOUND_MESSAGE.ID.eq(id))
                .fetchOne(INBOUND_MESSAGE.RAW)).isEqualTo(raw);
        assertThat(web.db.dsl().fetchCount(QUARANTINE_ACTION, QUARANTINE_ACTION.INBOUND_MESSAGE_ID.eq(id))).isEqualTo(1);
        assertThat(web.api("POST", "/api/v1/quarantine/" + id + "/dismiss", token, null, Map.of()).statusCode()).isEqualTo(200);
        HttpResponse<String> retry = web.api("POST", "/api/v1/quarantine/" + id + "/retry", token, null, Map.of());
        assertThat(retry.statusCode()).isEqualTo(409);
        assertThat(retry.body()).contains("already left the quarantine");
        assertThat(web.db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(id))).isZero();
    }

    @Test
    void unknownIdsAreNotFoundAndParsedMailIsNotInQuarantine() {
        String token = web.apiToken(Role.ADMIN);
        assertThat(web.api("POST", "/api/v1/quarantine/99999999/dismiss", token, null, Map.of()).statusCode()).isEqualTo(404);
        assertThat(web.api("POST", "/api/v1/quarantine/1/explode", token, null, Map.of()).statusCode()).isEqualTo(400);
        long ticket = web.data.ticket("T-FIXTURE-" + uids.incrementAndGet(), // never a number the sequence gives
                "fine", "open", mailbox, "ok@example.test");
        long parsed = web.data.inbound(ticket, mailbox, "<ok-" + UUID.randomUUID() + "@x>", "ok@example.test", "hi", parseable("fine"));
        assertThat(web.api("POST", "/api/v1/quarantine/" + parsed + "/dismiss", token, null, Map.of()).statusCode()).isEqualTo(409);
    }

    @Test
    void actionsNeedALoginOrATokenAndTheCsrfToken() {
        long id = failed(parseable("Guarded " + UUID.randomUUID()), "x", OffsetDateTime.now());

        assertThat(web.browser().get("/quarantine").statusCode()).isEqualTo(303);
        assertThat(web.api("POST", "/api/v1/quarantine/" + id + "/dismiss", null, null, Map.of()).statusCode()).isEqualTo(401);
        assertThat(web.apiGet("/api/v1/quarantine", "not-a-token").statusCode()).isEqualTo(401);
        WebFixture.Browser browser = web.loggedInBrowser(Role.ADMIN);
        assertThat(browser.post("/quarantine/" + id + "/import", Map.of()).statusCode()).isEqualTo(403);
        assertThat(browser.post("/quarantine/" + id + "/import", Map.of("csrf", web.loggedInBrowser(Role.ADMIN).csrf())).statusCode()).isEqualTo(403);
        assertThat(web.db.dsl().fetchCount(QUARANTINE_ACTION, QUARANTINE_ACTION.INBOUND_MESSAGE_ID.eq(id))).isZero();
        assertThat(web.db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(id))).isZero();
    }

    @Test
    void theRetryButtonOnThePageTicketsTheMail() {
        long id = failed(parseable("Button " + UUID.randomUUID()), "x", OffsetDateTime.now());
        WebFixture.Browser browser = web.loggedInBrowser(Role.ADMIN);

        HttpResponse<String> response = browser.post("/quarantine/" + id + "/retry", Map.of("csrf", browser.csrf()));

        assertThat(response.statusCode()).isEqualTo(303);
        assertThat(browser.get(response.headers().firstValue("Location").orElseThrow()).body()).contains("opened ticket T-");
        assertThat(web.db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(id))).isEqualTo(1);
    }

    private java.util.List<Long> listedIds(String token) throws Exception {
        JsonNode page = JSON.readTree(web.apiGet("/api/v1/quarantine?limit=500", token).body());
        return page.get("entries").findValues("id").stream().map(JsonNode::asLong).toList();
    }

    /** One mail that parses now, delivered to both mailboxes and stored as failed in each: its two inbound ids. */
    private static long[] oneMailInBothMailboxes(String subject) {
        byte[] raw = parseable(subject + " " + UUID.randomUUID());
        return new long[]{failed(raw, "unknown charset x-broken", OffsetDateTime.now(), mailbox),
                failed(raw, "unknown charset x-broken", OffsetDateTime.now(), otherMailbox)};
    }

    /** Stores a mail as intake does when it cannot read it. */
    private static long failed(byte[] raw, String reason, OffsetDateTime receivedAt) {
        return failed(raw, reason, receivedAt, mailbox);
    }

    private static long failed(byte[] raw, String reason, OffsetDateTime receivedAt, String mailboxId) {
        return web.db.dsl().insertInto(INBOUND_MESSAGE)
                .set(INBOUND_MESSAGE.MAILBOX_ID, mailboxId)
                .set(INBOUND_MESSAGE.UIDVALIDITY, 1L)
                .set(INBOUND_MESSAGE.UID, uids.incrementAndGet())
                .set(INBOUND_MESSAGE.CONTENT_KEY, ContentKey.of(raw))
                .set(INBOUND_MESSAGE.RAW_SHA256, ContentKey.rawSha256(raw))
                .set(INBOUND_MESSAGE.RAW, raw)
                .set(INBOUND_MESSAGE.SIZE_BYTES, raw.length)
                .set(INBOUND_MESSAGE.RECEIVED_AT, receivedAt)
                .set(INBOUND_MESSAGE.PARSE_STATUS, "failed")
                .set(INBOUND_MESSAGE.PARSE_ERROR, reason)
                .set(INBOUND_MESSAGE.EPOCH, 1L)
                .returning(INBOUND_MESSAGE.ID).fetchOne(INBOUND_MESSAGE.ID);
    }

    /** A mail that parses: what a failed row looks like once the parser learnt to read it. */
    private static byte[] parseable(String subject) {
        return ("From: Sender <sender@example.test>\r\nTo: help@example.test\r\nSubject: " + subject + "\r\n"
                + "Message-ID: <" + UUID.randomUUID() + "@example.test>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n\r\nHello, it is broken.\r\n").getBytes(StandardCharsets.UTF_8);
    }

    /** Headers a person can read, a body nobody can (the test only needs the row to be marked failed). */
    private static byte[] unreadable(String subject) {
        return ("From: Sender <sender@example.test>\r\nSubject: " + subject + "\r\nMessage-ID: <" + UUID.randomUUID()
                + "@example.test>\r\nContent-Type: multipart/mixed\r\n\r\n--no boundary\r\n").getBytes(StandardCharsets.UTF_8);
    }
}
