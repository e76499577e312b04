package dev.ticketd.cluster;

/**
 * Told when this node should start or stop a mailbox's leader work. Calls come from cluster
 * threads and must return quickly: start work asynchronously, stop it promptly. Leadership is a
 * hint; the work itself must still be fenced by the mailbox's database epoch.
 */
public interface LeadershipListener {

    void leadershipGained(String mailboxId);

    void leadershipLost(String mailboxId);
}
