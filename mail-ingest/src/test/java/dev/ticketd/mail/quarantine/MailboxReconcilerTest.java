package dev.ticketd.mail.quarantine;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.StaleEpochException;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.mail.testing.TestMailServer;
import dev.ticketd.testing.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reconciling a mailbox with the database, against a real PostgreSQL and a real IMAP server (GreenMail). */
class MailboxReconcilerTest {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "secret-support";

    private Database db;
    private TestMailServer mail;
    private MailboxLeases leases;
    private IngestStore store;
    private MailboxSettings settings;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, "support").set(MAILBOX.ADDRESS, SUPPORT)
                .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, mail.imapPort())
                .set(MAILBOX.IMAP_USER, SUPPORT).set(MAILBOX.SECRET_REF, "support").execute();
        leases = new MailboxLeases(db.transactions(), Duration.ofSeconds(2));
        store = new IngestStore(db, new MailParser(), new TicketsFromMail());
        settings = mail.mailbox("support", SUPPORT, PASSWORD, "INBOX");
    }

    @AfterEach
    void tearDown() {
        mail.close();
        db.close();
    }

    @Test
    void aMailInProcessedThatTheDatabaseLostIsIngestedOnceAndNothingIsStoredTwiceOnASecondRun() throws Exception {
        byte[] kept = mail.textMail("a@example.test", SUPPORT, "kept by the restore", "1");
        byte[] lost = mail.textMail("b@example.test", SUPPORT, "lost with the restore", "2");
        byte[] waiting = mail.textMail("c@example.test", SUPPORT, "still in the inbox", "3");
        mail.append(SUPPORT, PASSWORD, "Processed", List.of(kept, lost));
        mail.append(SUPPORT, PASSWORD, "INBOX", List.of(waiting));
        // the restored database knows the first mail (stored by the reader under its INBOX coordinates)
        long epoch = leases.acquire("support", "test");
        store.ingest(new IngestStore.IncomingMail("support", 77, 1, kept), epoch);

        MailboxReconciler.Report first = new MailboxReconciler(db, store).reconcile(settings, epoch, 100);

        assertThat(first.checked()).isEqualTo(3);
        assertThat(first.foundStored()).isEqualTo(1);
        assertThat(first.ingested()).isEqualTo(2);
        assertThat(db.dsl().selectFrom(TICKET).fetch(TICKET.SUBJECT))
                .containsExactlyInAnyOrder("kept by the restore", "lost with the restore", "still in the inbox");

        MailboxReconciler.Report second = new MailboxReconciler(db, store).reconcile(settings, epoch, 100);

        assertThat(second.checked()).isEqualTo(3);
        assertThat(second.foundStored()).isEqualTo(3);
        assertThat(second.ingested()).isZero();
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(3);
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE)).isEqualTo(3);
        // nothing moved or deleted on the server
        assertThat(mail.subjects(SUPPORT, PASSWORD, "Processed")).containsExactlyInAnyOrder("kept by the restore", "lost with the restore");
        assertThat(mail.subjects(SUPPORT, PASSWORD, "INBOX")).containsExactly("still in the inbox");
    }

    @Test
    void aMailOnlyInProcessedNeverMakesAnInboxMailWithTheSameUidLookStored() throws Exception {
        mail.append(SUPPORT, PASSWORD, "Processed", List.of(mail.textMail("a@example.test", SUPPORT, "old", "1")));
        mail.append(SUPPORT, PASSWORD, "INBOX", List.of(mail.textMail("b@example.test", SUPPORT, "new", "2")));
        long epoch = leases.acquire("support", "test");

        new MailboxReconciler(db, store).reconcile(settings, epoch, 100);

        long inboxUidValidity = mail.uidValidity(SUPPORT, PASSWORD, "INBOX");
        long processedUidValidity = mail.uidValidity(SUPPORT, PASSWORD, "Processed");
        for (long uid : mail.uids(SUPPORT, PASSWORD, "INBOX")) {
            assertThat(store.isStored("support", inboxUidValidity, uid)).isTrue();
        }
        for (long uid : mail.uids(SUPPORT, PASSWORD, "Processed")) {
            assertThat(store.isStored("support", -processedUidValidity, uid)).isTrue();
        }
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE, INBOUND_MESSAGE.UIDVALIDITY.eq(processedUidValidity)
                .and(INBOUND_MESSAGE.UIDVALIDITY.ne(inboxUidValidity)))).isZero();
    }

    @Test
    void theLimitChecksOnlyTheNewestMails() throws Exception {
        mail.append(SUPPORT, PASSWORD, "Processed", List.of(
                mail.textMail("a@example.test", SUPPORT, "oldest", "1"),
                mail.textMail("a@example.test", SUPPORT, "middle", "2"),
                mail.textMail("a@example.test", SUPPORT, "newest", "3")));
        long epoch = leases.acquire("support", "test");

        MailboxReconciler.Report r = new MailboxReconciler(db, store).reconcile(settings, epoch, 2);

        assertThat(r.checked()).isEqualTo(2);
        assertThat(r.notChecked()).isEqualTo(1);
        assertThat(db.dsl().selectFrom(TICKET).fetch(TICKET.SUBJECT)).containsExactlyInAnyOrder("middle", "newest");
    }

    @Test
    void aReconcileWhoseLeaseWasTakenOverStoresNothing() {
        mail.append(SUPPORT, PASSWORD, "Processed", List.of(mail.textMail("a@example.test", SUPPORT, "x", "1")));
        long stale = leases.acquire("support", "test");
        leases.acquire("support", "someone else");

        assertThatThrownBy(() -> new MailboxReconciler(db, store).reconcile(settings, stale, 100))
                .isInstanceOf(StaleEpochException.class);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isZero();
    }
}
