package dev.ticketd.db;

/**
 * The database acknowledged a commit without the synchronous replication it promised. The
 * transaction must be treated as failed: its rows may be gone after a failover.
 */
public final class CommitNotDurableException extends RuntimeException {
    public CommitNotDurableException(String serverMessage) {
        super("commit was not confirmed by synchronous replication, treating it as failed: " + serverMessage);
    }
}
