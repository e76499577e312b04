package dev.ticketd.mail;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.db.generated.tables.records.InboundMessageRecord;
import dev.ticketd.db.generated.tables.records.TicketRecord;
import dev.ticketd.mail.testing.Eml;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.mail.testing.TestMailServer.rfc822;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The corpus: every fixture in {@code eml/}, against its line in {@code eml/expectations.psv}, twice over:
 * parsed as a pure function, and taken in for real — all fixtures appended (byte for byte) to a
 * GreenMail INBOX, read by a {@link MailboxReader} into PostgreSQL, in the order of their names. Each
 * mail must end as the line says: a new ticket (acknowledged or not), a message on the ticket it
 * answers, a linked ticket for review, a bounce on the ticket it reports on, a quarantine entry with its
 * reason, or nothing new because it was stored before. None may stay in the INBOX.
 *
 * <p>Before the corpus, one mail of Ann's opened T-1000 ("VPN drops every hour", {@code <seed-1@example.test>})
 * and staff answered it twice: {@code <reply.abc@support.example.test>} to Ann and
 * {@code <reply.def@support.example.test>} to Bob, both sent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EmlFixturesTest {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "secret-support";

    /**
     * @param route how the mail was taken in: {@code opened}, {@code threaded} (into T-1000), {@code linked}
     *              (a new ticket linked to T-1000 for review), {@code bounce} or {@code bounce, our reply failed}
     *              (on T-1000), {@code quarantine} (the reason is {@code outcome}'s, or the text after a colon),
     *              {@code duplicate} (stored before: nothing new)
     * @param ack   {@code ack} or {@code no-ack} for a mail that opened a ticket, else {@code -}
     */
    record Expectation(String file, String outcome, String subject, String text, boolean html, List<String> attachments,
                       String route, String ack) {
        @Override
        public String toString() {
            return file + " -> " + route + (ack.equals("-") ? "" : ", " + ack);
        }
    }

    private final MailParser parser = new MailParser();
    private final Map<String, String> actual = new LinkedHashMap<>();
    private Database db;
    private TestMailServer mail;
    private long uidValidity;
    private Map<String, Long> uidOf;
    private long seedTicketId;

    static Stream<Expectation> expectations() {
        try (InputStream in = EmlFixturesTest.class.getResourceAsStream("/eml/expectations.psv")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#"))
                    .map(l -> Arrays.stream(l.split("\\|", -1)).map(String::strip).toList())
                    .map(f -> new Expectation(f.get(0), f.get(1), f.get(2), f.get(3), f.get(4).equals("yes"),
                            f.get(5).isEmpty() ? List.of() : Arrays.stream(f.get(5).split(";")).map(String::strip).toList(),
                            f.get(6), f.get(7)))
                    .toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @BeforeAll
    void takeTheWholeCorpusInThroughImap() {
        db = TestPostgres.freshDatabase();
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        // with an SMTP server, so acknowledgements are queued (no sender runs here: they wait in the outbox)
        db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, "support").set(MAILBOX.ADDRESS, SUPPORT)
                .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, mail.imapPort())
                .set(MAILBOX.IMAP_USER, SUPPORT).set(MAILBOX.SECRET_REF, "support")
                .set(MAILBOX.SMTP_HOST, "127.0.0.1").set(MAILBOX.SMTP_PORT, 25).execute();
        long epoch = new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).acquire("support", "corpus");
        IngestStore store = new IngestStore(db, parser, new TicketsFromMail());

        assertThat(store.ingest(new IngestStore.IncomingMail("support", 1, 1, rfc822("""
                From: Ann <ann@example.test>
                To: support@example.test
                Subject: VPN drops every hour
                Message-ID: <seed-1@example.test>
                Content-Type: text/plain; charset=UTF-8

                It drops every hour.
                """)), epoch)).isEqualTo(IngestStore.Outcome.TICKETED);
        TicketRecord seed = db.dsl().selectFrom(TICKET).fetchSingle();
        assertThat(seed.getNumber()).isEqualTo("T-1000");
        seedTicketId = seed.getId();
        for (String[] reply : new String[][]{{"<reply.abc@support.example.test>", "ann@example.test"},
                {"<reply.def@support.example.test>", "bob@example.test"}}) {
            db.dsl().insertInto(OUTBOX).set(OUTBOX.MAILBOX_ID, "support").set(OUTBOX.TICKET_ID, seedTicketId)
                    .set(OUTBOX.MESSAGE_ID, reply[0]).set(OUTBOX.TO_ADDRESS, reply[1])
                    .set(OUTBOX.SUBJECT, "Re: VPN drops every hour [T-1000]").set(OUTBOX.BODY_TEXT, "Restart the client.")
                    .set(OUTBOX.STATUS, "sent").execute();
        }

        List<String> files = expectations().map(Expectation::file).toList();
        List<Long> uids = mail.appendRaw(SUPPORT, PASSWORD, "INBOX", files.stream().map(Eml::load).toList());
        uidValidity = mail.uidValidity(SUPPORT, PASSWORD, "INBOX");
        uidOf = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            uidOf.put(files.get(i), uids.get(i));
        }

        try (MailboxReader reader = new MailboxReader(mail.mailbox("support", SUPPORT, PASSWORD, "INBOX"), store, epoch,
                Clock.systemUTC())) {
            reader.start();
            await().atMost(TestTimeouts.seconds(120)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                assertThat(mail.uids(SUPPORT, PASSWORD, "INBOX")).isEmpty();
                assertThat(mail.uids(SUPPORT, PASSWORD, "Processed")).hasSize(files.size());
            });
        }
    }

    @AfterAll
    void writeWhatHappenedAndStop() throws IOException {
        // what each fixture became, for a person reading the build output
        StringBuilder table = new StringBuilder();
        actual.forEach((file, outcome) -> table.append(file).append(" | ").append(outcome).append('\n'));
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "corpus-outcomes.psv"), table);
        if (mail != null) {
            mail.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("expectations")
    void eachFixtureIsParsedAndTakenInAsExpected(Expectation e) {
        ParseResult result = parser.parse(Eml.load(e.file()));
        if (e.outcome().startsWith("failed:")) {
            assertThat(result).isInstanceOf(ParseResult.Failed.class);
            assertThat(((ParseResult.Failed) result).reason()).startsWith(e.outcome().substring("failed:".length()).strip());
        } else {
            assertThat(result).as(result.toString()).isInstanceOf(ParseResult.Parsed.class);
            ParsedMail parsed = ((ParseResult.Parsed) result).mail();
            assertThat(parsed.subject()).isEqualTo(e.subject());
            assertThat(parsed.textBody()).contains(e.text());
            assertThat(parsed.htmlBody().isPresent()).as("html body present").isEqualTo(e.html());
            assertThat(parsed.attachments()).extracting(MailAttachment::filename).containsExactlyElementsOf(e.attachments());
            parsed.htmlBody().ifPresent(html -> assertThat(html).doesNotContainIgnoringCase("<script")
                    .doesNotContainIgnoringCase("<iframe").doesNotContainIgnoringCase("javascript:")
                    .doesNotContainPattern("(?i)\\son[a-z]+\\s*=").doesNotContainPattern("(?i)src\\s*=\\s*\"https?:"));
        }

        String outcome = takenIn(e.file());
        actual.put(e.file(), outcome);
        String route = e.route().equals("quarantine") ? "quarantine: " + e.outcome().substring("failed:".length()).strip()
                : e.route();
        assertThat(outcome).as("what became of " + e.file()).startsWith(route).endsWith(" | " + e.ack());
    }

    @Test
    void everyFixtureHasAnExpectationAndThereAreAtLeastSixty() throws IOException, URISyntaxException {
        Path dir = Path.of(EmlFixturesTest.class.getResource("/eml/expectations.psv").toURI()).getParent();
        List<String> files;
        try (Stream<Path> paths = Files.list(dir)) {
            files = paths.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".eml")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(60);
        assertThat(expectations().map(Expectation::file).toList()).isEqualTo(files);
    }

    @Test
    void noMailIsLostOrStoredTwice() {
        long duplicates = expectations().filter(e -> e.route().equals("duplicate")).count();
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(1 + uidOf.size() - duplicates);
        // every stored mail is either on exactly one ticket or in quarantine
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE, INBOUND_MESSAGE.PARSE_STATUS.eq("parsed")))
                .isEqualTo(db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.INBOUND_MESSAGE_ID.isNotNull()));
    }

    /** What became of the fixture, as {@code route | ack}; a quarantined mail as {@code quarantine: reason | -}. */
    private String takenIn(String file) {
        InboundMessageRecord row = db.dsl().selectFrom(INBOUND_MESSAGE).where(INBOUND_MESSAGE.MAILBOX_ID.eq("support"))
                .and(INBOUND_MESSAGE.UIDVALIDITY.eq(uidValidity)).and(INBOUND_MESSAGE.UID.eq(uidOf.get(file))).fetchOne();
        if (row == null) {
            boolean sameContentStored = db.dsl().fetchExists(INBOUND_MESSAGE,
                    INBOUND_MESSAGE.CONTENT_KEY.eq(ContentKey.of(Eml.load(file))));
            return (sameContentStored ? "duplicate" : "LOST") + " | -";
        }
        if (row.getParseStatus().equals("failed")) {
            return "quarantine: " + row.getParseError() + " | -";
        }
        List<Long> tickets = db.dsl().select(TICKET_MESSAGE.TICKET_ID).from(TICKET_MESSAGE)
                .where(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(row.getId())).fetch(TICKET_MESSAGE.TICKET_ID);
        if (tickets.size() != 1) {
            return "on " + tickets.size() + " tickets | -";
        }
        long ticketId = tickets.get(0);
        String bounce = db.dsl().select(DSL.field("{0}->>'outboxFailed'", String.class, AUDIT_LOG.DETAIL)).from(AUDIT_LOG)
                .where(AUDIT_LOG.ACTION.eq("ticket.bounce_attached"))
                .and(DSL.field("({0}->>'inboundMessageId')::bigint", Long.class, AUDIT_LOG.DETAIL).eq(row.getId()))
                .fetchOne(0, String.class);
        if (bounce != null) {
            return (ticketId == seedTicketId ? "bounce" : "bounce on another ticket")
                    + (bounce.equals("true") ? ", our reply failed" : "") + " | -";
        }
        if (ticketId == seedTicketId) {
            return "threaded | -";
        }
        TicketRecord ticket = db.dsl().selectFrom(TICKET).where(TICKET.ID.eq(ticketId)).fetchSingle();
        String route = ticket.getLinkedTicketId() == null ? "opened"
                : ticket.getLinkedTicketId() == seedTicketId && ticket.getNeedsReview() ? "linked" : "linked elsewhere";
        int acks = db.dsl().fetchCount(OUTBOX, OUTBOX.TICKET_ID.eq(ticketId).and(OUTBOX.KIND.eq("ack")));
        return route + " | " + (acks == 1 ? "ack" : acks == 0 ? "no-ack" : acks + " acks");
    }
}
