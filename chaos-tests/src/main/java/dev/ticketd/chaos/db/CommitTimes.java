package dev.ticketd.chaos.db;

import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

import java.time.OffsetDateTime;

/**
 * When the transaction that stored an {@code inbound_message} row committed, as PostgreSQL recorded
 * it: {@code pg_xact_commit_timestamp(xmin)}. This is how the chaos checkers order commits.
 *
 * <p><b>Why it can be trusted under failover.</b> With {@code track_commit_timestamp = on}
 * ({@link PatroniCluster} sets it for every member) the commit time is written into the
 * transaction's commit record in the WAL, and a standby replaying that record stores the same time.
 * A standby promoted by Patroni therefore answers with the times the old primary recorded; a commit
 * that never reached a standby was rewound away together with its row, so no row is left whose time
 * nobody can vouch for. The members of a run share this machine's clock, so times recorded by
 * successive primaries are comparable.
 *
 * <p><b>Why it orders epochs.</b> The time is taken while the committing transaction still holds
 * its locks. An intake transaction holds a share lock on its mailbox's lease row (the epoch fence),
 * and a new epoch's grant updates that row, so it waits for the lock; the new epoch's first intake
 * commit comes after the grant. So in a fenced system every commit under an older epoch has an
 * earlier time than the first commit under a newer one, and a later time proves the fence failed.
 *
 * <p><b>Why not {@code received_at}.</b> It is {@code now()}: the <em>start</em> of the transaction.
 * An old leader frozen inside a transaction that began before the new epoch and committed after it
 * would look as if it had committed first.
 *
 * <p>{@code xmin} names the storing transaction as long as no later transaction updates the row; only
 * a staff decision in the quarantine does, and the chaos suites make none.
 */
public final class CommitTimes {

    /** Valid in a query whose FROM names {@code inbound_message} without an alias. */
    public static final Field<OffsetDateTime> INBOUND_MESSAGE_COMMITTED_AT = DSL.field(
            "pg_xact_commit_timestamp(inbound_message.xmin)", SQLDataType.TIMESTAMPWITHTIMEZONE);

    private CommitTimes() {
    }

    /** Whether the server records commit times (without it, pg_xact_commit_timestamp raises an error). */
    public static boolean tracked(DSLContext db) {
        return "on".equals(db.fetchValue("show track_commit_timestamp"));
    }
}
