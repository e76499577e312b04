package dev.ticketd.cluster;

import dev.ticketd.db.Transactions;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

import static dev.ticketd.db.generated.Tables.DUTY_LEASE;

/**
 * The fence of a cluster-wide duty (the ticket timers), exactly like {@link MailboxLeases} for a
 * mailbox: whoever runs the duty takes its lease first (epoch + 1), and every transaction of the duty
 * calls {@link #check} before its writes. The share lock taken there makes a concurrent bump wait for
 * the transaction, and the transaction fail once the bump has committed, so a stale runner (frozen,
 * cut off from ZooKeeper, still believing Helix made it leader) can never commit a change.
 *
 * <p>Stateless apart from its settings; thread-safe.
 */
public final class DutyLeases {

    private static final Logger log = LoggerFactory.getLogger(DutyLeases.class);

    private final Transactions transactions;
    private final Duration lockTimeout;

    /** @param lockTimeout how long taking the lease waits for a stale holder's transaction (then the caller retries) */
    public DutyLeases(Transactions transactions, Duration lockTimeout) {
        this.transactions = transactions;
        this.lockTimeout = lockTimeout;
    }

    /**
     * Makes {@code holder} the holder of {@code duty} with a new epoch, durably. A replay after a lost
     * commit answer bumps once more; the caller gets the newest epoch and the skipped one was never used.
     *
     * @return the new epoch, greater than every epoch granted before for this duty
     */
    public long acquire(String duty, String holder) {
        long epoch = transactions.write(tx -> {
            // SET LOCAL takes no bind parameters; the value is a number we format ourselves
            tx.execute("set local lock_timeout = '" + Math.max(1, lockTimeout.toMillis()) + "ms'");
            return tx.insertInto(DUTY_LEASE)
                    .set(DUTY_LEASE.DUTY, duty)
                    .set(DUTY_LEASE.EPOCH, 1L)
                    .set(DUTY_LEASE.HOLDER, holder)
                    .set(DUTY_LEASE.ACQUIRED_AT, DSL.currentOffsetDateTime())
                    .onConflict(DUTY_LEASE.DUTY)
                    .doUpdate()
                    .set(DUTY_LEASE.EPOCH, DUTY_LEASE.EPOCH.plus(1))
                    .set(DUTY_LEASE.HOLDER, holder)
                    .set(DUTY_LEASE.ACQUIRED_AT, DSL.currentOffsetDateTime())
                    .returning(DUTY_LEASE.EPOCH)
                    .fetchOne(DUTY_LEASE.EPOCH);
        });
        log.info("duty lease acquired duty={} holder={} epoch={}", duty, holder, epoch);
        return epoch;
    }

    /**
     * The fence: call inside every transaction of the duty, before its writes.
     *
     * @throws StaleDutyEpochException when {@code epoch} is no longer the duty's current one
     */
    public static void check(DSLContext tx, String duty, long epoch) {
        long current = tx.select(DUTY_LEASE.EPOCH)
                .from(DUTY_LEASE)
                .where(DUTY_LEASE.DUTY.eq(duty))
                .forShare()
                .fetchOptional(DUTY_LEASE.EPOCH)
                .orElse(0L);
        if (current != epoch) {
            throw new StaleDutyEpochException(duty, epoch, current);
        }
    }

    /** The duty's current epoch (0 when nobody ever took it). */
    public long current(String duty) {
        return transactions.write(tx -> tx.select(DUTY_LEASE.EPOCH).from(DUTY_LEASE).where(DUTY_LEASE.DUTY.eq(duty))
                .fetchOptional(DUTY_LEASE.EPOCH).orElse(0L));
    }

    /** Another runner took the duty's lease since this one did; its transaction rolled back. Never retried. */
    public static final class StaleDutyEpochException extends RuntimeException {
        public StaleDutyEpochException(String duty, long epoch, long current) {
            super("duty " + duty + " is now held with epoch " + current + "; this runner's epoch " + epoch + " is stale", null, false, false);
        }
    }
}
