package dev.ticketd.node.live;

import dev.ticketd.desk.GroupAccess;
import dev.ticketd.desk.Viewer;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.web.WebFixture;
import dev.ticketd.node.web.WebServer;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_PRESENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Live updates and presence between two web servers ("nodes") on one real PostgreSQL: a change made
 * through one reaches an event stream of the other through LISTEN/NOTIFY, a stream resumes from its
 * position, nobody hears of tickets outside their groups, presence needs the CSRF token and expires.
 */
class LiveUpdatesTest {

    private static WebFixture web;
    private static WebServer other;
    private static String ana;
    private static String ben;
    private static String billingAgent;
    private static long ticket;
    private static long billingTicket;

    @BeforeAll
    static void start() {
        web = new WebFixture();
        other = web.newServer(Clock.systemUTC());
        String mailbox = web.data.mailbox("live", "help@live.example.test", "Support");
        web.data.mailbox("live-billing", "billing@live.example.test", "Billing");
        ana = web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL));
        ben = web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL));
        billingAgent = web.staff(Role.AGENT, Map.of("Billing", GroupAccess.FULL));
        ticket = web.data.ticket("T-7001", "Printer on fire", "open", mailbox, "kim@customer.example");
        billingTicket = web.data.ticket("T-7002", "Invoice twice", "open", "live-billing", "lee@customer.example");
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, web.data.group("Billing")).where(TICKET.ID.eq(billingTicket)).execute();
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, web.data.group("Support")).where(TICKET.ID.eq(ticket)).execute();
    }

    @AfterAll
    static void stop() {
        if (other != null) {
            other.close();
        }
        if (web != null) {
            web.close();
        }
    }

    @Test
    void aNoteAddedOnOneNodeReachesAStreamOnTheOtherAndAStreamResumesFromItsPosition() {
        WebFixture.Browser anaOnOther = web.loggedInAs(ana).on(other.port());
        WebFixture.Browser benHere = web.loggedInAs(ben);
        long position;
        try (EventStreamClient stream = EventStreamClient.open(other.port(), anaOnOther, null)) {
            assertThat(stream.status).isEqualTo(200);
            position = Long.parseLong(stream.await("ready", "position").id());

            addNote(benHere, ticket, "first note");

            EventStreamClient.Event event = stream.await("ticket", "\"ticket\":" + ticket);
            assertThat(Long.parseLong(event.id())).isGreaterThan(position);
            assertThat(event.data()).as("ids only, never text").doesNotContain("first note");
        }
        addNote(benHere, ticket, "second note, while Ana was away");

        try (EventStreamClient resumed = EventStreamClient.open(web.server.port(), web.loggedInAs(ana), Long.toString(position))) {
            resumed.await("ready", "position");
            List<Long> replayed = resumed.named("ticket").stream().map(e -> Long.parseLong(e.id())).toList();
            // with the look-back (EventLog.LOOK_BACK) a few events at or before the position come again
            assertThat(replayed).as("in position order").isSorted();
            assertThat(replayed.stream().filter(p -> p > position)).as("both notes' events").hasSizeGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void anAgentHearsNothingOfTicketsOutsideTheirGroups() {
        WebFixture.Browser billing = web.loggedInAs(billingAgent);
        try (EventStreamClient stream = EventStreamClient.open(web.server.port(), billing, null)) {
            stream.await("ready", "position");
            addNote(web.loggedInAs(ben), ticket, "a Support matter");
            addNote(billing, billingTicket, "a Billing matter");

            stream.await("ticket", "\"ticket\":" + billingTicket);
            assertThat(stream.named("ticket")).noneMatch(e -> e.data().contains("\"ticket\":" + ticket + ","));
        }
    }

    @Test
    void theEventStreamNeedsALogin() {
        try (EventStreamClient stream = EventStreamClient.open(web.server.port(), web.browser(), null)) {
            assertThat(stream.status).isEqualTo(303);
        }
    }

    @Test
    void presenceIsSharedByTheNodesNeedsTheCsrfTokenAndIsOnlyShownToThoseWhoSeeTheTicket() {
        WebFixture.Browser anaBrowser = web.loggedInAs(ana);
        WebFixture.Browser benOnOther = web.loggedInAs(ben).on(other.port());
        String client = UUID.randomUUID().toString();

        HttpResponse<String> forged = anaBrowser.post("/tickets/" + ticket + "/presence", Map.of("client", client, "activity", "viewing"));
        assertThat(forged.statusCode()).isEqualTo(403);

        try (EventStreamClient stream = EventStreamClient.open(other.port(), benOnOther, null)) {
            stream.await("ready", "position");
            assertThat(anaBrowser.post("/tickets/" + ticket + "/presence", Map.of("csrf", anaBrowser.csrf(), "client", client,
                    "activity", "replying")).statusCode()).isEqualTo(204);
            stream.await("presence", "\"ticket\":" + ticket);
        }
        assertThat(benOnOther.get("/presence?ticket=" + ticket).body()).contains("\"activity\":\"replying\"").contains("Agent " + ana);
        assertThat(anaBrowser.get("/presence?ticket=" + ticket).body()).as("nobody is shown themselves").doesNotContain("Agent " + ana);
        WebFixture.Browser billing = web.loggedInAs(billingAgent);
        assertThat(billing.get("/presence?ticket=" + ticket).body()).isEqualTo("{\"tickets\":{}}");
        assertThat(billing.post("/tickets/" + ticket + "/presence", Map.of("csrf", billing.csrf(), "client", client,
                "activity", "viewing")).statusCode()).as("a ticket of another group does not exist for them").isEqualTo(404);

        assertThat(anaBrowser.post("/tickets/" + ticket + "/presence", Map.of("csrf", anaBrowser.csrf(), "client", client,
                "activity", "left")).statusCode()).isEqualTo(204);
        assertThat(benOnOther.get("/presence?ticket=" + ticket).body()).doesNotContain("Agent " + ana);
    }

    @Test
    void presenceThatIsNotRefreshedExpiresAndItsSweepIsAnnounced() {
        // long enough to be seen right after it is written, short enough to watch it expire; stretched on a slow machine
        Presence shortLived = new Presence(web.db, web.db.transactions(), TestTimeouts.seconds(1));
        var viewer = viewer(ana);
        shortLived.here(viewer, ticket, "expiring-page", Presence.Activity.VIEWING);
        var benViewer = viewer(ben);
        assertThat(shortLived.on(benViewer, List.of(ticket))).containsKey(ticket);

        await().atMost(TestTimeouts.seconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> shortLived.on(benViewer, List.of(ticket)).isEmpty());
        try (EventStreamClient stream = EventStreamClient.open(web.server.port(), web.loggedInAs(ben), null)) {
            stream.await("ready", "position");
            assertThat(shortLived.sweep()).isGreaterThanOrEqualTo(1);
            stream.await("presence", "\"ticket\":" + ticket);
        }
        assertThat(web.db.dsl().fetchCount(TICKET_PRESENCE, TICKET_PRESENCE.CLIENT_ID.eq("expiring-page"))).isZero();
    }

    @Test
    void aMemberOfStaffHoldsAtMostFourStreamsOnANode() {
        WebFixture.Browser browser = web.loggedInAs(web.staff(Role.AGENT, Map.of("Support", GroupAccess.READ)));
        List<EventStreamClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < LiveSettings.DEFAULT.streamsPerUser(); i++) {
                EventStreamClient s = EventStreamClient.open(web.server.port(), browser, null);
                open.add(s);
                s.await("ready", "position");
            }
            EventStreamClient fifth = EventStreamClient.open(web.server.port(), browser, null);
            open.add(fifth);
            assertThat(fifth.status).isEqualTo(429);
            assertThat(EventStreamClient.open(other.port(), browser.on(other.port()), null).status)
                    .as("the bound is per node").isEqualTo(200);
        } finally {
            open.forEach(EventStreamClient::close);
        }
    }

    private static Viewer viewer(String email) {
        return new Viewer(web.db.dsl().select(STAFF_USER.ID).from(STAFF_USER).where(STAFF_USER.EMAIL.eq(email)).fetchSingle(STAFF_USER.ID),
                email, false);
    }

    private static void addNote(WebFixture.Browser browser, long ticketId, String text) {
        HttpResponse<String> r = browser.postMultipart("/tickets/" + ticketId + "/note", Map.of("csrf", browser.csrf(),
                "idempotency_key", UUID.randomUUID().toString(), "body", text), List.of());
        assertThat(r.statusCode()).as(new String(r.body().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo(303);
    }
}
