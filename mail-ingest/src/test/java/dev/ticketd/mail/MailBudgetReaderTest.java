package dev.ticketd.mail;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAIL_FAILURE;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * No mail can block a mailbox: the crafted mails that once stopped intake (a header whose loop rules
 * took quadratic time inside the transaction, an HTML body whose text took quadratic time) are taken in
 * and the mail behind each is ticketed within seconds; a mail that fails every pass goes to the
 * quarantine after the budget's number of passes instead of being tried for ever. Real GreenMail, real
 * PostgreSQL, a real reader.
 */
class MailBudgetReaderTest {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "secret-support";

    private Database db;
    private TestMailServer mail;
    private final List<MailboxReader> readers = new ArrayList<>();

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        mail.registerMailbox(db.dsl(), "support", SUPPORT);
    }

    @AfterEach
    void tearDown() {
        readers.forEach(MailboxReader::close);
        mail.close();
        db.close();
    }

    /** 80 KB of '(' in Auto-Submitted, folded into lines under 1,000 characters as any MTA passes it. */
    static String parenthesesBomb(int bytes) {
        StringBuilder header = new StringBuilder("Auto-Submitted: ");
        for (int i = 0; i < bytes; i++) {
            if (i > 0 && i % 900 == 0) {
                header.append("\r\n ");
            }
            header.append('(');
        }
        return header.toString();
    }

    /** An HTML-only mail whose {@code <pre>} holds a long run of spaces. */
    static String preOfSpaces(int spaces) {
        return "<html><body><pre>" + " ".repeat(spaces) + "x</pre></body></html>";
    }

    @Test
    void aNewTicketMailWithAParenthesesBombInAutoSubmittedLeavesIntakeRunning() {
        byte[] bomb = TestMailServer.rfc822("From: mallory@example.test\nTo: support@example.test\nSubject: bomb\n"
                + parenthesesBomb(80 * 1024).replace("\r\n", "\n") + "\nMessage-ID: <bomb@example.test>\n\nhello\n");
        assertThatTheMailBehindIsTicketedPromptly(bomb);
    }

    @Test
    void anHtmlMailWithALongRunOfSpacesInPreLeavesIntakeRunning() {
        byte[] html = TestMailServer.rfc822("From: mallory@example.test\nTo: support@example.test\nSubject: spaces\n"
                + "Message-ID: <spaces@example.test>\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"
                + preOfSpaces(108 * 1024) + "\n");
        assertThatTheMailBehindIsTicketedPromptly(html);
    }

    private void assertThatTheMailBehindIsTicketedPromptly(byte[] crafted) {
        mail.appendRaw(SUPPORT, PASSWORD, "INBOX", List.of(crafted));
        startReader(MailBudget.DEFAULT);
        mail.appendRaw(SUPPORT, PASSWORD, "INBOX", List.of(
                mail.textMail("ann@example.test", SUPPORT, "ordinary mail", "my printer is on fire")));

        // before the fix the first never passed (and the second waited for ever), or waited 69 s
        await().atMost(TestTimeouts.seconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(db.dsl().fetchExists(TICKET, TICKET.SUBJECT.eq("ordinary mail"))).isTrue());
        await().atMost(TestTimeouts.seconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(mail.uids(SUPPORT, PASSWORD, "INBOX")).isEmpty());
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).as("both stored, neither lost").isEqualTo(2);
        assertThat(readers.get(0).status().failedAttempts()).isZero();
    }

    @Test
    void aMailThatFailsEveryPassGoesToTheQuarantineAfterTheBudgetsPassesAndTheMailsBehindItGoOn() {
        // not a data error (22/23: stored raw at once), not an outage (08): a failure of this mail only
        refuseTicketsWithSubject("poison");
        mail.appendRaw(SUPPORT, PASSWORD, "INBOX", List.of(
                mail.textMail("mallory@example.test", SUPPORT, "poison", "fails every time"),
                mail.textMail("ann@example.test", SUPPORT, "behind the poison", "please help")));
        long uidValidity = mail.uidValidity(SUPPORT, PASSWORD, "INBOX");
        long poisonUid = mail.uids(SUPPORT, PASSWORD, "INBOX").get(0);
        MailboxReader reader = startReader(new MailBudget(MailBudget.DEFAULT_PARSE_TIMEOUT, 3));

        await().atMost(TestTimeouts.seconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(db.dsl().fetchExists(TICKET, TICKET.SUBJECT.eq("behind the poison"))).isTrue());
        await().atMost(TestTimeouts.seconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(mail.uids(SUPPORT, PASSWORD, "INBOX")).isEmpty());

        var poison = db.dsl().selectFrom(INBOUND_MESSAGE).where(INBOUND_MESSAGE.UIDVALIDITY.eq(uidValidity))
                .and(INBOUND_MESSAGE.UID.eq(poisonUid)).fetchSingle();
        assertThat(poison.getParseStatus()).isEqualTo("failed");
        assertThat(poison.getParseError()).startsWith("The mail could not be taken in: 3 passes over the mailbox failed on it")
                .contains("refused by test trigger");
        assertThat(new String(poison.getRaw(), StandardCharsets.ISO_8859_1)).contains("fails every time");
        assertThat(reader.status().failedAttempts()).as("tried exactly as often as the budget allows").isEqualTo(3);
        assertThat(reader.status().quarantinedAfterFailures()).isEqualTo(1);
        assertThat(reader.status().failingMails()).isZero();
        assertThat(db.dsl().fetchCount(MAIL_FAILURE)).as("the count is gone with the mail").isZero();
        assertThat(mail.subjects(SUPPORT, PASSWORD, "Processed")).containsExactlyInAnyOrder("poison", "behind the poison");
    }

    @Test
    void failedPassesAreCountedAcrossLeadersSoANewLeaderDoesNotStartOver() {
        refuseTicketsWithSubject("poison");
        mail.appendRaw(SUPPORT, PASSWORD, "INBOX", List.of(mail.textMail("mallory@example.test", SUPPORT, "poison", "x")));
        MailBudget threePasses = new MailBudget(MailBudget.DEFAULT_PARSE_TIMEOUT, 3);
        // a slow safety poll: the first leader fails its first pass, and is gone before its third
        MailboxReader first = startReader(threePasses, Duration.ofSeconds(2));
        await().atMost(TestTimeouts.seconds(10)).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
                assertThat(first.status().failedAttempts()).isPositive());
        first.close();
        int countedByTheFirst = db.dsl().select(MAIL_FAILURE.ATTEMPTS).from(MAIL_FAILURE).fetchSingle(MAIL_FAILURE.ATTEMPTS);
        assertThat(countedByTheFirst).isBetween(1, 2);

        MailboxReader second = startReader(threePasses, Duration.ofMillis(200));
        await().atMost(TestTimeouts.seconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(mail.uids(SUPPORT, PASSWORD, "INBOX")).isEmpty());
        assertThat(second.status().failedAttempts()).as("the new leader tries only what is left of the budget")
                .isEqualTo(3 - countedByTheFirst);
        assertThat(db.dsl().fetchSingle(INBOUND_MESSAGE).getParseError()).contains("3 passes");
    }

    /** The database refuses every ticket with this subject, as it might refuse a value nobody foresaw. */
    private void refuseTicketsWithSubject(String subject) {
        db.dsl().execute("""
                create function refuse_poison() returns trigger language plpgsql as $$
                begin
                  if new.subject = '%s' then raise exception 'refused by test trigger' using errcode = 'P0001'; end if;
                  return new;
                end $$""".formatted(subject));
        db.dsl().execute("create trigger refuse_poison before insert on ticket for each row execute function refuse_poison()");
    }

    private MailboxReader startReader(MailBudget budget) {
        return startReader(budget, Duration.ofMillis(200));
    }

    private MailboxReader startReader(MailBudget budget, Duration pollInterval) {
        long epoch = new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).acquire("support", "test-node-" + readers.size());
        IngestStore store = new IngestStore(db, new MailParser(), new TicketsFromMail(), IngestObserver.NONE, budget);
        MailboxReader reader = new MailboxReader(mail.mailbox("support", SUPPORT, PASSWORD, "INBOX")
                .withPollInterval(pollInterval), store, epoch, Clock.systemUTC());
        readers.add(reader);
        reader.start();
        return reader;
    }
}
