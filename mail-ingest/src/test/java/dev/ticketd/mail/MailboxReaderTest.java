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
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.mail.testing.TestMailServer.rfc822;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The reader against a real PostgreSQL and a real IMAP/SMTP server (GreenMail). */
class MailboxReaderTest {

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
    void eachOf200MailsBecomesExactlyOneTicket() {
        List<byte[]> mails = IntStream.range(0, 200)
                .mapToObj(i -> mail.textMail("customer" + (i % 37) + "@example.test", SUPPORT, "tag-" + i, "body " + i))
                .toList();
        startReader("INBOX");
        mail.send(SUPPORT, mails);

        awaitInboxEmpty("INBOX", 200, Duration.ofSeconds(60));
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(200);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(200);
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE)).isEqualTo(200);
        assertThat(db.dsl().selectDistinct(TICKET.SUBJECT).from(TICKET).fetch(TICKET.SUBJECT))
                .containsExactlyInAnyOrderElementsOf(IntStream.range(0, 200).mapToObj(i -> "tag-" + i).toList());
        assertThat(mail.subjects(SUPPORT, PASSWORD, "Processed")).hasSize(200).doesNotHaveDuplicates();
    }

    @Test
    void aLongPassTellsItsListenerThatItTakesMailInBeforeThePassEnds() {
        mail.deliverInProcess(SUPPORT, IntStream.range(0, 30)
                .mapToObj(i -> mail.textMail("night@example.test", SUPPORT, "night-" + i, "body " + i)).toList());
        // every reading of this clock is a second later: the pass over 30 mails "lasts" half a minute
        Clock slowPass = secondPerReading();
        List<Integer> told = new CopyOnWriteArrayList<>();
        MailboxReader reader = new MailboxReader(mail.mailbox("support", SUPPORT, PASSWORD, "INBOX"), store,
                leases.acquire("support", "test-node"), slowPass, (mailbox, epoch, backlog, lastError) -> told.add(backlog));
        readers.add(reader);
        reader.start();

        awaitInboxEmpty("INBOX", 30, Duration.ofSeconds(60));
        await().atMost(TestTimeouts.seconds(10)).until(() -> told.contains(0));
        assertThat(told.get(0)).as("the first word comes during the pass, with the mails still to take in").isBetween(1, 30);
        assertThat(told.subList(0, told.indexOf(0))).as("each word during the pass, fewer mails left").isSortedAccordingTo(
                java.util.Comparator.reverseOrder()).hasSizeGreaterThan(2);
        assertThat(reader.status().lastProgressAt()).isNotNull();
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(30);
    }

    @Test
    void findingStoredMailsItCannotMoveIsNoProgressAndTheNextPassMovesThem() {
        long epoch = leases.acquire("support", "test-node");
        // every reading of this clock is a second later: a pass that counted found mails as progress
        // would tell its listener so during the pass, with the mails still left
        List<Integer> told = new CopyOnWriteArrayList<>();
        MailboxReader reader = new MailboxReader(mail.mailbox("support", SUPPORT, PASSWORD, "INBOX"), store, epoch,
                secondPerReading(), (mailbox, e, backlog, lastError) -> told.add(backlog));
        readers.add(reader);
        reader.start();
        await().atMost(TestTimeouts.seconds(30)).until(() -> reader.status().lastPassAt() != null);
        // the reader waits on its empty INBOX; its Processed folder goes away, so no move can succeed
        mail.deleteFolder(SUPPORT, PASSWORD, "Processed");
        // mails a reader of this lease stored before dying, under the UIDs the INBOX gives them next
        int n = 30;
        long uidValidity = mail.uidValidity(SUPPORT, PASSWORD, "INBOX");
        long firstUid = mail.uidNext(SUPPORT, PASSWORD, "INBOX");
        List<byte[]> raws = IntStream.range(0, n)
                .mapToObj(i -> mail.textMail("stuck@example.test", SUPPORT, "stuck-" + i, "body " + i)).toList();
        for (int i = 0; i < n; i++) {
            assertThat(store.ingest(new IngestStore.IncomingMail("support", uidValidity, firstUid + i, raws.get(i)), epoch))
                    .isEqualTo(IngestStore.Outcome.TICKETED);
        }
        mail.append(SUPPORT, PASSWORD, "INBOX", raws);
        assertThat(mail.uids(SUPPORT, PASSWORD, "INBOX")).as("the UIDs the mails were stored under")
                .containsExactlyElementsOf(LongStream.range(firstUid, firstUid + n).boxed().toList());

        await().atMost(TestTimeouts.seconds(30)).until(() -> reader.status().alreadyStored() >= n);
        assertThat(told).as("no word of progress during passes that only found stored mails and moved none")
                .containsOnly(0);
        assertThat(mail.uids(SUPPORT, PASSWORD, "INBOX")).hasSize(n);

        // the folder is back: the next pass (woken by one more mail) moves them all, once
        mail.recreateFolder(SUPPORT, PASSWORD, "Processed");
        mail.append(SUPPORT, PASSWORD, "INBOX", List.of(mail.textMail("later@example.test", SUPPORT, "later", "body")));
        awaitInboxEmpty("INBOX", n + 1, Duration.ofSeconds(30));
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(n + 1);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(n + 1);
        assertThat(mail.subjects(SUPPORT, PASSWORD, "Processed")).hasSize(n + 1).doesNotHaveDuplicates();
    }

    @Test
    void theMailsABatchCommittedBeforeItsReaderDiedAreMovedByTheNextReaderWithoutADuplicate() {
        int n = MailboxReader.MOVE_BATCH + 10;
        mail.deliverInProcess(SUPPORT, IntStream.range(0, n)
                .mapToObj(i -> mail.textMail("batch@example.test", SUPPORT, "batch-" + i, "body " + i)).toList());
        long uidValidity = mail.uidValidity(SUPPORT, PASSWORD, "INBOX");
        List<Long> uids = mail.uids(SUPPORT, PASSWORD, "INBOX");
        // the state a crash between a batch's commits and its UID MOVE leaves: every other mail
        // stored in PostgreSQL, all of them still in the INBOX
        long deadReaderEpoch = leases.acquire("support", "node-that-died");
        for (int i = 0; i < n; i += 2) {
            assertThat(store.ingest(new IngestStore.IncomingMail("support", uidValidity, uids.get(i), rawOf("INBOX", uids.get(i))),
                    deadReaderEpoch)).isEqualTo(IngestStore.Outcome.TICKETED);
        }

        startReader("INBOX");

        awaitInboxEmpty("INBOX", n, Duration.ofSeconds(60));
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(n);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(n);
        assertThat(mail.subjects(SUPPORT, PASSWORD, "Processed")).hasSize(n).doesNotHaveDuplicates();
    }

    @Test
    void aMailStoredByAReaderThatDiedBeforeMovingItIsMovedByTheNextReaderWithoutADuplicate() {
        mail.append(SUPPORT, PASSWORD, "INBOX", List.of(
                mail.textMail("a@example.test", SUPPORT, "first", "1"),
                mail.textMail("b@example.test", SUPPORT, "second", "2"),
                mail.textMail("c@example.test", SUPPORT, "third", "3")));
        long uidValidity = mail.uidValidity(SUPPORT, PASSWORD, "INBOX");
        long secondUid = mail.uids(SUPPORT, PASSWORD, "INBOX").get(1);

        // the state a crash between commit and MOVE leaves behind: stored in PostgreSQL, still in the INBOX
        long deadReaderEpoch = leases.acquire("support", "node-that-died");
        byte[] secondRaw = rawOf("INBOX", secondUid);
        assertThat(store.ingest(new IngestStore.IncomingMail("support", uidValidity, secondUid, secondRaw), deadReaderEpoch))
                .isEqualTo(IngestStore.Outcome.TICKETED);

        startReader("INBOX");

        awaitInboxEmpty("INBOX", 3, Duration.ofSeconds(30));
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(3);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(3);
        assertThat(mail.subjects(SUPPORT, PASSWORD, "Processed")).containsExactlyInAnyOrder("first", "second", "third");
    }

    @Test
    void aChangedUidValidityRereadsTheMailboxWithoutDuplicates() {
        List<byte[]> firstFive = IntStream.range(0, 5)
                .mapToObj(i -> mail.textMail("p" + i + "@example.test", SUPPORT, "queued-" + i, "q" + i)).toList();
        mail.append(SUPPORT, PASSWORD, "Queue", firstFive);
        long before = mail.uidValidity(SUPPORT, PASSWORD, "Queue");
        MailboxReader first = startReader("Queue");
        awaitInboxEmpty("Queue", 5, Duration.ofSeconds(30));
        first.close();

        // the server lost its state: the folder comes back with a new UIDVALIDITY and the same mail in it
        mail.recreateFolder(SUPPORT, PASSWORD, "Queue");
        List<byte[]> again = new ArrayList<>(firstFive);
        again.add(mail.textMail("new@example.test", SUPPORT, "really-new", "n"));
        mail.append(SUPPORT, PASSWORD, "Queue", again);
        assertThat(mail.uidValidity(SUPPORT, PASSWORD, "Queue")).isNotEqualTo(before);

        startReader("Queue");
        awaitInboxEmpty("Queue", 11, Duration.ofSeconds(30));
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(6);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(6);
    }

    @Test
    void anUnparseableMailIsStoredAndMarkedAndTheMailsAfterItAreStillTakenIn() {
        mail.append(SUPPORT, PASSWORD, "INBOX", List.of(
                mail.textMail("a@example.test", SUPPORT, "before", "1"),
                rfc822("""
                        To: support@example.test
                        Subject: nobody sent this

                        no sender at all
                        """),
                mail.textMail("c@example.test", SUPPORT, "after", "3")));

        startReader("INBOX");

        awaitInboxEmpty("INBOX", 3, Duration.ofSeconds(30));
        assertThat(db.dsl().select(TICKET.SUBJECT).from(TICKET).fetch(TICKET.SUBJECT)).containsExactlyInAnyOrder("before", "after");
        var failed = db.dsl().selectFrom(INBOUND_MESSAGE).where(INBOUND_MESSAGE.PARSE_STATUS.eq("failed")).fetchOne();
        assertThat(failed).isNotNull();
        assertThat(failed.getParseError()).isEqualTo("The mail has no sender address we can read");
        assertThat(new String(failed.getRaw())).contains("no sender at all");
    }

    @Test
    void aReaderWithAStaleEpochCommitsNothingAndStops() {
        long staleEpoch = leases.acquire("support", "old-node");
        leases.acquire("support", "new-node");
        mail.append(SUPPORT, PASSWORD, "INBOX", List.of(mail.textMail("a@example.test", SUPPORT, "fenced", "1")));

        MailboxReader stale = new MailboxReader(mail.mailbox("support", SUPPORT, PASSWORD, "INBOX"), store, staleEpoch, Clock.systemUTC());
        readers.add(stale);
        stale.start();

        await().atMost(TestTimeouts.seconds(20)).until(() -> stale.status().state() == MailboxReader.State.FENCED_OUT);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isZero();
        assertThat(db.dsl().fetchCount(TICKET)).isZero();
        assertThat(mail.subjects(SUPPORT, PASSWORD, "INBOX")).containsExactly("fenced");
        assertThatThrownBy(() -> store.ingest(new IngestStore.IncomingMail("support", 1, 1, mail.textMail(
                "a@example.test", SUPPORT, "direct", "1")), staleEpoch)).isInstanceOf(StaleEpochException.class);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isZero();
    }

    @Test
    void aMailOverTheSizeLimitIsQuarantinedWithItsHeadersOnlyOnceAcrossLeadersAndLeavesTheInbox() {
        String big = "x".repeat(200).concat("\n").repeat(300); // about 60 KB, over a 20 KB limit
        mail.append(SUPPORT, PASSWORD, "INBOX", List.of(
                mail.textMail("a@example.test", SUPPORT, "small before", "1"),
                mail.textMail("whale@example.test", SUPPORT, "the whole database dump", big),
                mail.textMail("c@example.test", SUPPORT, "small after", "3")));
        long uidValidity = mail.uidValidity(SUPPORT, PASSWORD, "INBOX");
        long bigUid = mail.uids(SUPPORT, PASSWORD, "INBOX").get(1);
        MailboxSettings limited = withLimit(mail.mailbox("support", SUPPORT, PASSWORD, "INBOX"), 20_000);

        // a leader that recorded the big mail and died before moving it
        long deadEpoch = leases.acquire("support", "node-that-died");
        byte[] head = TestMailServer.rfc822("From: whale@example.test\nSubject: the whole database dump\n\n");
        assertThat(store.quarantineOversized(new IngestStore.IncomingMail("support", uidValidity, bigUid, head), 61_000, 20_000,
                deadEpoch)).isEqualTo(IngestStore.Outcome.STORED_UNPARSEABLE);

        long epoch = leases.acquire("support", "test-node");
        assertThatThrownBy(() -> store.quarantineOversized(new IngestStore.IncomingMail("support", uidValidity, bigUid, head),
                61_000, 20_000, deadEpoch)).isInstanceOf(StaleEpochException.class);
        MailboxReader reader = new MailboxReader(limited, store, epoch, Clock.systemUTC());
        readers.add(reader);
        reader.start();

        awaitInboxEmpty("INBOX", 3, Duration.ofSeconds(30));
        assertThat(db.dsl().select(TICKET.SUBJECT).from(TICKET).fetch(TICKET.SUBJECT)).containsExactlyInAnyOrder("small before", "small after");
        var quarantined = db.dsl().selectFrom(INBOUND_MESSAGE).where(INBOUND_MESSAGE.PARSE_STATUS.eq("failed")).fetch();
        assertThat(quarantined).hasSize(1);
        assertThat(quarantined.get(0).getParseError()).startsWith("too large: ");
        assertThat(quarantined.get(0).getSubject()).isEqualTo("the whole database dump");
        assertThat(new String(quarantined.get(0).getRaw())).doesNotContain("xxxxxxxx");

        // a new leader on a fresh folder state (same mail, same coordinates gone: a new UIDVALIDITY) records nothing twice
        reader.close();
        mail.recreateFolder(SUPPORT, PASSWORD, "INBOX");
        mail.append(SUPPORT, PASSWORD, "INBOX", List.of(mail.textMail("d@example.test", SUPPORT, "small later", "4")));
        MailboxReader next = new MailboxReader(limited, store, leases.acquire("support", "next-node"), Clock.systemUTC());
        readers.add(next);
        next.start();
        awaitInboxEmpty("INBOX", 4, Duration.ofSeconds(30));
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE, INBOUND_MESSAGE.PARSE_STATUS.eq("failed"))).isEqualTo(1);
        assertThat(next.status().oversizedWaiting()).isZero();
    }

    @Test
    void theSameOversizedMailSeenByTwoLeadersUnderNewCoordinatesIsRecordedOnce() {
        byte[] head = TestMailServer.rfc822("From: whale@example.test\nMessage-ID: <w1@example.test>\nSubject: dump\n\n");
        long first = leases.acquire("support", "one");
        assertThat(store.quarantineOversized(new IngestStore.IncomingMail("support", 7, 1, head), 61_000, 20_000, first))
                .isEqualTo(IngestStore.Outcome.STORED_UNPARSEABLE);
        long second = leases.acquire("support", "two");
        assertThat(store.quarantineOversized(new IngestStore.IncomingMail("support", 8, 1, head), 61_000, 20_000, second))
                .isEqualTo(IngestStore.Outcome.ALREADY_STORED);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(1);
    }

    private static MailboxSettings withLimit(MailboxSettings s, long maxBytes) {
        return new MailboxSettings(s.id(), s.address(), s.imapHost(), s.imapPort(), s.imapSecurity(), s.imapUser(),
                s.imapPassword(), s.inboxFolder(), s.processedFolder(), s.pollInterval(), s.ioTimeout(), maxBytes);
    }

    /** A clock each reading of which is a second after the one before. */
    private static Clock secondPerReading() {
        AtomicLong seconds = new AtomicLong();
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return Instant.EPOCH.plusSeconds(seconds.incrementAndGet());
            }
        };
    }

    private MailboxReader startReader(String inboxFolder) {
        long epoch = leases.acquire("support", "test-node");
        MailboxReader reader = new MailboxReader(mail.mailbox("support", SUPPORT, PASSWORD, inboxFolder), store, epoch, Clock.systemUTC());
        readers.add(reader);
        reader.start();
        return reader;
    }

    private void awaitInboxEmpty(String inboxFolder, int expectedProcessed, Duration atMost) {
        await().atMost(TestTimeouts.seconds(atMost.toSeconds())).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            assertThat(mail.uids(SUPPORT, PASSWORD, inboxFolder)).isEmpty();
            assertThat(mail.uids(SUPPORT, PASSWORD, "Processed")).hasSize(expectedProcessed);
        });
    }

    private byte[] rawOf(String folder, long uid) {
        try (ImapMailbox box = new ImapMailbox(mail.mailbox("support", SUPPORT, PASSWORD, folder))) {
            box.open();
            return box.fetchRaw(uid);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void poisonMailsNeitherBlockTheMailsBehindThemNorGetLost() {
        String longSender = "x".repeat(400) + "@example.test";
        mail.append(SUPPORT, PASSWORD, "INBOX", List.of(
                rfc822("""
                        From: a@example.test
                        Subject: =?utf-8?Q?nul=00here?=
                        Message-ID: <p1@example.test>

                        body
                        """),
                rfc822("""
                        From: b@example.test
                        Subject: nul in body
                        Message-ID: <p2@example.test>
                        Content-Type: text/plain; charset=utf-8
                        Content-Transfer-Encoding: base64

                        YQBi
                        """),
                rfc822("From: " + longSender + "\nSubject: long sender\nMessage-ID: <p3@example.test>\n\nbody\n"),
                rfc822("""
                        From: d@example.test
                        Subject: refuse-me
                        Message-ID: <p4@example.test>

                        the database will refuse this ticket
                        """),
                mail.textMail("e@example.test", SUPPORT, "good one", "fine"),
                mail.textMail("f@example.test", SUPPORT, "good two", "fine")));
        // a real refusal by the database of the ticket a mail would open (check_violation, SQLSTATE 23514)
        dev.ticketd.mail.testing.RefusedTickets.refuseSubjectRefuseMe(db);

        startReader("INBOX");

        awaitInboxEmpty("INBOX", 6, Duration.ofSeconds(30));
        assertThat(db.dsl().select(TICKET.SUBJECT).from(TICKET).fetch(TICKET.SUBJECT))
                .containsExactlyInAnyOrder("nulhere", "nul in body", "good one", "good two");
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(6);
        assertThat(db.dsl().select(INBOUND_MESSAGE.PARSE_ERROR).from(INBOUND_MESSAGE)
                .where(INBOUND_MESSAGE.PARSE_STATUS.eq("failed")).fetch(INBOUND_MESSAGE.PARSE_ERROR))
                .hasSize(2)
                .anySatisfy(reason -> assertThat(reason).isEqualTo("The sender's address is longer than 320 characters, more than we can store"))
                .anySatisfy(reason -> assertThat(reason).startsWith("The mail was read, but the database refused to store it as a ticket (23514"));
    }

    @Test
    void aLeaseTakenOverMidStreamStillGivesEachMailExactlyOneTicket() {
        List<byte[]> mails = IntStream.range(0, 120)
                .mapToObj(i -> mail.textMail("c" + i + "@example.test", SUPPORT, "handover-" + i, "b" + i)).toList();
        mail.append(SUPPORT, PASSWORD, "INBOX", mails);
        MailboxReader first = startReader("INBOX");
        await().atMost(TestTimeouts.seconds(30)).until(() -> db.dsl().fetchCount(TICKET) >= 20);

        MailboxReader second = startReader("INBOX"); // a new epoch: the first reader is now stale

        awaitInboxEmpty("INBOX", 120, Duration.ofSeconds(60));
        await().atMost(TestTimeouts.seconds(20)).until(() -> first.status().state() == MailboxReader.State.FENCED_OUT);
        assertThat(second.isRunning()).isTrue();
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(120);
        assertThat(db.dsl().fetchCount(INBOUND_MESSAGE)).isEqualTo(120);
        assertThat(db.dsl().selectDistinct(TICKET.SUBJECT).from(TICKET).fetch(TICKET.SUBJECT)).hasSize(120);
    }
}
