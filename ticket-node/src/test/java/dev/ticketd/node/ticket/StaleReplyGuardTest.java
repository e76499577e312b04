package dev.ticketd.node.ticket;

import dev.ticketd.db.Database;
import dev.ticketd.desk.ConflictException;
import dev.ticketd.desk.IncomingMail;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.desk.Tickets;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.auth.StaffAccounts;
import dev.ticketd.node.auth.StaffUser;
import dev.ticketd.node.web.TestData;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.HELD_REPLY;
import static dev.ticketd.db.generated.Tables.HELD_REPLY_ATTACHMENT;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The stale-reply guard against a real PostgreSQL: a reply composed before a customer's mail or a
 * colleague's reply arrived is held, not mailed; its author sends it anyway (mailed once) or
 * discards it (never mailed); a replayed idempotency key never makes a second message or held reply.
 */
class StaleReplyGuardTest {

    private static final AtomicInteger numbers = new AtomicInteger(7000);

    static Database db;
    static TestData data;
    static ReplyService replies;
    static HeldReplies held;
    static StaffUser ana;
    static StaffUser ben;
    static String mailbox;

    @BeforeAll
    static void start() {
        db = TestPostgres.freshDatabase();
        data = new TestData(db);
        replies = new ReplyService(db);
        held = new HeldReplies(db);
        StaffAccounts accounts = new StaffAccounts(db);
        ana = new StaffUser(accounts.createUser("ana@guard.example.test", "Ana", "agent-password", Role.AGENT),
                "ana@guard.example.test", "Ana", Role.AGENT);
        ben = new StaffUser(accounts.createUser("ben@guard.example.test", "Ben", "agent-password", Role.ADMIN),
                "ben@guard.example.test", "Ben", Role.ADMIN);
        mailbox = data.mailbox("guard", "help@guard.example.test");
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    /** A ticket with the customer's first mail; returns the ticket id. */
    private static long ticketWithMail() {
        String number = "T-" + numbers.incrementAndGet();
        long ticket = data.ticket(number, "Printer " + number, "open", mailbox, "kim@customer.example");
        customerWrites(ticket, "My printer is on fire.");
        return ticket;
    }

    /** The customer's mail as intake stores it: under the ticket's row lock, through the desk. */
    private static void customerWrites(long ticket, String text) {
        long inbound = data.storedMail(mailbox, "<" + UUID.randomUUID() + "@customer.example>", "kim@customer.example",
                ("Subject: Re: printer\r\n\r\n" + text + "\r\n").getBytes(StandardCharsets.US_ASCII));
        db.transactions().write(tx -> {
            TicketStatus status = TicketStatus.of(tx.select(TICKET.STATUS).from(TICKET).where(TICKET.ID.eq(ticket)).forUpdate()
                    .fetchSingle(TICKET.STATUS)).orElseThrow();
            return new Tickets().addMail(tx, mailbox, ticket, status, inbound,
                    new IncomingMail("kim@customer.example", "Kim", "Re: printer", text, Optional.empty(), List.of()), "token");
        });
    }

    private static long versionOf(long ticket) {
        return new TicketQueries(db).detail(ana.viewer(), ticket).value().version();
    }

    private static int outboxRows(long ticket) {
        return db.dsl().fetchCount(OUTBOX, OUTBOX.TICKET_ID.eq(ticket));
    }

    private static List<String> actions(long ticket) {
        return db.dsl().select(AUDIT_LOG.ACTION).from(AUDIT_LOG).where(AUDIT_LOG.TICKET_ID.eq(ticket)).orderBy(AUDIT_LOG.ID)
                .fetch(AUDIT_LOG.ACTION);
    }

    private static String key() {
        return UUID.randomUUID().toString();
    }

    @Test
    void aReplyToTheTicketAsItIsNowIsSentAsBefore() {
        long ticket = ticketWithMail();

        ReplyService.Outcome outcome = replies.reply(ticket, ana, "Unplug it.", key(), List.of(), versionOf(ticket));

        assertThat(outcome).isInstanceOf(ReplyService.Sent.class);
        assertThat(((ReplyService.Sent) outcome).result().mailQueued()).isTrue();
        assertThat(outboxRows(ticket)).isEqualTo(1);
        assertThat(db.dsl().fetchCount(HELD_REPLY, HELD_REPLY.TICKET_ID.eq(ticket))).isZero();
    }

    @Test
    void aCustomerMailAfterTheVersionSeenHoldsTheReplyWithItsFilesAndMailsNothing() {
        long ticket = ticketWithMail();
        long seen = versionOf(ticket);
        customerWrites(ticket, "Now the scanner too!");
        String key = key();

        ReplyService.Outcome outcome = replies.reply(ticket, ana, "Unplug the printer.", key,
                List.of(new ReplyAttachment("howto.txt", "text/plain", "unplug".getBytes(StandardCharsets.UTF_8))), seen);

        assertThat(outcome).isInstanceOf(ReplyService.Held.class);
        ReplyService.Held h = (ReplyService.Held) outcome;
        assertThat(h.created()).isTrue();
        assertThat(h.newer()).extracting(ThreadMessage::bodyText).containsExactly("Now the scanner too!");
        assertThat(h.newer()).extracting(ThreadMessage::author).containsExactly("Kim <kim@customer.example>");
        assertThat(h.version()).isEqualTo(versionOf(ticket)).isGreaterThan(seen);
        assertThat(h.reply().status()).isEqualTo("held");
        assertThat(h.reply().seen()).isEqualTo(seen);
        assertThat(h.reply().body()).isEqualTo("Unplug the printer.");
        assertThat(h.reply().attachments()).extracting(HeldReplies.HeldFile::filename).containsExactly("howto.txt");
        assertThat(outboxRows(ticket)).as("nothing mailed").isZero();
        assertThat(data.outboundMessagesOf(ticket)).as("no reply in the thread").isZero();
        assertThat(actions(ticket)).contains("ticket.reply_held").doesNotContain("ticket.reply");
        assertThat(held.heldBy(ana.viewer(), 100).value()).extracting(HeldReplies.HeldReply::id).contains(h.reply().id());
        assertThat(held.heldOn(ana.viewer(), ticket).value()).extracting(HeldReplies.HeldReply::id).containsExactly(h.reply().id());
        assertThat(held.heldOn(ben.viewer(), ticket).value()).as("held replies are their author's").isEmpty();
    }

    @Test
    void replayingTheKeyOfAHeldReplyAnswersTheSameHeldReplyAndStoresNothingMore() {
        long ticket = ticketWithMail();
        long seen = versionOf(ticket);
        customerWrites(ticket, "Hello?");
        String key = key();
        List<ReplyAttachment> files = List.of(new ReplyAttachment("a.txt", "text/plain", new byte[]{'a'}));

        ReplyService.Held first = (ReplyService.Held) replies.reply(ticket, ana, "On it.", key, files, seen);
        ReplyService.Outcome again = replies.reply(ticket, ana, "On it.", key, files, seen);
        ReplyService.Outcome withoutVersion = replies.reply(ticket, ana, "On it.", key, files, null);

        assertThat(again).isInstanceOfSatisfying(ReplyService.Held.class, h -> {
            assertThat(h.created()).isFalse();
            assertThat(h.reply().id()).isEqualTo(first.reply().id());
            assertThat(h.newer()).extracting(ThreadMessage::bodyText).containsExactly("Hello?");
        });
        assertThat(withoutVersion).isInstanceOfSatisfying(ReplyService.Held.class,
                h -> assertThat(h.reply().id()).isEqualTo(first.reply().id()));
        assertThatThrownBy(() -> replies.reply(ticket, ana, "On it.", key, files))
                .as("the plain reply call cannot answer a held reply").isInstanceOf(ConflictException.class)
                .hasMessageContaining("held reply " + first.reply().id());
        assertThat(db.dsl().fetchCount(HELD_REPLY, HELD_REPLY.TICKET_ID.eq(ticket))).isEqualTo(1);
        assertThat(db.dsl().fetchCount(HELD_REPLY_ATTACHMENT, HELD_REPLY_ATTACHMENT.HELD_REPLY_ID.eq(first.reply().id()))).isEqualTo(1);
        assertThat(outboxRows(ticket)).isZero();
    }

    @Test
    void sendingAHeldReplyAnywayMailsItOnceWithItsFilesAndEveryRepeatAnswersThatMessage() {
        long ticket = ticketWithMail();
        long seen = versionOf(ticket);
        customerWrites(ticket, "Also: it beeps.");
        String key = key();
        ReplyService.Held h = (ReplyService.Held) replies.reply(ticket, ana, "Unplug it.", key,
                List.of(new ReplyAttachment("guide.pdf", "application/pdf", new byte[]{1, 2, 3})), seen);

        ReplyService.Outcome sent = replies.sendHeld(h.reply().id(), ana, null, h.version());
        ReplyService.Outcome sentAgain = replies.sendHeld(h.reply().id(), ana, null, h.version());
        ReplyService.Outcome replayedKey = replies.reply(ticket, ana, "Unplug it.", key, List.of(), seen);

        assertThat(sent).isInstanceOf(ReplyService.Sent.class);
        ReplyService.ReplyResult result = ((ReplyService.Sent) sent).result();
        assertThat(result.created()).isTrue();
        assertThat(result.mailQueued()).isTrue();
        assertThat(result.message().attachments()).extracting(AttachmentInfo::filename).containsExactly("guide.pdf");
        assertThat(db.dsl().select(ATTACHMENT.CONTENT).from(ATTACHMENT).where(ATTACHMENT.TICKET_MESSAGE_ID.eq(result.message().id()))
                .fetchSingle(ATTACHMENT.CONTENT)).isEqualTo(new byte[]{1, 2, 3});
        assertThat(sentAgain).isInstanceOfSatisfying(ReplyService.Sent.class, s -> {
            assertThat(s.result().created()).isFalse();
            assertThat(s.result().message().id()).isEqualTo(result.message().id());
        });
        assertThat(replayedKey).isInstanceOfSatisfying(ReplyService.Sent.class,
                s -> assertThat(s.result().message().id()).isEqualTo(result.message().id()));
        assertThat(outboxRows(ticket)).as("mailed once").isEqualTo(1);
        assertThat(data.outboundMessagesOf(ticket)).isEqualTo(1);
        assertThat(db.dsl().select(OUTBOX.BODY_TEXT).from(OUTBOX).where(OUTBOX.TICKET_ID.eq(ticket)).fetchSingle(OUTBOX.BODY_TEXT))
                .isEqualTo("Unplug it.");
        assertThat(actions(ticket)).containsSubsequence("ticket.reply_held", "ticket.reply_sent_after_hold");
        assertThat(held.heldBy(ana.viewer(), 100).value()).extracting(HeldReplies.HeldReply::id).doesNotContain(h.reply().id());
        assertThatThrownBy(() -> replies.discardHeld(h.reply().id(), ana)).isInstanceOf(ConflictException.class);
    }

    @Test
    void anEditedHeldReplyIsMailedWithTheNewText() {
        long ticket = ticketWithMail();
        ReplyService.Held h = heldAfterCustomerWrites(ticket, "It stopped by itself.", "Unplug it.");

        replies.sendHeld(h.reply().id(), ana, "Glad it stopped; tell us if it starts again.", h.version());

        assertThat(db.dsl().select(OUTBOX.BODY_TEXT).from(OUTBOX).where(OUTBOX.TICKET_ID.eq(ticket)).fetchSingle(OUTBOX.BODY_TEXT))
                .isEqualTo("Glad it stopped; tell us if it starts again.");
        assertThat(db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG).where(AUDIT_LOG.TICKET_ID.eq(ticket))
                .and(AUDIT_LOG.ACTION.eq("ticket.reply_sent_after_hold")).fetchSingle(AUDIT_LOG.DETAIL).data().replace(" ", ""))
                .contains("\"edited\":true");
    }

