package dev.ticketd.mail;

import org.jooq.DSLContext;

import static dev.ticketd.db.generated.Tables.MAILBOX_LEASE;

/**
 * The database fence of promise 3: called inside every ingest transaction, before its writes.
 * The share lock on the lease row makes a concurrent epoch bump wait for this transaction, and
 * this transaction fail once the bump has committed, so a stale reader can never commit.
 */
public final class EpochFence {

    private EpochFence() {
    }

    public static void check(DSLContext tx, String mailboxId, long epoch) {
        long current = tx.select(MAILBOX_LEASE.EPOCH)
                .from(MAILBOX_LEASE)
                .where(MAILBOX_LEASE.MAILBOX_ID.eq(mailboxId))
                .forShare()
                .fetchOptional(MAILBOX_LEASE.EPOCH)
                .orElse(0L);
        if (current != epoch) {
            throw new StaleEpochException(mailboxId, epoch, current);
        }
    }
}
