package dev.ticketd.mail;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

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
 * One mail sent to two of our addresses: each mailbox has its own reader and lease (as when two
 * nodes lead them), and the two copies differ in their delivery headers. Real PostgreSQL and GreenMail.
 */
class CrossMailboxCopyTest {

    private static final String SUPPORT = "support@example.test";
    private static final String SALES = "sales@example.test";
    private static final String PASSWORD = "secret";

    private Database db;
    private TestMailServer mail;
    private MailboxLeases leases;
    private IngestStore store;
    private final List<MailboxReader> readers = new ArrayList<>();

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        mail = TestMailServer.start();
        for (String address : List.of(SUPPORT, SALES)) {
            mail.addUser(address, PASSWORD);
            db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, idOf(address)).set(MAILBOX.ADDRESS, address)
                    .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, mail.imapPort())
                    .set(MAILBOX.IMAP_USER, address).set(MAILBOX.SECRET_REF, idOf(address))
                    .set(MAILBOX.SMTP_HOST, "127.0.0.1").set(MAILBOX.SMTP_PORT, mail.smtpPort()).execute();
        }
        leases = new MailboxLeases(db.transactions(), Duration.ofSeconds(2));
        store = new IngestStore(db, new MailParser(), new TicketsFromMail());
    }

    @AfterEach
    void tearDown() {
        readers.forEach(MailboxReader::close);
        mail.close();
        db.close();
    }

    @Test
    void mailsSentToTwoOfOurAddressesAndReadByTwoLeadersAtOnceBecomeOneTicketEach() {
        int n = 20;
        List<byte[]> toSupport = new ArrayList<>();
        List<byte[]> toSales = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // half addressed to both, half to support with sales in Cc (the customer's "copy to sales")
            String cc = i % 2 == 0 ? "" : "Cc: " + SALES + "\n";
            String to = i % 2 == 0 ? SUPPORT + ", " + SALES : SUPPORT;
            toSupport.add(delivered(SUPPORT, i, to, cc));
            toSales.add(delivered(SALES, i, to, cc));
        }
        mail.appendRaw(SUPPORT, PASSWORD, "INBOX", toSupport);
        mail.appendRaw(SALES, PASSWORD, "INBOX", toSales);

        startReader(SUPPORT);
        startReader(SALES);

        awaitProcessed(SUPPORT, n);
        awaitProcessed(SALES, n);
        assertThat(db.dsl().fetchCount(TICKET)).as("one ticket per mail").isEqualTo(n);
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE)).as("one ticket message per mail").isEqualTo(n);
        assertThat(db.dsl().fetchCount(OUTBOX)).as("one acknowledgement per mail").isEqualTo(n);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).as("both copies are stored").isEqualTo(2 * n);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE, INBOUND_MESSAGE.COPY_OF_INBOUND_MESSAGE_ID.isNotNull()))
                .as("the second copy of each mail points at the first").isEqualTo(n);
        assertThat(db.dsl().selectDistinct(TICKET.SUBJECT).from(TICKET).fetch(TICKET.SUBJECT))
                .containsExactlyInAnyOrderElementsOf(IntStream.range(0, n).mapToObj(i -> "Printer " + i).toList());
        assertThat(db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq("ticket.mail_copy"))).isEqualTo(n);
    }

    @Test
    void twoLeadersStoringTheSameMailAtTheSameInstantOpenOneTicket() throws Exception {
        long supportEpoch = leases.acquire("support", "node-a");
        long salesEpoch = leases.acquire("sales", "node-b");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 25; i++) {
                CyclicBarrier together = new CyclicBarrier(2);
                byte[] a = delivered(SUPPORT, i, SUPPORT, "Cc: " + SALES + "\n");
                byte[] b = delivered(SALES, i, SUPPORT, "Cc: " + SALES + "\n");
                long uid = i + 1;
                Future<IngestStore.Outcome> first = pool.submit(() -> {
                    together.await();
                    return store.ingest(new IngestStore.IncomingMail("support", 1, uid, a), supportEpoch);
                });
                Future<IngestStore.Outcome> second = pool.submit(() -> {
                    together.await();
                    return store.ingest(new IngestStore.IncomingMail("sales", 1, uid, b), salesEpoch);
                });
                assertThat(List.of(first.get(30, TimeUnit.SECONDS), second.get(30, TimeUnit.SECONDS)))
                        .as("mail %d", i)
                        .containsExactlyInAnyOrder(IngestStore.Outcome.TICKETED, IngestStore.Outcome.STORED_AS_COPY);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(25);
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE)).isEqualTo(25);
    }

    @Test
    void mailWithoutAMessageIdIsNotMergedAcrossMailboxesBecauseItsBytesDiffer() {
        // without a Message-ID two different mails could share every hashed header; the content key
        // then covers the exact bytes, which the delivery headers make differ: kept apart, never merged
        long supportEpoch = leases.acquire("support", "node-a");
        long salesEpoch = leases.acquire("sales", "node-b");
        String body = """
                From: Ann <ann@customer.test>
                To: support@example.test, sales@example.test
                Subject: no id
                Date: Fri, 27 Nov 2026 09:00:00 +0100

                hello
                """;
        assertThat(store.ingest(new IngestStore.IncomingMail("support", 1, 1,
                rfc822("Delivered-To: " + SUPPORT + "\n" + body)), supportEpoch)).isEqualTo(IngestStore.Outcome.TICKETED);
        assertThat(store.ingest(new IngestStore.IncomingMail("sales", 1, 1,
                rfc822("Delivered-To: " + SALES + "\n" + body)), salesEpoch)).isEqualTo(IngestStore.Outcome.TICKETED);
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(2);
    }

    /** The mail as the server of {@code mailbox} delivered it: its own trace headers, the author's part identical. */
    private static byte[] delivered(String mailbox, int i, String to, String ccLine) {
        return rfc822("Return-Path: <ann" + i + "@customer.test>\n"
                + "Delivered-To: " + mailbox + "\n"
                + "Received: from mx.customer.test by mx-" + idOf(mailbox) + ".example.test; Fri, 27 Nov 2026 09:00:0" + (i % 10) + " +0100\n"
                + "From: Ann <ann" + i + "@customer.test>\n"
                + "To: " + to + "\n"
                + ccLine
                + "Subject: Printer " + i + "\n"
                + "Date: Fri, 27 Nov 2026 09:00:00 +0100\n"
                + "Message-ID: <both-" + i + "@customer.test>\n"
                + "MIME-Version: 1.0\n"
                + "Content-Type: text/plain; charset=UTF-8\n"
                + "\n"
                + "Printer " + i + " prints blank pages.\n");
    }

    private static String idOf(String address) {
        return address.substring(0, address.indexOf('@'));
    }

    private void startReader(String address) {
        long epoch = leases.acquire(idOf(address), "node-" + idOf(address));
        MailboxReader reader = new MailboxReader(mail.mailbox(idOf(address), address, PASSWORD, "INBOX"), store, epoch,
                Clock.systemUTC());
        readers.add(reader);
        reader.start();
    }

    private void awaitProcessed(String address, int expected) {
        await().atMost(TestTimeouts.seconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            assertThat(mail.uids(address, PASSWORD, "INBOX")).isEmpty();
            assertThat(mail.uids(address, PASSWORD, "Processed")).hasSize(expected);
        });
    }
}
