package dev.ticketd.chaos.scenario.check;

import dev.ticketd.chaos.scenario.check.Checker.Duplicated;
import dev.ticketd.chaos.scenario.check.Checker.EpochOverlap;
import dev.ticketd.chaos.scenario.check.Checker.Epochs;
import dev.ticketd.chaos.scenario.check.Checker.Lost;
import dev.ticketd.chaos.scenario.check.Checker.Misthreaded;
import dev.ticketd.chaos.scenario.check.Checker.Unexpected;
import dev.ticketd.chaos.scenario.check.Checker.Verdicts;
import dev.ticketd.chaos.scenario.check.Checker.WithoutCommitTime;
import dev.ticketd.chaos.scenario.check.History.Kind;
import dev.ticketd.chaos.scenario.check.History.Outcome;
import dev.ticketd.chaos.scenario.check.History.Send;
import dev.ticketd.chaos.scenario.check.History.Stored;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checker on hand-made histories: each rule has a history that breaks it and one that comes
 * close without breaking it, so removing or loosening a rule fails a test here.
 */
class CheckerTest {

    private static final Instant T0 = Instant.parse("2026-12-03T12:00:00Z");
    private static final String BOX = "support";

    /** A small builder of histories: sends and stored rows, in the order written. */
    private static final class H {
        final List<Send> sends = new ArrayList<>();
        final List<Stored> stored = new ArrayList<>();
        long nextId = 1;

        H send(String tag, Outcome outcome) {
            return send(tag, Kind.NEW, null, outcome);
        }

        H send(String tag, Kind kind, String replyTo, Outcome outcome) {
            sends.add(new Send(tag, kind, replyTo, T0.plusSeconds(sends.size()), outcome));
            return this;
        }

        /** A stored mail of {@link #BOX}, committed {@code commitMs} after T0 under {@code epoch}, as a message of {@code ticket} (null: none). */
        H stored(String tag, long epoch, long commitMs, Long ticket) {
            return stored(BOX, tag, epoch, commitMs - 5, commitMs, ticket);
        }

        H stored(String mailbox, String tag, long epoch, long startMs, long commitMs, Long ticket) {
            stored.add(new Stored(nextId++, mailbox, tag, epoch, T0.plusMillis(commitMs), T0.plusMillis(startMs), ticket,
                    ticket == null ? null : "T-" + ticket));
            return this;
        }

        Verdicts check() {
            return Checker.check(new History(sends, stored));
        }
    }

    @Nested
    class Mails {

        @Test
        void anAcceptedMailStoredOnceAsOneTicketMessageIsFine() {
            Verdicts v = new H().send("cm000001", Outcome.OK).stored("cm000001", 1, 100, 10L).check();

            assertThat(v.mailsOk()).isTrue();
            assertThat(v.accepted()).isEqualTo(1);
            assertThat(v.unexpected()).isEmpty();
            assertThat(v.mails()).singleElement().satisfies(m -> {
                assertThat(m.copies()).isEqualTo(1);
                assertThat(m.messages()).isEqualTo(1);
                assertThat(m.ticket()).isEqualTo("T-10");
                assertThat(m.ticketedAt()).as("the commit time, not the transaction's start").isEqualTo(T0.plusMillis(100));
            });
        }

        @Test
        void anAcceptedMailThatWasNeverStoredIsLost() {
            Verdicts v = new H().send("cm000001", Outcome.OK).send("cm000002", Outcome.OK)
                    .stored("cm000002", 1, 100, 10L).check();

            assertThat(v.lost()).containsExactly(new Lost("cm000001", Outcome.OK, 0));
            assertThat(v.mailsOk()).isFalse();
        }

        @Test
        void anAcceptedMailStoredButNeverMadeATicketMessageIsLost() {
            Verdicts v = new H().send("cm000001", Outcome.OK).stored("cm000001", 1, 100, null).check();

            assertThat(v.lost()).containsExactly(new Lost("cm000001", Outcome.OK, 1));
        }

        @Test
        void badMailStoredOnceWithoutATicketWaitsInTheQuarantineAndIsNotLost() {
            Verdicts v = new H().send("cm000001", Kind.BAD, null, Outcome.OK).stored("cm000001", 1, 100, null).check();

            assertThat(v.lost()).isEmpty();
            assertThat(v.quarantined()).isEqualTo(1);
        }

        @Test
        void badMailThatWasNeverStoredIsLost() {
            Verdicts v = new H().send("cm000001", Kind.BAD, null, Outcome.OK).check();

            assertThat(v.lost()).containsExactly(new Lost("cm000001", Outcome.OK, 0));
        }

        @Test
        void anAcceptedMailStoredTwiceIsDuplicated() {
            Verdicts v = new H().send("cm000001", Outcome.OK)
                    .stored("cm000001", 1, 100, 10L).stored("cm000001", 2, 900, 11L).check();

            assertThat(v.duplicated()).containsExactly(new Duplicated("cm000001", Outcome.OK, 2, 2));
            assertThat(v.duplicatedCopies()).isEqualTo(1);
            assertThat(v.mailsOk()).isFalse();
        }

