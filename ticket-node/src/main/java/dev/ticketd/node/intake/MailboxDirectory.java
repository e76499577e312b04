package dev.ticketd.node.intake;

import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.outbound.SmtpSettings;

import java.util.Optional;

/**
 * How to reach a mailbox, read when this node comes to lead it (so a mailbox added or changed while
 * the node runs is read as it is now). Implementations may read the database and may throw when it
 * is out of reach; {@link MailIntake} retries.
 */
public interface MailboxDirectory {

    /** How to read the mailbox, or empty when there is no such enabled mailbox. */
    Optional<MailboxSettings> mailbox(String mailboxId);

    /** How to send its outbox, or empty when it has no SMTP server. */
    Optional<SmtpSettings> smtp(String mailboxId);
}
