package dev.ticketd.mail;

import java.time.Duration;

/** Told what became of each mail and how long storing it took (for metrics); must be quick. */
public interface IngestObserver {

    void ingested(String mailboxId, IngestStore.Outcome outcome, Duration took);

    /** A reader's write was refused because another reader holds a newer epoch. */
    void epochRejected(String mailboxId);

    /** A pass over the INBOX failed on one mail (it stays there for the next pass, up to the budget's limit). */
    default void mailFailed(String mailboxId) {
    }

    /** A mail that failed too many passes was stored raw in the quarantine. */
    default void quarantinedAfterFailures(String mailboxId) {
    }

    /** A mail took longer than its parse budget and was stored raw in the quarantine. */
    default void overBudget(String mailboxId) {
    }

    IngestObserver NONE = new IngestObserver() {
        @Override
        public void ingested(String mailboxId, IngestStore.Outcome outcome, Duration took) {
        }

        @Override
        public void epochRejected(String mailboxId) {
        }
    };
}