        @Test
        void oneStoredMailInTwoTicketMessagesIsDuplicated() {
            H h = new H().send("cm000001", Outcome.OK);
            h.stored.add(new Stored(7, BOX, "cm000001", 1, T0, T0, 10L, "T-10"));
            h.stored.add(new Stored(7, BOX, "cm000001", 1, T0, T0, 11L, "T-11"));

            Verdicts v = h.check();

            assertThat(v.duplicated()).containsExactly(new Duplicated("cm000001", Outcome.OK, 1, 2));
            assertThat(v.unexpected()).isEmpty();
        }

        @Test
        void badMailStoredTwiceIsDuplicatedEvenWhenNeitherCopyIsATicket() {
            Verdicts v = new H().send("cm000001", Kind.BAD, null, Outcome.OK)
                    .stored("cm000001", 1, 100, null).stored("cm000001", 1, 200, null).check();

            assertThat(v.duplicated()).containsExactly(new Duplicated("cm000001", Outcome.OK, 2, 0));
            assertThat(v.quarantined()).isZero();
        }

        @Test
        void aMailTheServerRefusedMayBeAbsent() {
            Verdicts v = new H().send("cm000001", Outcome.FAIL).check();

            assertThat(v.mailsOk()).isTrue();
            assertThat(v.unexpected()).isEmpty();
            assertThat(v.accepted()).isZero();
        }

        @Test
        void aMailTheServerRefusedYetTheDeskStoredIsUnexpected() {
            Verdicts v = new H().send("cm000001", Outcome.FAIL).stored("cm000001", 1, 100, 10L).check();

            assertThat(v.unexpected()).containsExactly(new Unexpected(1, "cm000001", "the mail server refused this mail"));
        }

        @Test
        void aStoredMailWithoutATagOrWithATagNobodySentIsUnexpectedOnce() {
            H h = new H().send("cm000001", Outcome.OK).stored("cm000001", 1, 100, 10L)
                    .stored(null, 1, 200, 11L).stored("cm999999", 1, 300, 12L);
            h.stored.add(new Stored(3, BOX, "cm999999", 1, T0, T0, 13L, "T-13")); // the same row, joined with a second message

            Verdicts v = h.check();

            assertThat(v.unexpected()).extracting(Unexpected::inboundId).containsExactly(2L, 3L);
        }

        @Test
        void aReplyMustBeInTheTicketOfTheMailItAnswers() {
            Verdicts v = new H().send("cm000001", Outcome.OK).send("cm000002", Kind.REPLY, "cm000001", Outcome.OK)
                    .send("cm000003", Kind.REPLY, "cm000001", Outcome.OK)
                    .stored("cm000001", 1, 100, 10L).stored("cm000002", 1, 200, 10L).stored("cm000003", 1, 300, 11L).check();

            assertThat(v.misthreaded()).containsExactly(new Misthreaded("cm000003", "cm000001", 10L, 11L));
            assertThat(v.mails()).filteredOn(m -> m.send().tag().equals("cm000002")).singleElement()
                    .satisfies(m -> assertThat(m.inExpectedTicket()).isTrue());
        }
    }

    @Nested
    class UnknownOutcomes {

        @Test
        void aSendWhoseOutcomeWasNotObservedMayBeAbsent() {
            Verdicts v = new H().send("cm000001", Outcome.UNKNOWN).check();

            assertThat(v.lost()).isEmpty();
            assertThat(v.mailsOk()).isTrue();
            assertThat(v.unknowns().sends()).isEqualTo(1);
            assertThat(v.unknowns().stored()).isZero();
            assertThat(v.unknowns().absent()).isEqualTo(1);
            assertThat(v.accepted()).as("an unknown is not an accepted mail").isZero();
        }

        @Test
        void aSendWhoseOutcomeWasNotObservedMayBePresentOnce() {
            Verdicts v = new H().send("cm000001", Outcome.UNKNOWN).stored("cm000001", 1, 100, 10L).check();

            assertThat(v.unexpected()).as("the server may have taken it").isEmpty();
            assertThat(v.mailsOk()).isTrue();
            assertThat(v.unknowns().stored()).isEqualTo(1);
        }

        @Test
        void aSendWhoseOutcomeWasNotObservedIsNeverDuplicated() {
            Verdicts v = new H().send("cm000001", Outcome.UNKNOWN)
                    .stored("cm000001", 1, 100, 10L).stored("cm000001", 2, 900, 12L).check();

            assertThat(v.duplicated()).containsExactly(new Duplicated("cm000001", Outcome.UNKNOWN, 2, 2));
            assertThat(v.mailsOk()).isFalse();
        }

