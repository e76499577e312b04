package dev.ticketd.node.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ticketd.desk.GroupAccess;
import dev.ticketd.desk.Tickets;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.node.Node;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.intake.NodeSecrets;
import dev.ticketd.node.metrics.NodeMetrics;
import dev.ticketd.node.ticket.TicketChanges;
import dev.ticketd.node.web.WebServer;
import dev.ticketd.node.web.WebSettings;
import dev.ticketd.testing.TestTimeouts;
import dev.ticketd.node.web.RouteTable;
import dev.ticketd.node.web.WebFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.ticketd.db.generated.Tables.API_TOKEN;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.STAFF_GROUP;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin screens and API: an admin manages staff users, their groups and API tokens, and
 * mailboxes, through the same services as the CLI; bad input is refused with 400 naming the problem;
 * agents are refused everywhere under /admin and /api/v1/admin.
 */
class AdminPagesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TOKEN = Pattern.compile("tkd_[0-9a-f]{16}_[A-Za-z0-9_-]{43}");

    private static WebFixture web;
    private static long billingGroup;
    private static String admin;
    private static WebFixture.Browser adminBrowser;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        String support = web.data.mailbox("admin-help", "help@admin.example.test", "Support");
        String billing = web.data.mailbox("admin-billing", "billing@admin.example.test", "Billing");
        billingGroup = web.data.group("Billing");
        web.data.ticket("T-8001", "Printer jammed", "open", support, "ann@example.test");
        long billingTicket = web.data.ticket("T-8002", "Invoice sent twice", "open", billing, "bob@example.test");
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, billingGroup).where(TICKET.ID.eq(billingTicket)).execute();
        admin = web.staff(Role.ADMIN, Map.of());
        adminBrowser = web.loggedInAs(admin);
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    @Test
    void anAdminCreatesAUserWithGroupsOnThePageAndTheyLogInAndSeeTheirGroupsTickets() {
        String email = web.newStaffEmail();

        HttpResponse<String> created = adminBrowser.post("/admin/users", form("email", email, "displayName", "Bea Billing",
                "password", WebFixture.PASSWORD, "role", "agent", "group." + billingGroup, "full"));

        assertThat(created.statusCode()).as(created.body()).isEqualTo(303);
        assertThat(adminBrowser.get("/admin/users").body()).contains(email, "Bea Billing");
        HttpResponse<String> list = web.loggedInAs(email).get("/tickets");
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).contains("T-8002").doesNotContain("T-8001");
    }

    @Test
    void anAdminChangesARoleAndTheGroupsOfAUserOnThePage() throws Exception {
        String email = web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL));
        long id = userId(email);

        assertThat(adminBrowser.post("/admin/users/" + id + "/groups", form("group." + billingGroup, "read")).statusCode()).isEqualTo(303);
        JsonNode me = JSON.readTree(web.apiGet("/api/v1/me", web.apiTokenOf(email)).body());
        assertThat(me.get("groups").toString()).isEqualTo("[{\"group\":\"Billing\",\"access\":\"read\"}]");

        assertThat(adminBrowser.post("/admin/users/" + id + "/role", form("role", "admin")).statusCode()).isEqualTo(303);
        assertThat(web.loggedInAs(email).get("/cluster").statusCode()).as("an admin now").isEqualTo(200);
    }

    @Test
    void deactivatingAUserOnThePageEndsTheirSessionsAndResettingAPasswordToo() {
        String email = web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL));
        WebFixture.Browser theirs = web.loggedInAs(email);
        assertThat(theirs.get("/tickets").statusCode()).isEqualTo(200);

        HttpResponse<String> deactivated = adminBrowser.post("/admin/users/" + userId(email) + "/active", form("active", "false"));

        assertThat(deactivated.statusCode()).as(deactivated.body()).isEqualTo(303);
        HttpResponse<String> after = theirs.get("/tickets");
        assertThat(after.statusCode()).isEqualTo(303);
        assertThat(after.headers().firstValue("Location")).hasValue("/login");
        assertThat(web.browser().login(email, WebFixture.PASSWORD).statusCode()).as("a deactivated user cannot log in").isNotEqualTo(303);

        String other = web.staff(Role.AGENT, Map.of());
        WebFixture.Browser otherBrowser = web.loggedInAs(other);
        assertThat(adminBrowser.post("/admin/users/" + userId(other) + "/password", form("password", "a new long password"))
                .statusCode()).isEqualTo(303);
        assertThat(otherBrowser.get("/tickets").statusCode()).as("sessions end on a password reset").isEqualTo(303);
        assertThat(web.browser().login(other, "a new long password").statusCode()).isEqualTo(303);
    }

    @Test
    void aTokenMadeOnThePageIsShownOnceWorksAndStopsWorkingWhenRevoked() throws Exception {
        String email = web.staff(Role.AGENT, Map.of("Billing", GroupAccess.FULL));
        long id = userId(email);

        HttpResponse<String> made = adminBrowser.post("/admin/users/" + id + "/tokens", form("name", "ci", "expiresInDays", "30"));

        assertThat(made.statusCode()).as(made.body()).isEqualTo(200);
        Matcher m = TOKEN.matcher(made.body());
        assertThat(m.find()).as("the page shows the token").isTrue();
        String token = m.group();
        HttpResponse<String> me = web.apiGet("/api/v1/me", token);
        assertThat(me.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(me.body()).get("email").asText()).isEqualTo(email);
        assertThat(adminBrowser.get("/admin/users/" + id + "/tokens").body()).as("shown only once").doesNotContain(token).contains("ci");

        long tokenId = web.db.dsl().select(API_TOKEN.ID).from(API_TOKEN).where(API_TOKEN.USER_ID.eq(id)).fetchSingle(API_TOKEN.ID);
        HttpResponse<String> revoked = adminBrowser.post("/admin/users/" + id + "/tokens/" + tokenId + "/revoke", form());

        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(303);
        assertThat(web.apiGet("/api/v1/me", token).statusCode()).isEqualTo(401);
        assertThat(adminBrowser.get("/admin/users/" + id + "/tokens").body()).contains("revoked");
    }

    @Test
    void theMailboxesPageNamesTheNodesThatReportedWithoutAMailboxsSecret() {
        web.data.mailbox("secretive", "secretive@desk.example.test");
        web.db.dsl().update(MAILBOX).set(MAILBOX.SECRET_REF, "secretive-box").where(MAILBOX.ID.eq("secretive")).execute();
        NodeSecrets secrets = new NodeSecrets(web.db);
        secrets.report("node-a", List.of("secretive-box", "other"));
        secrets.report("node-b", List.of("secretive-box"));
        secrets.report("node-b", List.of("other")); // restarted without it: the last report counts

        String page = adminBrowser.get("/admin/mailboxes").body();
        int row = page.indexOf("secretive@desk.example.test");
        String secretiveRow = page.substring(row, page.indexOf("</tr>", row));

        assertThat(secretiveRow).contains("missing on node-b").doesNotContain("node-a");
        assertThat(NodeSecrets.lacking(secrets.reports(), "secretive-box")).containsExactly("node-b");
        assertThat(NodeSecrets.lacking(secrets.reports(), "other")).isEmpty();
    }

    @Test
    void meNamesTheCallerTheirGroupsAndTheOpenTicketsTheyOwn() throws Exception {
        String email = web.staff(Role.AGENT, Map.of("Billing", GroupAccess.FULL, "Support", GroupAccess.READ));
        long id = userId(email);
        web.db.dsl().update(TICKET).set(TICKET.OWNER_ID, id).where(TICKET.NUMBER.eq("T-8002")).execute();

        JsonNode me = JSON.readTree(web.apiGet("/api/v1/me", web.apiTokenOf(email)).body());

        assertThat(me.get("id").asLong()).isEqualTo(id);
        assertThat(me.get("role").asText()).isEqualTo("agent");
        assertThat(me.get("groups").toString())
                .isEqualTo("[{\"group\":\"Billing\",\"access\":\"full\"},{\"group\":\"Support\",\"access\":\"read\"}]");
        assertThat(me.get("openTickets").asInt()).isEqualTo(1);
        assertThat(me.get("openTicketsCapped").asBoolean()).isFalse();
        web.db.dsl().update(TICKET).setNull(TICKET.OWNER_ID).where(TICKET.NUMBER.eq("T-8002")).execute();
    }

    @Test
    void anAdminAddsAMailboxWithAGroupOnThePage() {
        HttpResponse<String> saved = adminBrowser.post("/admin/mailboxes", form("id", "invoices", "address", "invoices@admin.example.test",
                "imapHost", "imap.admin.example.test", "secretRef", "invoices", "group", "Billing"));

        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
        assertThat(saved.headers().firstValue("Location")).as("this test's web server runs outside a cluster, and says so")
                .hasValue("/admin/mailboxes?unannounced=invoices");
        assertThat(adminBrowser.get("/admin/mailboxes?unannounced=invoices").body())
                .contains("Mailbox invoices is saved, but the running cluster could not be told");
        var row = web.db.dsl().selectFrom(MAILBOX).where(MAILBOX.ID.eq("invoices")).fetchSingle();
        assertThat(row.getGroupId()).isEqualTo(billingGroup);
        assertThat(row.getImapPort()).as("the CLI's default").isEqualTo(993);
        assertThat(row.getImapUser()).isEqualTo("invoices@admin.example.test");
        assertThat(adminBrowser.get("/admin/mailboxes").body()).contains("invoices@admin.example.test", "Billing",
                "cannot read the mailbox when it leads it");
        assertThat(adminBrowser.get("/admin/mailboxes?edit=invoices").body()).as("Edit fills the form with the stored mailbox")
                .contains("name=\"imapHost\" required value=\"imap.admin.example.test\"", "name=\"imapPort\" value=\"993\"");
    }

    @Test
    void aMailboxSavedThroughTheApiIsAnnouncedToTheRunningCluster() throws Exception {
        List<String> announced = new CopyOnWriteArrayList<>();
        try (WebServer node = Node.staffWeb(web.db, new WebSettings("127.0.0.1", 0, Duration.ofHours(8), false), Clock.systemUTC(),
                () -> {
                    throw new IllegalStateException("no cluster view in this test");
                }, List::of, "announcing", new NodeMetrics("announcing"), new Tickets(), new TicketsFromMail(),
                TicketChanges.DEFAULT_PENDING, announced::add, () -> dev.ticketd.node.watch.WatchRoutes.Status.NOT_WATCHING)) {
            node.start();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/api/v1/admin/mailboxes"))
                    .header("Authorization", "Bearer " + web.apiTokenOf(admin)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"id\": \"orders\", \"address\": \"orders@admin.example.test\", "
                            + "\"imapHost\": \"imap.example.test\", \"secretRef\": \"orders\"}"))
                    .timeout(TestTimeouts.seconds(10)).build();

            HttpResponse<String> saved = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());

            assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
            assertThat(JSON.readTree(saved.body()).get("clusterNotified").asBoolean()).isTrue();
            assertThat(announced).containsExactly("orders");
        }
    }

    @Test
    void badInputIsRefusedWith400NamingTheProblemAndTheFormKeepsWhatWasTyped() {
        String taken = web.staff(Role.AGENT, Map.of());

        assertRefused(adminBrowser.post("/admin/users", form("email", taken, "password", WebFixture.PASSWORD, "role", "agent")),
                "already exists");
        String fresh = web.newStaffEmail();
        HttpResponse<String> shortPassword = adminBrowser.post("/admin/users", form("email", fresh, "password", "short", "role", "agent"));
        assertRefused(shortPassword, "at least 8 characters");
        assertThat(shortPassword.body()).as("the form keeps the email").contains("value=\"" + fresh + "\"");
        assertRefused(adminBrowser.post("/admin/users", form("email", fresh, "password", WebFixture.PASSWORD, "group.99999999", "full")),
                "there is no group 99999999");
        assertRefused(web.api("POST", "/api/v1/admin/users", web.apiTokenOf(admin), "{\"email\": \"" + fresh
                + "\", \"password\": \"" + WebFixture.PASSWORD + "\", \"groups\": {\"Nope\": \"full\"}}", Map.of()), "there is no group named 'Nope'");
        assertThat(web.db.dsl().fetchExists(STAFF_USER, STAFF_USER.EMAIL.eq(fresh))).as("nothing was created").isFalse();
        assertRefused(adminBrowser.post("/admin/mailboxes", form("id", "Bad Id!", "address", "x@admin.example.test",
                "imapHost", "imap.example.test", "secretRef", "x")), "mailbox id must be lower-case");
        assertRefused(adminBrowser.post("/admin/mailboxes", form("id", "nogroup", "address", "x@admin.example.test",
                "imapHost", "imap.example.test", "secretRef", "x", "group", "Nope")), "there is no group named 'Nope'");
        assertThat(web.db.dsl().fetchExists(MAILBOX, MAILBOX.ID.eq("nogroup"))).as("nothing was saved").isFalse();
        assertRefused(adminBrowser.post("/admin/groups/" + billingGroup + "/members", form("email", "nobody@admin.example.test",
                "access", "full")), "there is no staff user with email nobody@admin.example.test");
    }

    @Test
    void anAdminTurnsRoundRobinOnAndOffForAGroupOnThePageAndABadCapIsNamed() {
        assertThat(adminBrowser.post("/admin/groups/" + billingGroup + "/round-robin", form("cap", "7", "online", "20m")).statusCode())
                .isEqualTo(303);
        assertThat(adminBrowser.get("/admin/groups").body())
                .contains("used the desk within 20 minutes and own fewer than 7 open or pending tickets");
        assertThat(web.db.dsl().select(STAFF_GROUP.ROUND_ROBIN_CAP, STAFF_GROUP.ROUND_ROBIN_ONLINE_MINUTES).from(STAFF_GROUP)
                .where(STAFF_GROUP.ID.eq(billingGroup)).fetchSingle().intoArray()).containsExactly(7, 20);

        assertRefused(adminBrowser.post("/admin/groups/" + billingGroup + "/round-robin", form("cap", "many")),
                "cap: a whole number of open or pending tickets, was 'many'");
        assertRefused(adminBrowser.post("/admin/groups/" + billingGroup + "/round-robin", form("cap", "0")), "cap: between 1 and 10000");

        assertThat(adminBrowser.post("/admin/groups/" + billingGroup + "/round-robin", form("cap", "")).statusCode()).isEqualTo(303);
        assertThat(web.db.dsl().select(STAFF_GROUP.ROUND_ROBIN_CAP).from(STAFF_GROUP).where(STAFF_GROUP.ID.eq(billingGroup))
                .fetchSingle().value1()).as("off").isNull();
    }

    @Test
    void anAdminTurnsRoundRobinOnAndOffForAGroupOverTheApiAndABadValueIsNamed() throws Exception {
        String token = web.apiTokenOf(admin);
        String path = "/api/v1/admin/groups/" + billingGroup + "/round-robin";

        HttpResponse<String> on = web.api("PUT", path, token, "{\"cap\": 9, \"onlineMinutes\": 30}", Map.of());
        assertThat(on.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(on.body()).get("roundRobin").toString()).isEqualTo("{\"cap\":9,\"onlineMinutes\":30}");
        assertThat(web.db.dsl().select(STAFF_GROUP.ROUND_ROBIN_CAP, STAFF_GROUP.ROUND_ROBIN_ONLINE_MINUTES).from(STAFF_GROUP)
                .where(STAFF_GROUP.ID.eq(billingGroup)).fetchSingle().intoArray()).containsExactly(9, 30);
        JsonNode listed = JSON.readTree(web.apiGet("/api/v1/admin/groups", token).body()).get("groups");
        assertThat(listed.findValues("roundRobin").toString()).contains("{\"cap\":9,\"onlineMinutes\":30}");

        assertRefused(web.api("PUT", path, token, "{\"cap\": 0}", Map.of()), "cap: between 1 and 10000");
        assertRefused(web.api("PUT", path, token, "{\"cap\": 5, \"onlineMinutes\": 2000}", Map.of()), "online: whole minutes");
        assertRefused(web.api("PUT", path, token, "{\"cap\": \"many\"}", Map.of()), "cap must be a whole number");
        assertRefused(web.api("PUT", path, token, "{\"onlineMinutes\": 5}", Map.of()), "cap is required");
        assertRefused(web.api("PUT", path, token, "{\"cap\": 5, \"owner\": 1}", Map.of()), "unknown field owner");
        assertThat(web.db.dsl().select(STAFF_GROUP.ROUND_ROBIN_CAP).from(STAFF_GROUP).where(STAFF_GROUP.ID.eq(billingGroup))
                .fetchSingle().value1()).as("refusals changed nothing").isEqualTo(9);
        assertThat(web.api("PUT", "/api/v1/admin/groups/99999999/round-robin", token, "{\"cap\": 5}", Map.of()).statusCode())
                .isEqualTo(404);

        HttpResponse<String> off = web.api("PUT", path, token, "{\"cap\": null}", Map.of());
        assertThat(off.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(off.body()).path("roundRobin").isMissingNode() || JSON.readTree(off.body()).get("roundRobin").isNull())
                .as("off").isTrue();
        assertThat(web.db.dsl().select(STAFF_GROUP.ROUND_ROBIN_CAP).from(STAFF_GROUP).where(STAFF_GROUP.ID.eq(billingGroup))
                .fetchSingle().value1()).isNull();
    }

    @Test
    void theLastActiveAdminCannotBeDeactivatedOrMadeAnAgent() {
        web.db.dsl().update(STAFF_USER).set(STAFF_USER.ROLE, "agent")
                .where(STAFF_USER.ROLE.eq("admin")).and(STAFF_USER.EMAIL.ne(admin)).execute();
        long id = userId(admin);

        assertRefused(adminBrowser.post("/admin/users/" + id + "/active", form("active", "false")), "is the last active admin");
        assertRefused(web.api("PATCH", "/api/v1/admin/users/" + id, web.apiTokenOf(admin), "{\"role\": \"agent\"}", Map.of()),
                "is the last active admin");
        assertThat(adminBrowser.get("/admin/users").statusCode()).as("still an admin, still logged in").isEqualTo(200);
    }

    @Test
    void agentsAreRefusedEverywhereUnderAdminAndTheAdminApi() {
        String agent = web.staff(Role.AGENT, Map.of("Billing", GroupAccess.FULL));
        WebFixture.Browser browser = web.loggedInAs(agent);
        String csrf = browser.csrf();
        String token = web.apiTokenOf(agent);
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (RouteTable.Route route : web.server.routes()) {
            String path = route.path().replace("{id}", "1").replace("{tokenId}", "1");
            HttpResponse<String> answer;
            if (path.startsWith("/admin/")) {
                answer = route.method() == RouteTable.Method.GET ? browser.get(path) : browser.post(path, form("csrf", csrf));
            } else if (path.startsWith("/api/v1/admin/")) {
                answer = web.api(route.method().name(), path, token, route.method() == RouteTable.Method.GET ? null : "{}", Map.of());
            } else {
                continue;
            }
            checked++;
            if (answer.statusCode() != 403) {
                wrong.add(route.method() + " " + route.path() + ": " + answer.statusCode());
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(20);
        assertThat(browser.get("/tickets").body()).as("no Admin link for an agent").doesNotContain("href=\"/admin/users\"");
        assertThat(adminBrowser.get("/tickets").body()).as("the Admin link for an admin").contains("href=\"/admin/users\"");
        assertThat(wrong).as("admin routes that did not refuse an agent").isEmpty();
    }

    private static void assertRefused(HttpResponse<String> answer, String naming) {
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(400);
        assertThat(answer.body()).contains(naming.replace("'", answer.body().contains("&#39;") ? "&#39;" : "'"));
    }

    private static long userId(String email) {
        return web.db.dsl().select(STAFF_USER.ID).from(STAFF_USER).where(STAFF_USER.EMAIL.eq(email)).fetchSingle(STAFF_USER.ID);
    }

    /** A form with this browser session's CSRF token and these fields. */
    private static Map<String, String> form(String... pairs) {
        Map<String, String> form = new LinkedHashMap<>();
        if (pairs.length == 0 || !pairs[0].equals("csrf")) {
            form.put("csrf", adminBrowser.csrf());
        }
        for (int i = 0; i < pairs.length; i += 2) {
            form.put(pairs[i], pairs[i + 1]);
        }
        return form;
    }
}
