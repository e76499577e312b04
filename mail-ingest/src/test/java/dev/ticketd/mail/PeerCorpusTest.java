package dev.ticketd.mail;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.db.generated.tables.records.InboundMessageRecord;
import dev.ticketd.mail.testing.Eml;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Other projects' test mails (Apache James Mime4j with MIME-tools', and the Ruby mail library's, in
 * {@code peer-corpus/}), each against its line in {@code peer-corpus.psv}, twice over: parsed as a pure
 * function, and taken in for real — every file appended byte for byte to a GreenMail INBOX, in the
 * order of its path, and read by a {@link MailboxReader} into PostgreSQL. No file may be lost or
 * stored twice: each is exactly one inbound message (or, when its content is the same as an earlier
 * file's, recognised as that file's second delivery), and each ticket file is exactly one ticket message.
 *
 * <p>These mails were written to break parsers. The line says what a person opening the file in a
 * mail program would see: a fragment of the text they would read and the names of its files. A mail
 * whose sender nobody can read ends in the quarantine, with a reason a support person understands.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PeerCorpusTest {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "secret-support";
    private static final String ROOT = "/peer-corpus";
    /** The files beside the mails that are no mails: licences and read-mes. */
    private static final Set<String> NOT_MAIL = Set.of("LICENSE", "NOTICE", "MIT-LICENSE", "ARTISTIC-LICENSE.txt",
            "README.txt", "README.md", ".gitattributes");
    /**
     * Mails GreenMail refuses to APPEND (it builds a body structure and throws on a part with two
     * Content-Disposition headers; a real IMAP server stores any bytes). They are
     * handed to the same {@link IngestStore} the reader uses, as the reader would have.
     */
    private static final Set<String> REFUSED_BY_GREENMAIL = Set.of(
            "mikel-mail/spec/fixtures/emails/error_emails/multiple_invalid_content_dispositions.eml");

    /**
     * @param outcome     {@code ticket}, or {@code quarantine: <reason prefix>}: the parser's reason, or
     *                    the one intake gives a mail it read but will not make a ticket of
     * @param text        a fragment of the text body (a ticket's; empty when the mail has no text)
     * @param attachments the attachment file names in the order of the mail
     * @param copyOf      the earlier file whose second delivery this is (same content), or {@code -}
     */
    record Expectation(String file, String outcome, String text, List<String> attachments, String copyOf) {
        boolean ticket() {
            return outcome.equals("ticket");
        }

        String reason() {
            return outcome.substring("quarantine:".length()).strip();
        }

        @Override
        public String toString() {
            return file + " -> " + outcome + (copyOf.equals("-") ? "" : ", a copy of " + copyOf);
        }
    }

    private final MailParser parser = new MailParser();
    private final Map<String, String> actual = new ConcurrentHashMap<>();
    private Database db;
    private TestMailServer mail;
    private long uidValidity;
    private Map<String, Long> uidOf;

    static Stream<Expectation> expectations() {
        try (InputStream in = PeerCorpusTest.class.getResourceAsStream("/peer-corpus.psv")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#"))
                    .map(l -> Arrays.stream(l.split("\\|", -1)).map(String::strip).toList())
                    .map(f -> new Expectation(f.get(0), f.get(1), f.get(2),
                            f.get(3).isEmpty() ? List.of() : Arrays.stream(f.get(3).split(";")).map(String::strip).toList(),
                            f.get(4)))
                    .toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] load(String file) {
        try (InputStream in = PeerCorpusTest.class.getResourceAsStream(ROOT + "/" + file)) {
            if (in == null) {
                throw new IllegalArgumentException("no corpus file " + file);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> corpusFiles() throws IOException, URISyntaxException {
        Path dir = Path.of(PeerCorpusTest.class.getResource(ROOT).toURI());
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(Files::isRegularFile).filter(p -> !NOT_MAIL.contains(p.getFileName().toString()))
                    .map(p -> dir.relativize(p).toString().replace('\\', '/')).sorted().toList();
        }
    }

    @BeforeAll
    void takeTheWholeCorpusInThroughImap() {
        db = TestPostgres.freshDatabase();
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        mail.registerMailbox(db.dsl(), "support", SUPPORT);
        long epoch = new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).acquire("support", "corpus");
        IngestStore store = new IngestStore(db, parser, new TicketsFromMail());

        List<String> files = expectations().map(Expectation::file).toList();
        List<String> appended = files.stream().filter(f -> !REFUSED_BY_GREENMAIL.contains(f)).toList();
        List<Long> uids = mail.appendRaw(SUPPORT, PASSWORD, "INBOX", appended.stream().map(PeerCorpusTest::load).toList());
        uidOf = new LinkedHashMap<>();
        for (int i = 0; i < appended.size(); i++) {
            uidOf.put(appended.get(i), uids.get(i));
        }
        List<String> refused = new ArrayList<>();
        for (String file : REFUSED_BY_GREENMAIL) {
            try {
                mail.appendRaw(SUPPORT, PASSWORD, "Refused", List.of(load(file)));
            } catch (IllegalStateException refusedByGreenMail) {
                refused.add(file);
            }
        }
        // when GreenMail takes them one day, they belong in the INBOX with the others
        assertThat(refused).as("mails GreenMail cannot store").containsExactlyInAnyOrderElementsOf(REFUSED_BY_GREENMAIL);
        uidValidity = mail.uidValidity(SUPPORT, PASSWORD, "INBOX");
        try (MailboxReader reader = new MailboxReader(mail.mailbox("support", SUPPORT, PASSWORD, "INBOX"), store, epoch,
                Clock.systemUTC())) {
            reader.start();
            await().atMost(TestTimeouts.seconds(120)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                assertThat(mail.uids(SUPPORT, PASSWORD, "INBOX")).isEmpty();
                assertThat(mail.uids(SUPPORT, PASSWORD, "Processed")).hasSize(files.size() - refused.size());
            });
        }
        // what a real IMAP server would have handed the reader, under UIDs after GreenMail's last
        long uid = 1_000_000;
        for (String file : refused) {
            uidOf.put(file, ++uid);
            store.ingest(new IngestStore.IncomingMail("support", uidValidity, uid, Eml.crlf(load(file))), epoch);
        }
    }

    @AfterAll
    void writeWhatHappenedAndStop() throws IOException {
        // what each file became, in the expectations' own form, for a person reading the build output
        String table = expectations().map(Expectation::file).filter(actual::containsKey)
                .map(f -> f + " | " + actual.get(f)).collect(Collectors.joining("\n", "", "\n"));
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "peer-corpus-outcomes.psv"), table);
        if (mail != null) {
            mail.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("expectations")
    void eachMailIsReadAsAPersonWouldReadItAndTakenInOnce(Expectation e) {
        ParseResult result = parser.parse(load(e.file()));
        String intake = takenIn(e.file());
        actual.put(e.file(), describe(result, intake));

        if (result instanceof ParseResult.Parsed parsed) {
            // line breaks are the sender's wrapping, not the text: the fragment may span them
            assertThat(oneLine(parsed.mail().textBody())).as("text of " + e.file()).contains(e.text());
            assertThat(parsed.mail().attachments()).extracting(MailAttachment::filename)
                    .as("attachments of " + e.file()).containsExactlyElementsOf(e.attachments());
        }
        if (e.ticket()) {
            assertThat(result).as(result.toString()).isInstanceOf(ParseResult.Parsed.class);
        } else if (result instanceof ParseResult.Failed failed) {
            assertThat(failed.reason()).startsWith(e.reason());
        } else {
            // read, but intake will not make a ticket of it (a bounce for a mail we never sent)
            assertThat(e.reason()).startsWith(TicketsFromMail.UNKNOWN_BOUNCE);
        }
        String expected = e.copyOf().equals("-") ? e.outcome() : "copy of " + e.copyOf();
        assertThat(intake).as("what became of " + e.file()).startsWith(expected);
    }

    @Test
    void everyFileOfTheCorpusHasExactlyOneLine() throws IOException, URISyntaxException {
        List<String> files = corpusFiles();
        assertThat(files).hasSize(189);
        assertThat(expectations().map(Expectation::file).sorted().toList()).isEqualTo(files);
    }

    @Test
    void noMailIsLostOrStoredTwice() {
        List<Expectation> all = expectations().toList();
        long copies = all.stream().filter(e -> !e.copyOf().equals("-")).count();
        long tickets = all.stream().filter(e -> e.ticket() && e.copyOf().equals("-")).count();
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(all.size() - copies);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE, INBOUND_MESSAGE.PARSE_STATUS.eq("parsed"))).isEqualTo(tickets);
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.INBOUND_MESSAGE_ID.isNotNull())).isEqualTo(tickets);
    }

    /**
     * What became of the file: {@code ticket}, {@code quarantine: reason}, {@code copy of <file>} (its uid
     * stored nothing because the same content was stored from an earlier file), or what went wrong.
     */
    private String takenIn(String file) {
        InboundMessageRecord row = db.dsl().selectFrom(INBOUND_MESSAGE).where(INBOUND_MESSAGE.MAILBOX_ID.eq("support"))
                .and(INBOUND_MESSAGE.UIDVALIDITY.eq(uidValidity)).and(INBOUND_MESSAGE.UID.eq(uidOf.get(file))).fetchOne();
        if (row == null) {
            // stored nothing: the same mail must have been stored before under an earlier file's uid, found
            // by its content key (the same mail again, as ContentKey sees it), or as the same bytes (once the
            // server turned bare LFs into CRLFs; the server may have changed a mail without headers)
            byte[] bytes = Eml.crlf(load(file));
            Long keyUid = db.dsl().select(INBOUND_MESSAGE.UID).from(INBOUND_MESSAGE)
                    .where(INBOUND_MESSAGE.CONTENT_KEY.eq(ContentKey.of(bytes))).limit(1).fetchOne(INBOUND_MESSAGE.UID);
            return expectations().map(Expectation::file).takeWhile(f -> !f.equals(file))
                    .filter(f -> uidOf.get(f).equals(keyUid) || Arrays.equals(Eml.crlf(load(f)), bytes))
                    .filter(f -> db.dsl().fetchExists(INBOUND_MESSAGE, INBOUND_MESSAGE.UIDVALIDITY.eq(uidValidity)
                            .and(INBOUND_MESSAGE.UID.eq(uidOf.get(f)))))
                    .findFirst().map(f -> "copy of " + f).orElse("LOST");
        }
        if (row.getParseStatus().equals("failed")) {
            return "quarantine: " + row.getParseError();
        }
        int ticketMessages = db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(row.getId()));
        return ticketMessages == 1 ? "ticket" : "on " + ticketMessages + " ticket messages";
    }

    private static String oneLine(String text) {
        return String.join(" ", text.strip().split("\\s+"));
    }

    private static String describe(ParseResult result, String intake) {
        String copy = intake.startsWith("copy of ") ? intake.substring("copy of ".length()) : "-";
        String outcome = !intake.startsWith("copy of ") ? intake
                : result instanceof ParseResult.Failed f ? "quarantine: " + f.reason() : "ticket";
        if (result instanceof ParseResult.Parsed p) {
            String text = oneLine(p.mail().textBody());
            return outcome + " | " + text.substring(0, Math.min(60, text.length())).replace("|", "/") + " | "
                    + p.mail().attachments().stream().map(MailAttachment::filename).collect(Collectors.joining(";"))
                    + " | " + copy;
        }
        return outcome + " | | | " + copy;
    }
}
