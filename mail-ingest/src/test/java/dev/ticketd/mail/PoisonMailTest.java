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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * 1,000 mails with the nastiest malformed ones spread among them, through GreenMail and a real reader
 * into PostgreSQL: every mail is accounted for (a ticket, stored raw in quarantine, or recognised as a
 * copy of one stored before), none is lost, none is stored twice, and no poison mail is ever retried
 * or holds up the good ones.
 */
class PoisonMailTest {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "secret-support";
    private static final int MAILS = 1_000;

    private Database db;
    private TestMailServer mail;
    private MailboxReader reader;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, "support").set(MAILBOX.ADDRESS, SUPPORT)
                .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, mail.imapPort())
                .set(MAILBOX.IMAP_USER, SUPPORT).set(MAILBOX.SECRET_REF, "support").execute();
    }

    @AfterEach
    void tearDown() {
        if (reader != null) {
            reader.close();
        }
        mail.close();
        db.close();
    }

    /** The poison, by name; each is a function of the mail's number so that no two are the same mail. */
    private static final Map<String, IntFunction<String>> POISON = new java.util.LinkedHashMap<>();

    static {
        POISON.put("no From at all", i -> "To: support@example.test\nSubject: orphan " + i + "\n\nno sender\n");
        POISON.put("a 400-character From", i -> "From: " + "a".repeat(390) + i + "@example.test\nSubject: long " + i + "\n\nx\n");
        POISON.put("NUL bytes in headers and body", i -> "From: nul" + i + "@example.test\nSubject: n\u0000ul " + i
                + "\nContent-Type: text/plain; charset=utf-8\n\nbefore\u0000after\n");
        POISON.put("a multipart whose boundary never comes", i -> "From: b" + i + "@example.test\nSubject: boundary " + i
                + "\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"nope\"\n\nno parts\n");
        POISON.put("multiparts nested 1,000 deep", i -> {
            StringBuilder s = new StringBuilder("From: deep" + i + "@example.test\nSubject: deep " + i + "\nMIME-Version: 1.0\n");
            for (int d = 0; d < 1_000; d++) {
                s.append("Content-Type: multipart/mixed; boundary=\"b").append(d).append("\"\n\n--b").append(d).append('\n');
            }
            return s.append("Content-Type: text/plain\n\ndeep down\n").toString();
        });
        POISON.put("a header line of 256 KB", i -> "From: wide" + i + "@example.test\nSubject: wide " + i + "\nX-Junk: "
                + "z".repeat(256 * 1024) + "\n\nbody\n");
        POISON.put("invalid UTF-8 and control bytes in headers", i -> "From: =?utf-8?B?/w==?= <ctl" + i
                + "@example.test>\nSubject: \u00ff\u00fe\u0007\u001b[2J " + i + "\nContent-Type: text/plain; charset=x-klingon\n\n\u00ff\u00fe\n");
        POISON.put("a date in year 99999 and a 2,000-character Message-ID", i -> "From: odd" + i + "@example.test\nSubject: odd " + i
                + "\nDate: Mon, 1 Jan 99999 00:00:00 +0000\nMessage-ID: <" + "m".repeat(2_000) + i + "@example.test>\n\nodd\n");
        POISON.put("a bounce for a mail we never sent", i -> "From: MAILER-DAEMON@mx.example.test\nSubject: bounce " + i
                + "\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\n\n--r\n"
                + "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; x@y.test\nAction: failed\n"
                + "Status: 5.1.1\n\n--r\nContent-Type: text/rfc822-headers\n\nMessage-ID: <never" + i + "@example.test>\n\n--r--\n");
        POISON.put("base64 that is not base64", i -> "From: b64" + i + "@example.test\nSubject: b64 " + i
                + "\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!!****====????\n");
    }

    @Test
    void aThousandMailsWithPoisonAmongThemAreAllAccountedForAndNoneIsRetried() {
        List<byte[]> raws = new ArrayList<>();
        Map<Integer, String> kindOf = new HashMap<>();
        List<String> kinds = new ArrayList<>(POISON.keySet());
        for (int i = 0; i < MAILS; i++) {
            String text;
            if (i % 10 == 5) { // every tenth mail is poison, the kinds in turn
                String kind = kinds.get((i / 10) % kinds.size());
                kindOf.put(i, kind);
                text = POISON.get(kind).apply(i);
            } else if (i % 100 == 99) { // and every hundredth a second delivery of the mail before it
                kindOf.put(i, "copy");
                text = new String(raws.get(i - 1), StandardCharsets.ISO_8859_1).replace("\r\n", "\n");
            } else {
                text = "From: customer" + (i % 41) + "@example.test\nTo: support@example.test\nSubject: good " + i
                        + "\nMessage-ID: <good-" + i + "@example.test>\nContent-Type: text/plain; charset=utf-8\n\nplease help " + i + "\n";
            }
            raws.add(text.replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        List<Long> uids = mail.deliverInProcess(SUPPORT, raws);
        long uidValidity = mail.uidValidity(SUPPORT, PASSWORD, "INBOX");
        long epoch = new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).acquire("support", "poison");
        reader = new MailboxReader(mail.mailbox("support", SUPPORT, PASSWORD, "INBOX"),
                new IngestStore(db, new MailParser(), new TicketsFromMail()), epoch, Clock.systemUTC());

        reader.start();

        await().atMost(TestTimeouts.seconds(300)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                assertThat(mail.uids(SUPPORT, PASSWORD, "INBOX")).isEmpty());
        assertThat(mail.uids(SUPPORT, PASSWORD, "Processed")).hasSize(MAILS);
        assertThat(reader.status().failedAttempts()).as("no mail had to be tried twice").isZero();

        Map<Long, String> statusOfUid = new HashMap<>();
        db.dsl().select(INBOUND_MESSAGE.UID, INBOUND_MESSAGE.PARSE_STATUS).from(INBOUND_MESSAGE)
                .where(INBOUND_MESSAGE.UIDVALIDITY.eq(uidValidity))
                .forEach(r -> statusOfUid.put(r.value1(), r.value2()));
        int tickets = 0;
        int quarantined = 0;
        int copies = 0;
        for (int i = 0; i < MAILS; i++) {
            String status = statusOfUid.get(uids.get(i));
            String kind = kindOf.getOrDefault(i, "good");
            if (kind.equals("copy")) {
                assertThat(status).as("mail %d, a second delivery, is not stored again", i).isNull();
                copies++;
            } else if (kind.equals("good")) {
                assertThat(status).as("good mail %d", i).isEqualTo("parsed");
                tickets++;
            } else {
                assertThat(status).as("mail %d (%s) is stored, not lost", i, kind).isNotNull();
                if (status.equals("parsed")) {
                    tickets++;
                } else {
                    quarantined++;
                }
            }
        }
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(MAILS - copies);
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.INBOUND_MESSAGE_ID.isNotNull())).isEqualTo(tickets);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE, INBOUND_MESSAGE.PARSE_STATUS.eq("failed"))).isEqualTo(quarantined);
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(tickets);
        assertThat(tickets + quarantined + copies).isEqualTo(MAILS);
        assertThat(quarantined).isPositive();
    }
}
