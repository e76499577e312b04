package dev.ticketd.chaos.scenario.check;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * What a run recorded, in the shape the {@link Checker} judges: every operation of the client
 * (a customer handing one tagged mail to the mail server, invoked and then completed as ok, fail or
 * unknown) and what the database holds at the end (every stored mail of the mailbox with its tag,
 * epoch, commit time and ticket). Immutable; built by the scenario, or by hand in a test.
 */
public record History(List<Send> sends, List<Stored> stored) {

    public History {
        sends = List.copyOf(sends);
        stored = List.copyOf(stored);
    }

    /** How a send completed, as the client saw it. */
    public enum Outcome {
        /** The mail server answered 250 to the end of the data: the mail must become exactly one ticket message. */
        OK,
        /** The mail server certainly did not take the mail (no connection, or a negative reply): it must not be stored. */
        FAIL,
        /** The answer was not observed (a time-out or a broken connection after the data went out): present or absent, never twice. */
        UNKNOWN;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What kind of mail a send was. */
    public enum Kind {
        /** Opens a ticket. */
        NEW,
        /** Answers an earlier mail's ticket ({@link Send#replyToTag()}): must land in that ticket. */
        REPLY,
        /** A file of the bad-mail corpus: may instead wait, stored once, in the quarantine. */
        BAD;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One operation of the customers: invoked at {@code invokedAt}, completed with {@code outcome}. */
    public record Send(String tag, Kind kind, String replyToTag, Instant invokedAt, Outcome outcome) {
    }

    /**
     * One stored mail of a mailbox joined with one of its ticket messages: a mail with no ticket
     * message appears once with {@code ticketId} null, a mail with two appears twice (same
     * {@code inboundId}).
     *
     * @param tag         the customer's tag found in the mail, null when none was found
     * @param epoch       the lease epoch its intake transaction was fenced by
     * @param committedAt when the transaction that stored it committed, as the database recorded it
     *                    ({@code pg_xact_commit_timestamp}); null when the database has no such record
     * @param receivedAt  {@code inbound_message.received_at}: when that transaction <em>started</em>
     *                    ({@code now()}); kept for the reader of a failure, never used to order commits
     */
    public record Stored(long inboundId, String mailboxId, String tag, long epoch, Instant committedAt, Instant receivedAt,
                         Long ticketId, String ticketNumber) {
    }
}
