package dev.ticketd.mail;

import java.time.Duration;

/** Told what became of each mail and how long storing it took (for metrics); must be quick. */
public interface IngestObserver {

    void ingested(String mailboxId, IngestStore.Outcome outcome, Duration took);

    /** A reader's write was refused because another reader holds a newer epoch. */
    void epochRejected(String mailboxId);

    IngestObserver NONE = new IngestObserver() {
        @Override
        public void ingested(String mailboxId, IngestStore.Outcome outcome, Duration took) {
        }

        @Override
        public void epochRejected(String mailboxId) {
        }
    };
}