        @Test
        void aSendWhoseOutcomeWasNotObservedThatWasStoredMustBeATicketMessage() {
            Verdicts v = new H().send("cm000001", Outcome.UNKNOWN).stored("cm000001", 1, 100, null).check();

            assertThat(v.lost()).containsExactly(new Lost("cm000001", Outcome.UNKNOWN, 1));
        }
    }

    @Nested
    class EpochsByCommitOrder {

        @Test
        void epochsWhoseCommitsFollowEachOtherDoNotOverlap() {
            Epochs e = Checker.epochs(new H()
                    .stored("a", 1, 100, 1L).stored("b", 1, 200, 2L)
                    .stored("c", 2, 300, 3L).stored("d", 2, 400, 4L)
                    .stored("e", 3, 500, 5L).stored);

            assertThat(e.ok()).isTrue();
            assertThat(e.epochs()).isEqualTo(3);
        }

        @Test
        void aCommitUnderAnOlderEpochAfterTheFirstCommitOfANewerOneIsAnOverlap() {
            Epochs e = Checker.epochs(new H()
                    .stored("a", 1, 100, 1L)
                    .stored("b", 2, 300, 2L)
                    .stored("c", 1, 350, 3L) // the old leader, still committing
                    .stored("d", 2, 400, 4L).stored);

            assertThat(e.overlaps()).containsExactly(new EpochOverlap(BOX, 1, 1, T0.plusMillis(350), 2, T0.plusMillis(300)));
            assertThat(e.ok()).isFalse();
        }

        @Test
        void anInFlightTransactionThatStartedBeforeTheNewEpochButCommittedAfterItIsAnOverlap() {
            // received_at (the start) says epoch 1 came first; only the commit time shows the overlap
            Epochs e = Checker.epochs(new H()
                    .stored(BOX, "a", 1, 0, 100, 1L)
                    .stored(BOX, "b", 1, 150, 5_000, 2L) // frozen inside its transaction, committed on thawing
                    .stored(BOX, "c", 2, 300, 310, 3L).stored);

            assertThat(e.overlaps()).containsExactly(new EpochOverlap(BOX, 1, 1, T0.plusMillis(5_000), 2, T0.plusMillis(310)));
        }

        @Test
        void aTransactionThatStartedAfterTheNewEpochButCommittedBeforeItsFirstCommitIsNoOverlap() {
            // the converse: ordering by received_at would call this an overlap; by commit order it is not
            Epochs e = Checker.epochs(new H()
                    .stored(BOX, "a", 1, 400, 450, 1L)
                    .stored(BOX, "b", 2, 300, 500, 2L).stored);

            assertThat(e.ok()).isTrue();
        }

        @Test
        void anOlderEpochIsJudgedAgainstEveryNewerEpochNotOnlyTheNext() {
            Epochs e = Checker.epochs(new H()
                    .stored("a", 3, 100, 1L)
                    .stored("b", 5, 200, 2L)
                    .stored("c", 4, 300, 3L) // 4 after 5's first commit
                    .stored("d", 3, 250, 4L) // 3 after 5's first commit, though before 4's
                    .stored);

            assertThat(e.overlaps()).containsExactly(
                    new EpochOverlap(BOX, 3, 1, T0.plusMillis(250), 5, T0.plusMillis(200)),
                    new EpochOverlap(BOX, 4, 1, T0.plusMillis(300), 5, T0.plusMillis(200)));
        }

        @Test
        void aCommitAtTheSameInstantAsTheNewerEpochsFirstIsNotLater() {
            Epochs e = Checker.epochs(new H().stored("a", 1, 300, 1L).stored("b", 2, 300, 2L).stored);

            assertThat(e.ok()).isTrue();
        }

        @Test
        void epochsOfDifferentMailboxesAreNotCompared() {
            Epochs e = Checker.epochs(new H()
                    .stored("support", "a", 7, 0, 100, 1L)
                    .stored("sales", "b", 1, 0, 50, 2L)
                    .stored("sales", "c", 1, 0, 200, 3L).stored);

            assertThat(e.ok()).isTrue();
            assertThat(e.epochs()).isEqualTo(2);
        }

        @Test
        void aStoredMailWithoutACommitTimeCannotBeJudgedAndFailsTheCheck() {
            H h = new H().stored("a", 1, 100, 1L);
            h.stored.add(new Stored(9, BOX, "b", 2, null, T0, 2L, "T-2"));

            Epochs e = Checker.epochs(h.stored);

            assertThat(e.withoutCommitTime()).containsExactly(new WithoutCommitTime(BOX, 9, 2));
            assertThat(e.overlaps()).isEmpty();
            assertThat(e.ok()).isFalse();
        }

        @Test
        void theFullCheckCarriesTheEpochVerdict() {
            Verdicts v = new H().send("a", Outcome.OK).send("b", Outcome.OK)
                    .stored("a", 1, 500, 1L).stored("b", 2, 300, 2L).check();

            assertThat(v.mailsOk()).isTrue();
            assertThat(v.epochs().overlaps()).hasSize(1);
        }
    }
}