    @Test
    void aHeldReplySentWhileYetAnotherMailArrivedIsHeldAgainWithThatMail() {
        long ticket = ticketWithMail();
        ReplyService.Held h = heldAfterCustomerWrites(ticket, "Second mail.", "Unplug it.");
        customerWrites(ticket, "Third mail.");

        ReplyService.Outcome again = replies.sendHeld(h.reply().id(), ana, "Unplug it now.", h.version());

        assertThat(again).isInstanceOfSatisfying(ReplyService.Held.class, still -> {
            assertThat(still.reply().id()).isEqualTo(h.reply().id());
            assertThat(still.newer()).extracting(ThreadMessage::bodyText).containsExactly("Third mail.");
            assertThat(still.reply().body()).as("the edit is kept").isEqualTo("Unplug it now.");
        });
        assertThat(outboxRows(ticket)).isZero();
    }

    @Test
    void aDiscardedHeldReplyIsNeverMailedAndItsKeyCannotSendItLater() {
        long ticket = ticketWithMail();
        long seen = versionOf(ticket);
        customerWrites(ticket, "Never mind.");
        String key = key();
        ReplyService.Held h = (ReplyService.Held) replies.reply(ticket, ana, "Unplug it.", key,
                List.of(new ReplyAttachment("x.txt", "text/plain", new byte[]{'x'})), seen);

        HeldReplies.HeldReply discarded = replies.discardHeld(h.reply().id(), ana);
        HeldReplies.HeldReply again = replies.discardHeld(h.reply().id(), ana);

        assertThat(discarded.status()).isEqualTo("discarded");
        assertThat(again.status()).isEqualTo("discarded");
        assertThat(held.heldBy(ana.viewer(), 100).value()).extracting(HeldReplies.HeldReply::id).doesNotContain(h.reply().id());
        assertThat(db.dsl().fetchCount(HELD_REPLY_ATTACHMENT, HELD_REPLY_ATTACHMENT.HELD_REPLY_ID.eq(h.reply().id()))).isZero();
        assertThatThrownBy(() -> replies.sendHeld(h.reply().id(), ana, null, null)).isInstanceOf(ConflictException.class)
                .hasMessageContaining("discarded");
        assertThatThrownBy(() -> replies.reply(ticket, ana, "Unplug it.", key, List.of(), seen)).isInstanceOf(ConflictException.class)
                .hasMessageContaining("discarded");
        assertThat(outboxRows(ticket)).isZero();
        assertThat(data.outboundMessagesOf(ticket)).isZero();
        assertThat(actions(ticket)).containsSubsequence("ticket.reply_held", "ticket.reply_discarded");
        assertThat(db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(ticket).and(AUDIT_LOG.ACTION.eq("ticket.reply_discarded"))))
                .as("a repeated discard is not audited twice").isEqualTo(1);
    }

    @Test
    void aColleaguesReplyMakesAReplyStaleButTheAuthorsOwnReplyAndNotesDoNot() {
        long ticket = ticketWithMail();
        long seen = versionOf(ticket);
        replies.reply(ticket, ana, "First answer.", key());
        replies.note(ticket, ben, "Internal: customer is a VIP.", key(), List.of());

        assertThat(replies.reply(ticket, ana, "Second answer.", key(), List.of(), seen))
                .as("Ana's own reply and Ben's note are no news to Ana's reply").isInstanceOf(ReplyService.Sent.class);

        long seenByBen = seen;
        ReplyService.Outcome bens = replies.reply(ticket, ben, "Ben's answer.", key(), List.of(), seenByBen);
        assertThat(bens).isInstanceOfSatisfying(ReplyService.Held.class, h -> assertThat(h.newer())
                .extracting(ThreadMessage::bodyText).containsExactly("First answer.", "Second answer."));
    }

    @Test
    void aVersionThatIsNotOneOfTheTicketsIsRefusedByName() {
        long ticket = ticketWithMail();
        long other = ticketWithMail();

        assertThatThrownBy(() -> replies.reply(ticket, ana, "Hi.", key(), List.of(), versionOf(other)))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("is not a version of this ticket");
        assertThatThrownBy(() -> replies.reply(ticket, ana, "Hi.", key(), List.of(), -1L))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("seen must be");
        assertThat(replies.reply(ticket, ana, "Hi.", key(), List.of(), 0L)).as("0: saw no message; the mail is news")
                .isInstanceOf(ReplyService.Held.class);
    }

    @Test
    void nobodyButItsAuthorSendsOrDiscardsAHeldReply() {
        long ticket = ticketWithMail();
        ReplyService.Held h = heldAfterCustomerWrites(ticket, "More.", "Mine.");

        assertThatThrownBy(() -> replies.sendHeld(h.reply().id(), ben, null, null)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> replies.discardHeld(h.reply().id(), ben)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> replies.sendHeld(999_999_999L, ana, null, null)).isInstanceOf(NotFoundException.class);
        assertThat(outboxRows(ticket)).isZero();
    }

    @Test
    void twoAgentsReplyingToTheSameVersionAtOnceMailOneReplyAndHoldTheOther() throws Exception {
        for (int round = 0; round < 5; round++) {
            long ticket = ticketWithMail();
            long seen = versionOf(ticket);
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<ReplyService.Outcome>> outcomes = new ArrayList<>();
                for (StaffUser agent : List.of(ana, ben)) {
                    outcomes.add(pool.submit(() -> {
                        go.await();
                        return replies.reply(ticket, agent, agent.displayName() + " answers.", key(), List.of(), seen);
                    }));
                }
                go.countDown();
                List<ReplyService.Outcome> done = new ArrayList<>();
                for (Future<ReplyService.Outcome> f : outcomes) {
                    done.add(f.get(TestTimeouts.seconds(30).toMillis(), TimeUnit.MILLISECONDS));
                }
                assertThat(done).as("round %d", round).filteredOn(o -> o instanceof ReplyService.Sent).hasSize(1);
                assertThat(done).as("round %d", round).filteredOn(o -> o instanceof ReplyService.Held).hasSize(1);
                assertThat(outboxRows(ticket)).isEqualTo(1);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Ana's reply (no files) to a ticket as she saw it before the customer wrote {@code customerMail}: held. */
    private ReplyService.Held heldAfterCustomerWrites(long ticket, String customerMail, String reply) {
        long seen = versionOf(ticket);
        customerWrites(ticket, customerMail);
        return (ReplyService.Held) replies.reply(ticket, ana, reply, key(), List.of(), seen);
    }
}
