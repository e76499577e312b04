package dev.ticketd.node.watch;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.mail.Canary;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.MailboxReader;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.mail.outbound.SmtpSettings;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.CANARY_PROBE;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The canary against a real PostgreSQL and a real mail server (GreenMail): its mail goes out through
 * the mailbox's SMTP route, a real reader takes it in once and into no ticket, a customer's copy of
 * the header is ordinary mail, and a route that refuses the canary makes two late ones in a row —
 * the stall rule's input — quickly.
 */
class CanariesTest {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "support-secret";

    private Database db;
    private TestMailServer mail;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        mail.registerMailbox(db.dsl(), "support", SUPPORT);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        mail.close();
        db.close();
    }

    private SmtpSettings route(int port) {
        return new SmtpSettings("127.0.0.1", port, TransportSecurity.NONE, null, null, SUPPORT, "", Duration.ofSeconds(2),
                Duration.ofSeconds(5), Duration.ofSeconds(5));
    }

    private Canaries canaries(SmtpSettings route, Duration deadline) {
        Canaries c = new Canaries(db, id -> Optional.of(route), id -> Optional.empty(), "node-a", Duration.ofSeconds(60), deadline);
        closing.add(c);
        return c;
    }

    private static Sample.MailboxSignal support() {
        return new Sample.MailboxSignal("support", SUPPORT, false, "node-a", Duration.ZERO, null, null);
    }

    private MailboxReader reader() {
        long epoch = new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).acquire("support", "node-a");
        MailboxReader reader = new MailboxReader(mail.mailbox("support", SUPPORT, PASSWORD, "INBOX"),
                new IngestStore(db, new MailParser(), new TicketsFromMail()), epoch, Clock.systemUTC());
        closing.add(reader::close);
        return reader;
    }

    @Test
    void aCanaryGoesOutThroughTheRouteAndComesBackThroughIntakeOnceIntoNoTicket() {
        Canaries canaries = canaries(route(mail.smtpPort()), Duration.ofSeconds(30));
        List<Sample.CanarySignal> first = canaries.round(List.of(support()), Instant.now());
        assertThat(first).singleElement().satisfies(s -> assertThat(s.lateInARow()).isZero());
        await().atMost(Duration.ofSeconds(20)).until(() -> canaries.sent() == 1);
        // a customer copied a canary's header (with a made-up token): ordinary mail, a ticket
        mail.send(SUPPORT, List.of(TestMailServer.rfc822("From: someone@example.org\nTo: " + SUPPORT + "\nSubject: copied\n"
                + "Message-ID: <copied@example.org>\n" + Canary.HEADER + ": " + Canary.newToken() + "\n\nplease help\n")));

        reader().start();
        await().atMost(Duration.ofSeconds(30)).until(() -> db.dsl().fetchCount(CANARY_PROBE, CANARY_PROBE.RECEIVED_AT.isNotNull()) == 1
                && db.dsl().fetchCount(TICKET) == 1);

        var probe = db.dsl().selectFrom(CANARY_PROBE).fetchSingle();
        assertThat(probe.getSendError()).isNull();
        assertThat(probe.getSentBy()).isEqualTo("node-a");
        var stored = db.dsl().selectFrom(INBOUND_MESSAGE).where(INBOUND_MESSAGE.ID.eq(probe.getInboundMessageId())).fetchSingle();
        assertThat(stored.getMessageId()).isEqualTo(probe.getMessageId());
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(stored.getId())))
                .as("the canary is in no ticket").isZero();
        assertThat(db.dsl().select(TICKET.SUBJECT).from(TICKET).fetchSingle().value1()).isEqualTo("copied");
        assertThat(mail.uids(SUPPORT, PASSWORD, "INBOX")).as("both left the INBOX").isEmpty();
        // the sweep deletes the canary from the Processed folder; the customer's mail with a copied header stays
        assertThat(mail.subjects(SUPPORT, PASSWORD, "Processed")).hasSize(2);
        assertThat(canaries.sweep(mail.mailbox("support", SUPPORT, PASSWORD, "INBOX"))).isEqualTo(1);
        assertThat(mail.subjects(SUPPORT, PASSWORD, "Processed")).containsExactly("copied");
        // the next round sees it back in time, and sends no other canary before the interval
        List<Sample.CanarySignal> next = canaries.round(List.of(support()), Instant.now());
        assertThat(next).singleElement().satisfies(s -> {
            assertThat(s.lateInARow()).isZero();
            assertThat(s.lastTook()).isNotNull().isLessThan(Duration.ofSeconds(30));
        });
        assertThat(db.dsl().fetchCount(CANARY_PROBE)).isEqualTo(1);
    }

    @Test
    void aRouteThatRefusesTheCanaryGivesTwoLateOnesInARowAndTheStallRuleFires() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Canaries canaries = canaries(route(closedPort), Duration.ofSeconds(1));
        canaries.round(List.of(support()), Instant.now());
        await().atMost(Duration.ofSeconds(20)).until(() -> canaries.failed() == 1);
        // the first late canary is followed by another as soon as its deadline passed, not an interval later
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> canaries.round(List.of(support()), Instant.now()).get(0).lateInARow() >= 1 && canaries.failed() == 2);
        Sample.CanarySignal late = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> canaries.round(List.of(support()), Instant.now()).get(0), s -> s.lateInARow() == 2);
        assertThat(late.lastError()).contains("Connect");

        WatchSettings settings = WatchSettings.defaults();
        StallRules rules = new StallRules(settings, "node-a");
        Sample sample = new Sample(Instant.now(), List.of(support()), List.of(), new Sample.DatabaseSignal(null, false, 0),
                new Sample.ClusterSignal(List.of(new Sample.NodeSignal("node-a", null))), List.of(late));
        assertThat(rules.evaluate(sample)).singleElement().satisfies(f -> {
            assertThat(f.rule()).isEqualTo(StallRules.MAILBOX_STALLED);
            assertThat(f.severity()).isEqualTo(Finding.Severity.STALL);
            assertThat(f.subject()).isEqualTo(SUPPORT);
            assertThat(f.summary()).contains("refused by its SMTP route");
        });
        // a paused mailbox raises nothing, whatever its canaries say
        Sample paused = new Sample(Instant.now(), List.of(new Sample.MailboxSignal("support", SUPPORT, true, null, null, null, null)),
                List.of(), new Sample.DatabaseSignal(null, false, 0), null, List.of(late));
        assertThat(new StallRules(settings, "node-a").evaluate(paused)).isEmpty();
    }

    @Test
    void lateIsJudgedByTheDeadlineAndACanaryStillOnItsWayCountsNeitherWay() {
        Canaries c = new Canaries(db, id -> Optional.empty(), id -> Optional.empty(), "node-a", Duration.ofSeconds(60), Duration.ofSeconds(30));
        closing.add(c);
        Canaries.Probe onItsWay = new Canaries.Probe(Duration.ofSeconds(10), null, null);
        Canaries.Probe missing = new Canaries.Probe(Duration.ofSeconds(40), null, null);
        Canaries.Probe slow = new Canaries.Probe(Duration.ofSeconds(100), Duration.ofSeconds(31), null);
        Canaries.Probe inTime = new Canaries.Probe(Duration.ofSeconds(160), Duration.ofSeconds(2), null);
        assertThat(c.signal(support(), List.of(onItsWay, missing, slow, inTime)).lateInARow()).isEqualTo(2);
        assertThat(c.signal(support(), List.of(onItsWay, inTime, missing)).lateInARow()).isZero();
        assertThat(c.isDue(List.of())).as("none sent yet").isTrue();
        assertThat(c.isDue(List.of(onItsWay))).isFalse();
        assertThat(c.isDue(List.of(missing, inTime))).as("a first late one: another at once").isTrue();
        assertThat(c.isDue(List.of(missing, slow))).as("still late: another every deadline, to see the end soon").isTrue();
        assertThat(c.isDue(List.of(new Canaries.Probe(Duration.ofSeconds(15), null, null), missing))).as("one on its way").isFalse();
        assertThat(c.isDue(List.of(new Canaries.Probe(Duration.ofSeconds(61), Duration.ofSeconds(1), null)))).isTrue();
    }

    @Test
    void aMailboxWithoutAnSmtpRouteGetsNoCanary() {
        db.dsl().update(MAILBOX).setNull(MAILBOX.SMTP_HOST).execute();
        Canaries c = new Canaries(db, id -> Optional.empty(), id -> Optional.empty(), "node-a", Duration.ofSeconds(60), Duration.ofSeconds(30));
        closing.add(c);
        assertThat(c.round(List.of(support()), Instant.now())).isEmpty();
        assertThat(db.dsl().fetchCount(CANARY_PROBE)).isZero();
    }
}
