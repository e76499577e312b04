package dev.ticketd.node.web;

import dev.ticketd.desk.GroupAccess;
import dev.ticketd.desk.Viewer;
import dev.ticketd.node.auth.ApiTokens;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.auth.StaffUser;
import dev.ticketd.node.macro.Macros;
import dev.ticketd.node.ticket.ReplyService;
import dev.ticketd.node.ticket.SavedViews;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every route of the node's route table, called as each kind of caller: anonymous, an agent of no
 * group, an agent with read access to the ticket's group, an agent with full access, an admin. Each
 * answer must be the one this table expects; a route the table does not name fails the test, so a new
 * route cannot arrive without saying who may use it.
 */
class RouteByRoleTest {

    /** Who calls. */
    enum Caller { ANONYMOUS, NO_GROUP_AGENT, READ_ONLY_AGENT, FULL_AGENT, ADMIN }

    /** What kind of answer a caller gets. */
    enum Answer {
        /** 2xx, or a redirect that is not to the login page. */
        OK,
        /** A redirect to the login page (pages), 401 (API). */
        LOGIN,
        FORBIDDEN,
        /** 404: the thing does not exist for this caller. */
        NOT_FOUND;

        static Answer of(HttpResponse<String> r) {
            int s = r.statusCode();
            boolean toLogin = (s == 302 || s == 303) && r.headers().firstValue("Location").orElse("").startsWith("/login");
            if (s == 401 || toLogin) {
                return LOGIN;
            }
            if (s == 403) {
                return FORBIDDEN;
            }
            if (s == 404) {
                return NOT_FOUND;
            }
            if (s >= 200 && s < 400) {
                return OK;
            }
            throw new AssertionError("unexpected answer " + s + ": " + r.body());
        }
    }

    private static final Answer O = Answer.OK;
    private static final Answer L = Answer.LOGIN;
    private static final Answer F = Answer.FORBIDDEN;
    private static final Answer N = Answer.NOT_FOUND;

    /** Per route, the answer of: anonymous, agent of no group, read-only agent, full agent, admin. */
    private static final Map<String, List<Answer>> EXPECTED = new LinkedHashMap<>();

