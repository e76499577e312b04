package dev.ticketd.node.ticket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ticketd.node.web.WebFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static org.assertj.core.api.Assertions.assertThat;

/** Staff tag tickets from the page, the API and the list's bulk form, find them by tag, and each change is audited. */
class TicketTagsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static WebFixture web;
    private static String token;
    private static String mailbox;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        token = web.apiToken();
        mailbox = web.data.mailbox("tags", "tags@desk.example.test");
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    @Test
    void tagsAreSetFromThePageCleanedFoundByTheListAndAudited() throws Exception {
        long ticket = web.data.ticket("T-6001", "Refund please", "open", mailbox, "r@example.test");
        WebFixture.Browser browser = web.loggedInBrowser();

        HttpResponse<String> saved = browser.post("/tickets/" + ticket + "/tags", Map.of("csrf", browser.csrf(), "tags", " Refund, VIP  refund "));

        assertThat(saved.statusCode()).isEqualTo(303);
        assertThat(tagsOf(ticket)).containsExactly("refund", "vip");
        assertThat(browser.get("/tickets/" + ticket).body()).contains("id=\"ticket-tags\"").contains("href=\"/tickets?tag=vip\"");
        assertThat(browser.get("/tickets?tag=vip").body()).contains("T-6001");
        assertThat(numbers("/api/v1/tickets?tag=refund")).containsExactly("T-6001");
        assertThat(numbers("/api/v1/tickets?tag=nothing")).isEmpty();

        HttpResponse<String> again = patch(ticket, "{\"tags\": [\"vip\", \"refund\"]}");
        HttpResponse<String> fewer = patch(ticket, "{\"tags\": [\"vip\"]}");
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(fewer.body()).get("tags").toString()).isEqualTo("[\"vip\"]");
        assertThat(web.db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG)
                .where(AUDIT_LOG.TICKET_ID.eq(ticket)).and(AUDIT_LOG.ACTION.eq("ticket.tags_changed")).orderBy(AUDIT_LOG.ID)
                .fetch(r -> r.value1().data())).as("the same tags again write nothing").hasSize(2)
                .last().asString().contains("\"removed\": [\"refund\"]");
    }

    @Test
    void aBadTagIsRefusedNamingItAndChangesNothing() throws Exception {
        long ticket = web.data.ticket("T-6002", "Bad tags", "open", mailbox, "b@example.test");

        HttpResponse<String> spaces = patch(ticket, "{\"tags\": [\"fine\", \"has space\"], \"priority\": \"high\"}");
        HttpResponse<String> notArray = patch(ticket, "{\"tags\": \"fine\"}");
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 21; i++) {
            many.add("\"t" + i + "\"");
        }
        HttpResponse<String> tooMany = patch(ticket, "{\"tags\": [" + String.join(",", many) + "]}");

        assertThat(spaces.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(spaces.body()).get("error").asText()).contains("'has space'");
        assertThat(notArray.statusCode()).isEqualTo(400);
        assertThat(tooMany.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(tooMany.body()).get("error").asText()).contains("at most 20 tags");
        assertThat(tagsOf(ticket)).isEmpty();
        assertThat(JSON.readTree(web.apiGet("/api/v1/tickets/" + ticket, token).body()).get("priority").asText())
                .as("nothing of a refused request is applied").isEqualTo("normal");
    }

    @Test
    void aBulkChangeAddsATagBesideEachTicketsOwn() throws Exception {
        long one = web.data.ticket("T-6003", "Bulk one", "open", mailbox, "c@example.test");
        long two = web.data.ticket("T-6004", "Bulk two", "open", mailbox, "d@example.test");
        patch(one, "{\"tags\": [\"mine\"]}");

        HttpResponse<String> bulk = web.api("POST", "/api/v1/tickets/bulk", token,
                "{\"ids\": [" + one + ", " + two + "], \"addTags\": [\"outage-12\"]}", Map.of());
        WebFixture.Browser browser = web.loggedInBrowser();
        HttpResponse<String> page = browser.post("/tickets/bulk", Map.of("csrf", browser.csrf(), "ids", Long.toString(two),
                "action", "addtag:", "tag", "Follow-up"));

        assertThat(bulk.statusCode()).as(bulk.body()).isEqualTo(200);
        assertThat(page.statusCode()).isEqualTo(303);
        assertThat(tagsOf(one)).containsExactly("mine", "outage-12");
        assertThat(tagsOf(two)).containsExactly("follow-up", "outage-12");
    }

    private static List<String> tagsOf(long ticket) throws Exception {
        JsonNode tags = JSON.readTree(web.apiGet("/api/v1/tickets/" + ticket, token).body()).get("tags");
        List<String> list = new ArrayList<>();
        tags.forEach(t -> list.add(t.asText()));
        return list;
    }

    private static List<String> numbers(String path) throws Exception {
        List<String> numbers = new ArrayList<>();
        JSON.readTree(web.apiGet(path, token).body()).get("tickets").forEach(t -> numbers.add(t.get("number").asText()));
        return numbers;
    }

    private static HttpResponse<String> patch(long ticket, String json) {
        return web.api("PATCH", "/api/v1/tickets/" + ticket, token, json, Map.of());
    }
}
