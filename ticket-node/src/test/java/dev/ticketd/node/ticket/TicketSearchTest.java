package dev.ticketd.node.ticket;

import dev.ticketd.desk.GroupAccess;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.web.WebFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Search against a real PostgreSQL through the API and the list page: words in any message, phrases,
 * accents folded, partial tokens, ticket numbers, combined with filters, and never a ticket of a
 * group the agent cannot see.
 */
class TicketSearchTest {

    private static WebFixture web;
    private static String token;
    private static String agent;

    private static long message(long ticketId, String kind, String body) {
        return web.db.dsl().insertInto(TICKET_MESSAGE).set(TICKET_MESSAGE.TICKET_ID, ticketId).set(TICKET_MESSAGE.KIND, kind)
                .set(TICKET_MESSAGE.BODY_TEXT, body).returning(TICKET_MESSAGE.ID).fetchOne(TICKET_MESSAGE.ID);
    }

    @BeforeAll
    static void start() {
        web = new WebFixture();
        String mailbox = web.data.mailbox("search", "search@desk.example.test");
        long billing = web.data.group("Billing");
        agent = web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL));
        token = web.apiTokenOf(agent);

        long printer = web.data.ticket("T-9001", "Printer trouble", "open", mailbox, "kim@acme.example");
        message(printer, "inbound", "Good morning, the printer on the second floor is on fire again. Order ORD-2024-5531.");
        long cafe = web.data.ticket("T-9002", "Réclamation", "pending", mailbox, "jo@bistro.example");
        message(cafe, "inbound", "Le café était froid et la crème brûlée aussi.");
        message(cafe, "note", "Escalate to Zoë, she handles the Übersee orders.");
        long apart = web.data.ticket("T-9003", "Words apart", "open", mailbox, "lee@other.example");
        message(apart, "inbound", "The fire alarm rang while the printer jammed on the ground floor.");
        long named = web.data.ticket("T-9004", "A question", "open", mailbox, "anna.mueller@example.org");
        web.db.dsl().update(CONTACT).set(CONTACT.DISPLAY_NAME, "Anna Müller").where(CONTACT.EMAIL.eq("anna.mueller@example.org"))
                .execute();
        long invoice = message(named, "inbound", "See the attached file.");
        web.db.dsl().insertInto(ATTACHMENT).set(ATTACHMENT.TICKET_MESSAGE_ID, invoice).set(ATTACHMENT.FILENAME, "Invoice_77812.pdf")
                .set(ATTACHMENT.CONTENT_TYPE, "application/pdf").set(ATTACHMENT.SIZE_BYTES, 3L).set(ATTACHMENT.CONTENT, new byte[3])
                .execute();
        long secret = web.data.ticket("T-9005", "Printer invoice", "open", mailbox, "kim@acme.example");
        message(secret, "inbound", "The printer on the second floor is on fire, billing department speaking.");
        long serial = web.data.ticket("T-9007", "A scanner", "open", mailbox, "lee@other.example");
        message(serial, "inbound", "The scanner AT-90035 stopped, see ref#90035.");
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, billing).where(TICKET.ID.eq(secret)).execute();
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    private static String found(String q) {
        HttpResponse<String> r = web.apiGet("/api/v1/tickets?q=" + URLEncoder.encode(q, StandardCharsets.UTF_8), token);
        assertThat(r.statusCode()).as("search " + q + ": " + r.body()).isEqualTo(200);
        return r.body();
    }

    @Test
    void wordsAreFoundInAnyMessageOrNoteTheSubjectAndTheRequesterWithCaseAndAccentsIgnored() {
        assertThat(found("printer fire")).contains("T-9001", "T-9003").doesNotContain("T-9002");
        assertThat(found("CAFE creme")).as("accents folded, case ignored").contains("T-9002").doesNotContain("T-9001");
        assertThat(found("zoe ubersee")).as("an internal note").contains("T-9002");
        assertThat(found("réclamation")).as("the subject").contains("T-9002");
        assertThat(found("muller")).as("the requester's name").contains("T-9004").doesNotContain("T-9001");
        assertThat(found("anna.mueller@example.org")).as("the requester's address").contains("T-9004");
        assertThat(found("printer -alarm")).as("a word excluded").contains("T-9001").doesNotContain("T-9003");
    }

    @Test
    void aPhraseFindsOnlyTheWordsInThatOrder() {
        assertThat(found("\"printer on the second floor\"")).contains("T-9001").doesNotContain("T-9003");
        assertThat(found("\"floor second\"")).doesNotContain("T-9001");
    }

    @Test
    void aSingleTokenIsFoundInsideOrderNumbersAddressesAndAttachmentNames() {
        assertThat(found("5531")).as("part of an order number").contains("T-9001").doesNotContain("T-9002");
        assertThat(found("ORD-2024-5531")).contains("T-9001");
        assertThat(found("example.org")).as("part of an address").contains("T-9004").doesNotContain("T-9001");
        assertThat(found("77812")).as("part of an attachment's name").contains("T-9004");
        assertThat(found("55")).as("two characters are too few for a partial match").doesNotContain("T-9001");
    }

    @Test
    void aTicketNumberFindsThatTicketWrittenAnyWay() {
        for (String q : new String[] {"T-9003", "t-9003", "#9003", "9003"}) {
            assertThat(found(q)).as(q).contains("T-9003").doesNotContain("T-9001");
        }
        assertThat(found("9003")).as("a bare number is also looked for inside tokens").contains("T-9007");
        for (String q : new String[] {"T-9003", "#9003"}) {
            assertThat(found(q)).as(q + " names a ticket, not part of a serial number").doesNotContain("T-9007");
        }
    }

    @Test
    void anAgentNeverFindsATicketOfAGroupTheyCannotSeeAndAnAdminDoes() {
        assertThat(found("billing department")).doesNotContain("T-9005");
        assertThat(found("T-9005")).doesNotContain("T-9005");
        assertThat(web.apiGet("/api/v1/tickets?q=billing+department", web.apiToken(Role.ADMIN)).body()).contains("T-9005");
    }

    @Test
    void searchCombinesWithTheListsFilters() {
        assertThat(found("printer")).contains("T-9001");
        HttpResponse<String> pending = web.apiGet("/api/v1/tickets?status=pending&q=printer", token);
        assertThat(pending.body()).doesNotContain("T-9001");
        assertThat(web.apiGet("/api/v1/tickets?status=pending&q=creme", token).body()).contains("T-9002");
    }

    @Test
    void aSearchTooLongOrWithControlCharactersIsRefusedWithTheReason() {
        HttpResponse<String> tooLong = web.apiGet("/api/v1/tickets?q=" + "a".repeat(TicketSearch.MAX_LENGTH + 1), token);
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(tooLong.body()).contains("at most " + TicketSearch.MAX_LENGTH);
        HttpResponse<String> control = web.apiGet("/api/v1/tickets?q=" + URLEncoder.encode("printer\u0000", StandardCharsets.UTF_8), token);
        assertThat(control.statusCode()).isEqualTo(400);
        assertThat(control.body()).contains("control character");
        assertThat(found("\"\" !? ...")).as("a search of no word finds nothing and fails nothing").doesNotContain("T-900");
    }

    @Test
    void aRunawayMailIsStoredAndSearchableByItsStartWhateverItHolds() {
        long runaway = web.data.ticket("T-9006", "Runaway", "open", "search", "flood@flood.example");
        StringBuilder distinct = new StringBuilder("flood-start ");
        for (int i = 0; distinct.length() < 3_000_000; i++) {
            distinct.append("w").append(Integer.toString(i, 36)).append("@x").append(i).append(' ');
        }
        long id = message(runaway, "inbound", distinct.toString());
        StringBuilder wide = new StringBuilder();
        for (int i = 0; wide.length() < 1_000_000; i++) {
            wide.append((char) (0x4e00 + i % 20000)).append(' '); // short words of three bytes each, 20,000 of them different
        }
        message(runaway, "inbound", wide.toString());
        String tokens = web.db.dsl().select(org.jooq.impl.DSL.field("tokens", String.class)).from(TICKET_MESSAGE)
                .where(TICKET_MESSAGE.ID.eq(id)).fetchSingle().value1();
        assertThat(tokens.split(" ")).as("at most 200 tokens of a message are kept").hasSizeLessThanOrEqualTo(200);
        assertThat(found("flood-start")).contains("T-9006");
    }

    @Test
    void aWordInMoreMessagesThanASelectiveSearchTakesIsFoundNewestFirstPageByPage() throws Exception {
        // more matching messages than TicketSearch.SELECTIVE: the search walks the list newest first
        web.db.dsl().execute("with t as (insert into ticket (number, subject, status, requester_id, group_id, created_at) "
                + "select 'T-F' || n, 'Flood ' || n, 'open', (select min(id) from contact), (select id from staff_group where name = 'Support'), "
                + "now() - n * interval '1 second' from generate_series(1, " + (TicketSearch.SELECTIVE + 5) + ") n returning id, number) "
                + "insert into ticket_message (ticket_id, kind, body_text) select id, 'inbound', 'the floodword again in ' || number from t");
        com.fasterxml.jackson.databind.JsonNode page = new com.fasterxml.jackson.databind.ObjectMapper().readTree(found("floodword"));
        assertThat(page.path("tickets")).hasSize(50);
        assertThat(page.path("tickets").get(0).path("number").asText()).isEqualTo("T-F1");
        assertThat(page.path("tickets").get(49).path("number").asText()).isEqualTo("T-F50");
        String next = page.path("nextCursor").asText();
        com.fasterxml.jackson.databind.JsonNode second = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                web.apiGet("/api/v1/tickets?q=floodword&cursor=" + next, token).body());
        assertThat(second.path("tickets").get(0).path("number").asText()).isEqualTo("T-F51");
        assertThat(found("T-9003")).as("a number still finds its ticket beside the flood").contains("T-9003");
    }

    @Test
    void theListPageSearchesKeepsTheSearchInItsFiltersAndEveryPageHasTheSearchBox() {
        WebFixture.Browser browser = web.loggedInAs(agent);
        String page = browser.get("/tickets?q=creme&status=pending").body();
        assertThat(page).contains("Tickets matching “creme”").contains("T-9002").doesNotContain("T-9001")
                .contains("<input type=\"hidden\" name=\"q\" value=\"creme\">")
                .contains("id=\"clear-search\"").contains("href=\"/tickets?status=pending\"");
        assertThat(browser.get("/tickets/" + web.db.dsl().select(TICKET.ID).from(TICKET).where(TICKET.NUMBER.eq("T-9001"))
                .fetchSingle(TICKET.ID)).body()).contains("id=\"search\"");
        String escaped = browser.get("/tickets?q=" + URLEncoder.encode("<script>x</script>", StandardCharsets.UTF_8)).body();
        assertThat(escaped).doesNotContain("<script>x</script>").contains("&lt;script&gt;");
    }
}
