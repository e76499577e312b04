package dev.ticketd.node.intake;

import dev.ticketd.mail.MailboxReader;
import dev.ticketd.mail.outbound.OutboxSender;

/**
 * What this node's readers and outbox senders of one mailbox counted since the node started: the
 * sum over every reader and sender it ran for the mailbox (one per lease it held), so each count
 * only grows while the process lives. For {@code /metrics} and the cluster page.
 *
 * @param stored                   mails the reader stored as a ticket message
 * @param alreadyStored            mails the reader found stored already (by an earlier leader, or a copy)
 * @param unparseable              mails the reader stored raw in the quarantine (unreadable, too large, failing)
 * @param failedPasses             passes that failed on one mail (it stayed in the INBOX)
 * @param quarantinedAfterFailures mails stored raw in the quarantine after failing too many passes
 * @param sent                     outbound mails the SMTP server accepted
 * @param retried                  outbound sends that failed for now (the mail waits for its next attempt)
 * @param failed                   outbound mails given up for good
 * @param resent                   outbound mails found 'sending' past the claim expiry and sent again (possible duplicates)
 */
public record MailCounters(String mailboxId, long stored, long alreadyStored, long unparseable, long failedPasses,
                           long quarantinedAfterFailures, long sent, long retried, long failed, long resent) {

    static MailCounters of(String mailboxId, MailboxReader.Status reader, OutboxSender.Status sender) {
        return new MailCounters(mailboxId,
                reader == null ? 0 : reader.stored(), reader == null ? 0 : reader.alreadyStored(),
                reader == null ? 0 : reader.unparseable(), reader == null ? 0 : reader.failedAttempts(),
                reader == null ? 0 : reader.quarantinedAfterFailures(),
                sender == null ? 0 : sender.sent(), sender == null ? 0 : sender.retried(),
                sender == null ? 0 : sender.failed(), sender == null ? 0 : sender.resent());
    }

    MailCounters plus(MailCounters o) {
        return new MailCounters(mailboxId, stored + o.stored, alreadyStored + o.alreadyStored, unparseable + o.unparseable,
                failedPasses + o.failedPasses, quarantinedAfterFailures + o.quarantinedAfterFailures,
                sent + o.sent, retried + o.retried, failed + o.failed, resent + o.resent);
    }
}
