package dev.ticketd.cluster;

import dev.ticketd.db.Transactions;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.OffsetDateTime;

import static dev.ticketd.db.generated.Tables.MAILBOX_LEASE;

/**
 * Takes the lease of a mailbox: increments its epoch and records the holder, durably.
 *
 * <p>The epoch is the fence. Whoever reads a mailbox re-checks, in every ingest transaction,
 * that the epoch it was granted is still the current one; taking the lease therefore makes every
 * earlier holder's next transaction fail. Leadership (today: "this node reads the mailbox"; later
 * Helix) is only a hint; this row is the truth.
 *
 * <p>A stale holder that is frozen inside a transaction holds a share lock on the lease row. The
 * bump waits at most {@code lockTimeout} for it (the transaction then aborts before commit, which
 * is safe) so the caller can retry; the database's {@code idle_in_transaction_session_timeout}
 * eventually ends the frozen transaction.
 */
public final class MailboxLeases {

    private static final Logger log = LoggerFactory.getLogger(MailboxLeases.class);

    private final Transactions transactions;
    private final Duration lockTimeout;

    public MailboxLeases(Transactions transactions, Duration lockTimeout) {
        this.transactions = transactions;
        this.lockTimeout = lockTimeout;
    }

    /**
     * Makes {@code holder} the lease holder of {@code mailboxId} with a new epoch.
     *
     * @return the new epoch, greater than every epoch granted before for this mailbox
     */
    public long acquire(String mailboxId, String holder) {
        // Retried after a failover (see Transactions): if a commit went through but its answer was
        // lost, the replay bumps the epoch once more. Harmless: the caller gets the newest epoch,
        // and the skipped one was never used by anybody.
        long epoch = transactions.write(tx -> {
            // SET LOCAL takes no bind parameters; the value is a number we format ourselves
            tx.execute("set local lock_timeout = '" + Math.max(1, lockTimeout.toMillis()) + "ms'");
            return tx.insertInto(MAILBOX_LEASE)
                    .set(MAILBOX_LEASE.MAILBOX_ID, mailboxId)
                    .set(MAILBOX_LEASE.EPOCH, 1L)
                    .set(MAILBOX_LEASE.HOLDER, holder)
                    .set(MAILBOX_LEASE.ACQUIRED_AT, DSL.currentOffsetDateTime())
                    .onConflict(MAILBOX_LEASE.MAILBOX_ID)
                    .doUpdate()
                    .set(MAILBOX_LEASE.EPOCH, MAILBOX_LEASE.EPOCH.plus(1))
                    .set(MAILBOX_LEASE.HOLDER, holder)
                    .set(MAILBOX_LEASE.ACQUIRED_AT, DSL.currentOffsetDateTime())
                    .returning(MAILBOX_LEASE.EPOCH)
                    .fetchOne(MAILBOX_LEASE.EPOCH);
        });
        log.info("lease acquired mailbox={} holder={} epoch={}", mailboxId, holder, epoch);
        return epoch;
    }

    /** The current lease, or an empty lease (epoch 0) when nobody ever took it. */
    public Lease current(String mailboxId) {
        return transactions.write(tx -> tx.select(MAILBOX_LEASE.EPOCH, MAILBOX_LEASE.HOLDER, MAILBOX_LEASE.ACQUIRED_AT)
                .from(MAILBOX_LEASE)
                .where(MAILBOX_LEASE.MAILBOX_ID.eq(mailboxId))
                .fetchOptional(r -> new Lease(mailboxId, r.value1(), r.value2(), r.value3()))
                .orElse(new Lease(mailboxId, 0, null, null)));
    }

    public record Lease(String mailboxId, long epoch, String holder, OffsetDateTime acquiredAt) {
    }
}
