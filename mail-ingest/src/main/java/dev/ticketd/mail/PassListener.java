package dev.ticketd.mail;

/**
 * Told after every pass of a reader over its INBOX, and every {@link MailboxReader#PROGRESS_EVERY}
 * during a long pass that keeps taking mail in (a backlog): either way the reader is working.
 * Called on the reader's thread, must be quick.
 */
@FunctionalInterface
public interface PassListener {

    /**
     * @param backlog   mails still in the INBOX after the pass (too large, failing, or arrived meanwhile); during
     *                  a pass, the mails of its listing not taken in yet
     * @param lastError the last failure of the pass, or null
     */
    void passed(String mailboxId, long epoch, int backlog, String lastError);

    PassListener NONE = (mailboxId, epoch, backlog, lastError) -> { };
}