    static {
        expect("GET /assets/app.css", O, O, O, O, O);
        expect("GET /assets/app.js", O, O, O, O, O);
        expect("GET /login", O, O, O, O, O);
        // the test logs in with a wrong password: 401 and the form again, whoever asks
        expect("POST /login", L, L, L, L, L);
        // logged out, or never logged in: the login page
        expect("POST /logout", L, L, L, L, L);
        expect("GET /health/live", O, O, O, O, O);
        expect("GET /health/ready", O, O, O, O, O);
        expect("GET /health/watch", O, O, O, O, O);
        expect("GET /metrics", L, F, F, F, O);
        expect("GET /", L, O, O, O, O);
        expect("GET /tickets", L, O, O, O, O);
        expect("GET /tickets/{id}", L, N, O, O, O);
        // a bulk change answers each ticket's refusal in its result, not with the request's status
        expect("POST /tickets/bulk", L, O, O, O, O);
        // every member of staff keeps their own saved views; someone else's does not exist for them, admins included
        expect("POST /tickets/views", L, O, O, O, O);
        expect("POST /tickets/views/{id}/delete", L, N, N, N, N);
        expect("POST /tickets/{id}/reply", L, N, F, O, O);
        expect("POST /tickets/{id}/note", L, N, F, O, O);
        expect("POST /tickets/{id}/status", L, N, F, O, O);
        expect("POST /tickets/{id}/priority", L, N, F, O, O);
        expect("POST /tickets/{id}/owner", L, N, F, O, O);
        expect("POST /tickets/{id}/group", L, N, F, O, O);
        expect("POST /tickets/{id}/tags", L, N, F, O, O);
        // applying a macro, even one with only a text, is changing the ticket
        expect("POST /tickets/{id}/macro", L, N, F, O, O);
        expect("POST /api/v1/tickets/{id}/macro", L, N, F, O, O);
        expect("GET /api/v1/macros", L, O, O, O, O);
        expect("GET /tickets/{id}/messages/{messageId}", L, N, O, O, O);
        // a second ticket of the same group is merged into the ticket and the merge undone at once, by each caller in turn
        expect("POST /tickets/{id}/merge", L, N, F, O, O);
        expect("POST /tickets/{id}/unmerge", L, N, F, O, O);
        // the second ticket's newest message is split off into a new ticket
        expect("POST /tickets/{id}/split", L, N, F, O, O);
        // the second ticket is linked as the ticket's child and the link removed, by each caller in turn
        expect("POST /tickets/{id}/links", L, N, F, O, O);
        expect("POST /tickets/{id}/links/remove", L, N, F, O, O);
        expect("GET /attention", L, O, O, O, O);
        // every member of staff has a stream; which events it carries is LiveUpdatesTest's matter
        expect("GET /events", L, O, O, O, O);
        // presence on a ticket is said, and asked, by those who see it; a ticket they do not see does not exist
        expect("POST /tickets/{id}/presence", L, N, O, O, O);
        expect("GET /presence", L, O, O, O, O);
        // a held reply is its author's alone (the target's here): nobody else sends or discards it, admins neither
        expect("POST /held-replies/{id}/send", L, N, N, N, N);
        expect("POST /held-replies/{id}/discard", L, N, N, N, N);
        expect("GET /inbound/{id}/raw", L, N, O, O, O);
        expect("GET /attachments/{id}", L, N, O, O, O);
        expect("GET /api/v1/openapi.json", O, O, O, O, O);
        expect("GET /api/v1/tickets", L, O, O, O, O);
        expect("GET /api/v1/tickets/{id}", L, N, O, O, O);
        expect("PATCH /api/v1/tickets/{id}", L, N, F, O, O);
        expect("POST /api/v1/tickets/bulk", L, O, O, O, O);
        expect("GET /api/v1/tickets/{id}/history", L, N, O, O, O);
        expect("POST /api/v1/tickets/{id}/replies", L, N, F, O, O);
        expect("POST /api/v1/tickets/{id}/notes", L, N, F, O, O);
        expect("POST /api/v1/tickets/{id}/merge", L, N, F, O, O);
        expect("POST /api/v1/tickets/{id}/unmerge", L, N, F, O, O);
        expect("POST /api/v1/tickets/{id}/split", L, N, F, O, O);
        expect("POST /api/v1/tickets/{id}/links", L, N, F, O, O);
        expect("DELETE /api/v1/tickets/{id}/links/{otherId}", L, N, F, O, O);
        expect("GET /api/v1/inbound/{id}/raw", L, N, O, O, O);
        expect("GET /api/v1/views", L, O, O, O, O);
        expect("POST /api/v1/views", L, O, O, O, O);
        expect("DELETE /api/v1/views/{id}", L, N, N, N, N);
        expect("GET /api/v1/held-replies", L, O, O, O, O);
        expect("POST /api/v1/held-replies/{id}/send", L, N, N, N, N);
        expect("POST /api/v1/held-replies/{id}/discard", L, N, N, N, N);
        expect("GET /cluster", L, F, F, F, O);
        expect("GET /api/v1/cluster", L, F, F, F, O);
        expect("GET /quarantine", L, F, F, F, O);
        // no such quarantine entry: an admin learns that, nobody else gets that far
        expect("POST /quarantine/{id}/{action}", L, F, F, F, N);
        expect("GET /api/v1/quarantine", L, F, F, F, O);
        expect("POST /api/v1/quarantine/{id}/{action}", L, F, F, F, N);
        for (String adminRoute : List.of("GET /admin/users", "POST /admin/users", "POST /admin/users/{id}/role",
                "POST /admin/users/{id}/active", "POST /admin/users/{id}/password", "POST /admin/users/{id}/groups",
                "GET /admin/users/{id}/tokens", "POST /admin/users/{id}/tokens", "POST /admin/users/{id}/tokens/{tokenId}/revoke",
                "GET /admin/groups", "POST /admin/groups", "POST /admin/groups/{id}/members", "POST /admin/groups/{id}/members/remove",
                "POST /admin/groups/{id}/round-robin",
                "GET /admin/mailboxes", "POST /admin/mailboxes",
                "GET /api/v1/admin/users", "POST /api/v1/admin/users", "PATCH /api/v1/admin/users/{id}",
                "GET /api/v1/admin/users/{id}/tokens", "POST /api/v1/admin/users/{id}/tokens",
                "POST /api/v1/admin/users/{id}/tokens/{tokenId}/revoke", "GET /api/v1/admin/groups", "POST /api/v1/admin/groups",
                "PUT /api/v1/admin/groups/{id}/members", "PUT /api/v1/admin/groups/{id}/round-robin",
                "GET /api/v1/admin/mailboxes", "POST /api/v1/admin/mailboxes",
                "GET /admin/sla", "POST /admin/sla/policies", "POST /admin/sla/policies/remove", "POST /admin/sla/calendars",
                "POST /admin/sla/holidays", "GET /admin/macros", "POST /admin/macros", "POST /admin/macros/{id}/delete",
                "POST /api/v1/macros", "PUT /api/v1/macros/{id}", "DELETE /api/v1/macros/{id}")) {
            // admins only: agents are refused whatever their groups
            expect(adminRoute, L, F, F, F, O);
        }
        expect("GET /api/v1/me", L, O, O, O, O);
    }

