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
import java.util.stream.IntStream;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.mail.testing.TestMailServer.rfc822;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Mail taken in by the set (one query, one download, one commit for many mails) keeps every promise
 * of a mail taken in alone: exactly once, moved only after its commit, a failing mail failing alone,
 * the epoch fence. Against a real PostgreSQL and a real IMAP server (GreenMail).
 */
class BatchedIntakeTest {

    private static final String SUPPORT = "support@example.test";
    private static final String PASSWORD = "secret-support";

    private Database db;
    private TestMailServer mail;
    private MailboxLeases leases;
    private IngestStore store;
    private final List<MailboxReader> readers = new ArrayList<>();

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        mail = TestMailServer.start();
        mail.addUser(SUPPORT, PASSWORD);
        mail.registerMailbox(db.dsl(), "support", SUPPORT);
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
    void aBacklogIsCommittedInBatchesEachMailOnceAndAReplyInTheSameBatchJoinsItsTicket() {
        int n = 3 * MailboxReader.BATCH + 7;
        List<byte[]> mails = new ArrayList<>(IntStream.range(0, n)
                .mapToObj(i -> mail.textMail("c" + (i % 11) + "@example.test", SUPPORT, "backlog-" + i, "body " + i)).toList());
        // a reply to the first mail, in the first batch with it
        mails.add(3, rfc822("From: c0@example.test\nTo: " + SUPPORT + "\nSubject: Re: backlog-0\n"
                + "Message-ID: <reply-0@example.test>\nIn-Reply-To: " + messageIdOf(mails.get(0)) + "\n\nthanks\n"));
        mail.deliverInProcess(SUPPORT, mails);

        startReader();

        awaitInboxEmpty(n + 1, Duration.ofSeconds(90));
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(n + 1);
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(n);
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE)).isEqualTo(n + 1);
        assertThat(mail.subjects(SUPPORT, PASSWORD, "Processed")).hasSize(n + 1).doesNotHaveDuplicates();
        // every row a transaction writes carries its id (xmin): far fewer commits than mails
        int commits = db.dsl().fetchSingle("select count(distinct xmin::text) from inbound_message").get(0, Integer.class);
        assertThat(commits).as("transactions that stored %d mails", n + 1).isLessThanOrEqualTo((n + 1) / 10);
        assertThat(db.dsl().fetchSingle("""
                select count(*) from ticket_message tm join ticket t on t.id = tm.ticket_id where t.subject = 'backlog-0'""")
                .get(0, Integer.class)).as("the reply joined the ticket of the mail it answers").isEqualTo(2);
    }

    @Test
    void oneMailTheDatabaseRefusesInABatchIsStoredRawAndTheOthersOfTheBatchBecomeTickets() {
        List<byte[]> mails = new ArrayList<>(IntStream.range(0, 20)
                .mapToObj(i -> mail.textMail("c" + i + "@example.test", SUPPORT, "fine-" + i, "body " + i)).toList());
        mails.add(10, rfc822("From: d@example.test\nSubject: refuse-me\nMessage-ID: <refused@example.test>\n\nno ticket for this\n"));
        mail.deliverInProcess(SUPPORT, mails);
        // a real refusal by the database of the ticket one mail would open (check_violation, SQLSTATE 23514)
        dev.ticketd.mail.testing.RefusedTickets.refuseSubjectRefuseMe(db);

        startReader();

        awaitInboxEmpty(21, Duration.ofSeconds(60));
        assertThat(db.dsl().select(TICKET.SUBJECT).from(TICKET).fetch(TICKET.SUBJECT))
                .containsExactlyInAnyOrderElementsOf(IntStream.range(0, 20).mapToObj(i -> "fine-" + i).toList());
        assertThat(db.dsl().select(INBOUND_MESSAGE.PARSE_ERROR).from(INBOUND_MESSAGE)
                .where(INBOUND_MESSAGE.PARSE_STATUS.eq("failed")).fetch(INBOUND_MESSAGE.PARSE_ERROR))
                .singleElement().asString().startsWith("The mail was read, but the database refused to store it as a ticket (23514");
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(21);
    }

    @Test
    void aBatchCommittedByAReaderThatDiedBeforeItsMoveIsMovedByTheNextReaderWithoutADuplicate() throws Exception {
        int n = MailboxReader.BATCH + 5;
        mail.deliverInProcess(SUPPORT, IntStream.range(0, n)
                .mapToObj(i -> mail.textMail("batch@example.test", SUPPORT, "batch-" + i, "body " + i)).toList());
        long uidValidity = mail.uidValidity(SUPPORT, PASSWORD, "INBOX");
        List<Long> uids = mail.uids(SUPPORT, PASSWORD, "INBOX");
        // the state a crash between a batch's commit and its UID MOVE leaves: the first batch stored
        // with one commit, every mail still in the INBOX
        long deadReaderEpoch = leases.acquire("support", "node-that-died");
        List<IngestStore.IncomingMail> batch = new ArrayList<>();
        try (ImapMailbox box = new ImapMailbox(mail.mailbox("support", SUPPORT, PASSWORD, "INBOX"))) {
            box.open();
            var raws = box.fetchRawSet(uids.subList(0, MailboxReader.BATCH).stream().mapToLong(Long::longValue).toArray());
            for (long uid : uids.subList(0, MailboxReader.BATCH)) {
                batch.add(new IngestStore.IncomingMail("support", uidValidity, uid, raws.get(uid)));
            }
        }
        assertThat(store.ingestAll(batch, deadReaderEpoch)).allSatisfy(r -> assertThat(r.outcome()).isEqualTo(IngestStore.Outcome.TICKETED));
        assertThat(db.dsl().fetchSingle("select count(distinct xmin::text) from inbound_message").get(0, Integer.class))
                .as("one commit for the batch").isEqualTo(1);

        startReader();

        awaitInboxEmpty(n, Duration.ofSeconds(60));
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(n);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(n);
        assertThat(mail.subjects(SUPPORT, PASSWORD, "Processed")).hasSize(n).doesNotHaveDuplicates();
    }

    @Test
    void whileOneSetIsStoredTheNextWaitsItsTurnAndAReplyInItJoinsTheTicketOfAMailInTheSetBefore() throws Exception {
        int n = 2 * MailboxReader.BATCH;
        List<byte[]> mails = new ArrayList<>(IntStream.range(0, n)
                .mapToObj(i -> mail.textMail("c" + (i % 7) + "@example.test", SUPPORT, "set-" + i, "body " + i)).toList());
        // in the second set: a reply to the first mail of the first
        mails.set(MailboxReader.BATCH + 10, rfc822("From: c0@example.test\nTo: " + SUPPORT + "\nSubject: Re: set-0\n"
                + "Message-ID: <reply-set-0@example.test>\nIn-Reply-To: " + messageIdOf(mails.get(0)) + "\n\nthanks\n"));
        mail.deliverInProcess(SUPPORT, mails);
        holdTheMailSubjectSet0OnLock(4242);
        try (var holder = db.dataSource().getConnection(); var lock = holder.createStatement()) {
            lock.execute("select pg_advisory_lock(4242)");

            startReader();

            await("the first set's transaction waits for the lock").atMost(TestTimeouts.seconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> db.dsl().fetchCount(db.dsl().selectFrom("pg_locks").where("locktype = 'advisory' and not granted")) > 0);
            assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).as("nothing of the next set is stored before the set before it").isZero();
            lock.execute("select pg_advisory_unlock(4242)");
        }

        awaitInboxEmpty(n, Duration.ofSeconds(60));
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(n);
        assertThat(db.dsl().fetchSingle("""
                select count(*) from ticket_message tm join ticket t on t.id = tm.ticket_id where t.subject = 'set-0'""")
                .get(0, Integer.class)).as("the reply joined the ticket of the mail it answers").isEqualTo(2);
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(n - 1);
    }

    @Test
    void aReaderClosedWhileItsSetWaitsInTheDatabaseReturnsOnlyOnceThatTransactionEnded() throws Exception {
        mail.deliverInProcess(SUPPORT, IntStream.range(0, MailboxReader.BATCH)
                .mapToObj(i -> mail.textMail("c@example.test", SUPPORT, "set-" + i, "body " + i)).toList());
        holdTheMailSubjectSet0OnLock(4243);
        String readersTransactions = """
                select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
                and (state = 'active' or state like 'idle in transaction%')""";
        try (var holder = db.dataSource().getConnection(); var lock = holder.createStatement()) {
            lock.execute("select pg_advisory_lock(4243)");
            startReader();
            MailboxReader reader = readers.get(0);
            await("the set's transaction waits for the lock").atMost(TestTimeouts.seconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> db.dsl().fetchCount(db.dsl().selectFrom("pg_locks").where("locktype = 'advisory' and not granted")) > 0);

            Thread closer = new Thread(reader::close, "closer");
            closer.start();
            // close() returning while the transaction still waits would leave it to commit after the reader stopped
            await("close() returned or waits").atMost(TestTimeouts.seconds(30)).pollInterval(Duration.ofMillis(20))
                    .until(() -> !closer.isAlive() || closer.getState() == Thread.State.TIMED_WAITING);
            boolean closedBeforeTheTransactionEnded = !closer.isAlive()
                    && db.dsl().fetchSingle(readersTransactions).get(0, Integer.class) > 0;
            lock.execute("select pg_advisory_unlock(4243)");
            closer.join(TestTimeouts.seconds(60).toMillis());
            assertThat(closer.isAlive()).as("close() returned").isFalse();
            assertThat(closedBeforeTheTransactionEnded).as("close() returned while the set's transaction still ran").isFalse();
            assertThat(db.dsl().fetchSingle(readersTransactions).get(0, Integer.class))
                    .as("transactions of the reader still running after close()").isZero();
        }
    }

    @Test
    void aBatchWithAStaleEpochWritesNothing() {
        List<IngestStore.IncomingMail> batch = IntStream.range(0, 5)
                .mapToObj(i -> new IngestStore.IncomingMail("support", 1, 100 + i,
                        mail.textMail("c@example.test", SUPPORT, "stale-" + i, "body")))
                .toList();
        long stale = leases.acquire("support", "old-leader");
        leases.acquire("support", "new-leader");

        assertThatThrownBy(() -> store.ingestAll(batch, stale)).isInstanceOf(StaleEpochException.class);

        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isZero();
        assertThat(db.dsl().fetchCount(TICKET)).isZero();
    }

    @Test
    void aBatchReportsEachMailInOrderAndAMailStoredBeforeIsFoundStored() {
        long epoch = leases.acquire("support", "leader");
        List<IngestStore.IncomingMail> batch = IntStream.range(0, 6)
                .mapToObj(i -> new IngestStore.IncomingMail("support", 1, 200 + i,
                        mail.textMail("c" + i + "@example.test", SUPPORT, "ordered-" + i, "body " + i)))
                .toList();
        assertThat(store.ingest(batch.get(2), epoch)).isEqualTo(IngestStore.Outcome.TICKETED);

        List<IngestStore.Result> results = store.ingestAll(batch, epoch);

        assertThat(results).extracting(r -> r.mail().uid()).containsExactly(200L, 201L, 202L, 203L, 204L, 205L);
        assertThat(results).extracting(IngestStore.Result::outcome).containsExactly(IngestStore.Outcome.TICKETED,
                IngestStore.Outcome.TICKETED, IngestStore.Outcome.ALREADY_STORED, IngestStore.Outcome.TICKETED,
                IngestStore.Outcome.TICKETED, IngestStore.Outcome.TICKETED);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(6);
        assertThat(store.storedUids("support", 1, List.of(199L, 200L, 205L, 206L))).containsExactlyInAnyOrder(200L, 205L);
    }

    /** The transaction that stores the mail with subject "set-0" waits for advisory lock {@code key}, so it commits when the test says. */
    private void holdTheMailSubjectSet0OnLock(long key) {
        db.dsl().execute("""
                create function hold_first_set() returns trigger language plpgsql as $$
                begin
                  if new.subject = 'set-0' then perform pg_advisory_xact_lock(%d); end if;
                  return new;
                end $$""".formatted(key));
        db.dsl().execute("create trigger hold_first_set before insert on inbound_message for each row execute function hold_first_set()");
    }

    private static String messageIdOf(byte[] raw) {
        String text = new String(raw, java.nio.charset.StandardCharsets.ISO_8859_1);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?im)^Message-ID:\\s*(<[^>]+>)").matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("test mail without a Message-ID");
        }
        return m.group(1);
    }

    private void startReader() {
        long epoch = leases.acquire("support", "test-node");
        MailboxReader reader = new MailboxReader(mail.mailbox("support", SUPPORT, PASSWORD, "INBOX"), store, epoch, Clock.systemUTC());
        readers.add(reader);
        reader.start();
    }

    private void awaitInboxEmpty(int expectedProcessed, Duration atMost) {
        await().atMost(TestTimeouts.seconds(atMost.toSeconds())).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            assertThat(mail.uids(SUPPORT, PASSWORD, "INBOX")).isEmpty();
            assertThat(mail.uids(SUPPORT, PASSWORD, "Processed")).hasSize(expectedProcessed);
        });
    }
}
