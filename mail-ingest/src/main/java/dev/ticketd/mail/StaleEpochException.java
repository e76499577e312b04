package dev.ticketd.mail;

/** Another reader took the mailbox's lease: this reader's writes are refused and it must stop. */
public final class StaleEpochException extends RuntimeException {

    public StaleEpochException(String mailboxId, long heldEpoch, long currentEpoch) {
        super("mailbox " + mailboxId + ": epoch " + heldEpoch + " is stale, the lease is now at epoch " + currentEpoch);
    }
}