    private static void expect(String route, Answer... byCaller) {
        EXPECTED.put(route, List.of(byCaller));
    }

    private static WebFixture web;
    private static long ticket;
    /** A ticket of the same group that the merge routes merge into {@link #ticket} (which has a held reply: it is merged into, never merged). */
    private static long mergeable;
    private static long messageId;
    private static long inboundId;
    private static long attachmentId;
    /** The staff user the admin routes change (never one of the callers), one of their tokens, and the ticket's group. */
    private static long target;
    /** A saved view of the target's, which no caller may delete. */
    private static long targetView;
    /** A held reply of the target's, which no caller may send or discard. */
    private static long targetHeld;
    private static String targetEmail;
    private static long targetToken;
    private static long supportGroup;
    /** A canned reply every caller tries to apply, and a macro the admin API routes edit and delete. */
    private static long cannedReply;
    private static long editedMacro;
    private static final Map<Caller, String> emails = new EnumMap<>(Caller.class);

    @BeforeAll
    static void start() {
        web = new WebFixture();
        String mailbox = web.data.mailbox("roles", "roles@desk.example.test", "Support");
        ticket = web.data.ticket("T-9001", "Whose is this", "open", mailbox, "who@example.test");
        mergeable = web.data.ticket("T-9002", "Whose is this too", "open", mailbox, "who@example.test");
        for (int i = 1; i <= 5; i++) { // two splits each by the full agent and the admin, and one message left
            web.data.inbound(mergeable, mailbox, "<roles-split-" + i + "@example.test>", "who@example.test", "Part " + i,
                    ("From: who@example.test\r\nSubject: Part " + i + "\r\n\r\nPart\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        inboundId = web.data.inbound(ticket, mailbox, "<roles-1@example.test>", "who@example.test", "Hello",
                "From: who@example.test\r\nSubject: Whose is this\r\n\r\nHello\r\n".getBytes(StandardCharsets.US_ASCII));
        messageId = web.db.dsl().select(TICKET_MESSAGE.ID).from(TICKET_MESSAGE).where(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(inboundId))
                .fetchSingle(TICKET_MESSAGE.ID);
        attachmentId = web.db.dsl().insertInto(ATTACHMENT).set(ATTACHMENT.TICKET_MESSAGE_ID, messageId)
                .set(ATTACHMENT.FILENAME, "a.txt").set(ATTACHMENT.CONTENT_TYPE, "text/plain")
                .set(ATTACHMENT.SIZE_BYTES, 1L).set(ATTACHMENT.CONTENT, new byte[]{'a'})
                .returning(ATTACHMENT.ID).fetchOne(ATTACHMENT.ID);
        emails.put(Caller.NO_GROUP_AGENT, web.staff(Role.AGENT, Map.of()));
        emails.put(Caller.READ_ONLY_AGENT, web.staff(Role.AGENT, Map.of("Support", GroupAccess.READ)));
        emails.put(Caller.FULL_AGENT, web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL)));
        emails.put(Caller.ADMIN, web.staff(Role.ADMIN, Map.of()));
        targetEmail = web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL));
        target = web.db.dsl().select(STAFF_USER.ID).from(STAFF_USER).where(STAFF_USER.EMAIL.eq(targetEmail)).fetchSingle(STAFF_USER.ID);
        targetToken = new ApiTokens(web.db, Clock.systemUTC()).create(targetEmail, "to revoke", ApiTokens.DEFAULT_LIFETIME).id();
        supportGroup = web.data.group("Support");
        targetView = new SavedViews(web.db, web.db.transactions()).save(new Viewer(target, targetEmail, false), "Theirs",
                "status=open", null).view().id();
        Macros macros = new Macros(web.db);
        cannedReply = macros.save(null, new Macros.Draft("Role canned", "Hello {{customer.name}}", null, null, null, null, List.of(),
                List.of()), "test").id();
        editedMacro = macros.save(null, new Macros.Draft("Role edited", "to edit", null, null, null, null, List.of(), List.of()), "test").id();
        StaffUser targetUser = new StaffUser(target, targetEmail, "Target", Role.AGENT);
        targetHeld = ((ReplyService.Held) new ReplyService(web.db).reply(ticket, targetUser, "held for the role test",
                UUID.randomUUID().toString(), List.of(), 0L)).reply().id();
    }

    @AfterAll
    static void stop() {
        web.close();
    }

    @Test
    void everyRouteAnswersEachKindOfCallerAsExpected() {
        List<RouteTable.Route> routes = new ArrayList<>(web.server.routes());
        assertThat(routes.stream().map(RouteByRoleTest::key).toList())
                .as("every route of the table has a row here (and no row names a route that is gone)")
                .containsExactlyInAnyOrderElementsOf(EXPECTED.keySet());
        // logging out ends the session the other calls use
        routes.sort(Comparator.comparing(r -> key(r).equals("POST /logout")));
        List<String> wrong = new ArrayList<>();
        for (Caller caller : Caller.values()) {
            Session session = new Session(caller);
            for (RouteTable.Route route : routes) {
                Answer expected = EXPECTED.get(key(route)).get(caller.ordinal());
                HttpResponse<String> response = session.call(route);
                Answer got = Answer.of(response);
                if (got != expected) {
                    wrong.add(caller + " " + key(route) + ": expected " + expected + ", got " + response.statusCode()
                            + " " + abbreviate(response.body()));
                }
            }
        }
        assertThat(wrong).as("answers that differ from the table").isEmpty();
    }

    private static String key(RouteTable.Route route) {
        return route.method() + " " + route.path();
    }

    private static String abbreviate(String body) {
        String line = body.replaceAll("\\s+", " ");
        return line.length() <= 160 ? line : line.substring(0, 160) + "…";
    }

    private static long newestMessageOf(long ticketId) {
        return web.db.dsl().select(DSL.max(TICKET_MESSAGE.ID)).from(TICKET_MESSAGE).where(TICKET_MESSAGE.TICKET_ID.eq(ticketId))
                .fetchSingle(0, Long.class);
    }

    /** A valid form for each admin page's POST route. */
    private static Map<String, String> adminForm(String path) {
        if (path.equals("/admin/users")) {
            return Map.of("email", web.newStaffEmail(), "displayName", "Made By Role Test", "password", WebFixture.PASSWORD,
                    "role", "agent", "group." + supportGroup, "read");
        }
        if (path.equals("/admin/mailboxes")) {
            return Map.of("id", "roles-page", "address", "page@desk.example.test", "imapHost", "imap.example.test",
                    "secretRef", "roles", "group", "Support");
        }
        if (path.equals("/admin/groups")) {
            return Map.of("name", "Support");
        }
        if (path.startsWith("/admin/groups/")) {
            return Map.of("email", targetEmail, "access", "full");
        }
        if (path.endsWith("/tokens")) {
            return Map.of("name", "role test");
        }
        if (path.equals("/admin/macros")) {
            return Map.of("name", "Role page " + UUID.randomUUID(), "body", "Hello {{agent.name}}");
        }
        if (path.startsWith("/admin/sla/policies")) {
            return Map.of("group", "Support", "priority", "low", "firstResponse", "8h");
        }
        if (path.equals("/admin/sla/calendars")) {
            return Map.of("name", "Roles", "zone", "UTC", "hours", "mon-fri=08:00-16:00");
        }
        if (path.equals("/admin/sla/holidays")) {
            return Map.of("calendar", "Roles", "day", "2026-12-25", "name", "Christmas");
        }
        return Map.of("role", "agent", "active", "true", "password", WebFixture.PASSWORD, "group." + supportGroup, "full");
    }

    /** One caller's browser (with its session and CSRF token) and API token. */
    private static final class Session {
        private final WebFixture.Browser browser;
        private final String token;
        private final String csrf;

        Session(Caller caller) {
            if (caller == Caller.ANONYMOUS) {
                browser = web.browser();
                token = null;
                csrf = "";
            } else {
                browser = web.loggedInAs(emails.get(caller));
                token = web.apiTokenOf(emails.get(caller));
                csrf = browser.csrf();
            }
        }

        HttpResponse<String> call(RouteTable.Route route) {
            String path = route.path()
                    .replace("/users/{id}/tokens/{tokenId}", "/users/" + target + "/tokens/" + targetToken)
                    .replace("/users/{id}", "/users/" + target)
                    .replace("/groups/{id}", "/groups/" + supportGroup)
                    .replace("/attachments/{id}", "/attachments/" + attachmentId)
                    .replace("/inbound/{id}", "/inbound/" + inboundId)
                    .replace("/quarantine/{id}/{action}", "/quarantine/987654321/retry")
                    .replace("/views/{id}", "/views/" + targetView)
                    .replace("/held-replies/{id}", "/held-replies/" + targetHeld)
                    .replace("/admin/macros/{id}", "/admin/macros/987654321")
                    .replace("/macros/{id}", "/macros/" + editedMacro)
                    .replace("{messageId}", Long.toString(messageId))
                    .replace("{id}/merge", mergeable + "/merge")
                    .replace("{id}/unmerge", mergeable + "/unmerge")
                    .replace("{id}/split", mergeable + "/split")
                    .replace("{otherId}", Long.toString(mergeable))
                    .replace("{id}", Long.toString(ticket));
            String key = UUID.randomUUID().toString();
            if (path.startsWith("/api/") || path.equals("/metrics")) {
                String body = switch (route.method()) {
                    case GET, DELETE -> null;
                    case PATCH -> path.startsWith("/api/v1/admin/") ? "{\"role\": \"agent\"}" : "{\"priority\": \"normal\"}";
                    case PUT -> path.startsWith("/api/v1/macros/") ? "{\"name\": \"Role edited\", \"body\": \"edited\"}"
                            : path.endsWith("/round-robin") ? "{\"cap\": null}"
                            : "{\"members\": {\"" + targetEmail + "\": \"full\"}}";
                    case POST -> path.startsWith("/api/v1/quarantine") || path.endsWith("/revoke") ? ""
                            : path.equals("/api/v1/admin/users") ? "{\"email\": \"" + web.newStaffEmail() + "\", \"password\": \""
                                    + WebFixture.PASSWORD + "\", \"role\": \"agent\", \"groups\": {\"Support\": \"read\"}}"
                            : path.endsWith("/tokens") ? "{\"name\": \"role test\"}"
                            : path.equals("/api/v1/admin/groups") ? "{\"name\": \"Support\"}"
                            : path.equals("/api/v1/admin/mailboxes") ? "{\"id\": \"roles-api\", \"address\": \"api@desk.example.test\", "
                                    + "\"imapHost\": \"imap.example.test\", \"secretRef\": \"roles\", \"group\": \"Support\"}"
                            : path.equals("/api/v1/macros") ? "{\"name\": \"Role api " + key + "\", \"body\": \"hi\"}"
                            : path.endsWith("/macro") ? "{\"macro\": " + cannedReply + "}"
                            : path.endsWith("/merge") ? "{\"into\": \"T-9001\"}"
                            : path.endsWith("/unmerge") ? ""
                            : path.endsWith("/links") ? "{\"child\": " + mergeable + "}"
                            : path.endsWith("/split") ? "{\"messageId\": " + newestMessageOf(mergeable) + "}"
                            : path.endsWith("/bulk") ? "{\"ids\": [" + ticket + "], \"priority\": \"normal\"}"
                            : path.equals("/api/v1/views") ? "{\"name\": \"Role test\", \"query\": \"status=open\", \"sort\": \"oldest\"}"
                            : "{\"body\": \"from the role test\"}";
                };
                return web.api(route.method().name(), path, token, body, Map.of("Idempotency-Key", key));
            }
            if (path.equals("/events")) {
                return browser.getOpening(path);
            }
            if (path.equals("/presence")) {
                return browser.get(path + "?ticket=" + ticket);
            }
            if (route.method() == RouteTable.Method.GET) {
                return browser.get(path);
            }
            Map<String, String> form = new LinkedHashMap<>();
            form.put("csrf", csrf);
            if (path.equals("/login")) {
                form.put("email", "nobody@example.test");
                form.put("password", "wrong password");
                WebFixture.Browser stranger = web.browser();
                form.put("csrf", WebFixture.hiddenField(stranger.get("/login").body(), "csrf"));
                return stranger.post(path, form);
            }
            if (path.endsWith("/reply") || path.endsWith("/note")) {
                form.put("body", "from the role test");
                form.put("idempotency_key", key);
                return browser.postMultipart(path, form, List.of());
            }
            if (path.startsWith("/admin/")) {
                form.putAll(adminForm(path));
                return browser.post(path, form);
            }
            if (path.endsWith("/macro")) {
                form.put("macro", Long.toString(cannedReply));
                return browser.post(path, form);
            }
            if (path.equals("/tickets/bulk")) {
                form.put("ids", Long.toString(ticket));
                form.put("action", "priority:normal");
                return browser.post(path, form);
            }
            if (path.endsWith("/presence")) {
                form.put("client", "route-by-role-test");
                form.put("activity", "viewing");
                return browser.post(path, form);
            }
            if (path.equals("/tickets/views")) {
                form.put("name", "Role test");
                form.put("query", "status=open&sort=oldest");
                return browser.post(path, form);
            }
            form.put("into", "T-9001");
            form.put("other", Long.toString(mergeable));
            form.put("relation", "child");
            if (path.endsWith("/split")) {
                form.put("message", Long.toString(newestMessageOf(mergeable)));
            }
            form.put("status", "open");
            form.put("priority", "normal");
            form.put("owner", "none");
            form.put("group", "Support");
            return browser.post(path, form);
        }
    }
}
