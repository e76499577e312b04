package dev.ticketd.node.admin;

/**
 * Tells the running cluster about a mailbox just stored in the database, as {@code ticketd mailbox
 * add} does, so that a node starts reading it. Built by the composition root; the web layer knows
 * nothing of Helix.
 */
@FunctionalInterface
public interface MailboxAnnouncer {

    /** For a web server outside a cluster (tests, a single web node): there is nobody to tell. */
    MailboxAnnouncer OUTSIDE_A_CLUSTER = id -> {
        throw new IllegalStateException("this web server runs outside a cluster");
    };

    /** @throws Exception when the cluster could not be told; the mailbox stays stored all the same */
    void announce(String mailboxId) throws Exception;
}
