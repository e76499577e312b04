package dev.ticketd.mail;

import dev.ticketd.db.Database;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.ticketd.db.generated.Tables.MAILBOX_STATUS;

/**
 * Records each pass of a mailbox's reader in PostgreSQL (table {@code mailbox_status}) so that the
 * cluster page of any node can show the last successful poll and the backlog. Status only: a
 * failed write is logged and never stops intake.
 */
public final class MailboxStatusStore implements PassListener {

    private static final Logger log = LoggerFactory.getLogger(MailboxStatusStore.class);

    private final Database db;

    public MailboxStatusStore(Database db) {
        this.db = db;
    }

    @Override
    public void passed(String mailboxId, long epoch, int backlog, String lastError) {
        try {
            db.dsl().insertInto(MAILBOX_STATUS)
                    .set(MAILBOX_STATUS.MAILBOX_ID, mailboxId)
                    .set(MAILBOX_STATUS.EPOCH, epoch)
                    .set(MAILBOX_STATUS.LAST_PASS_AT, DSL.currentOffsetDateTime())
                    .set(MAILBOX_STATUS.BACKLOG, backlog)
                    .set(MAILBOX_STATUS.LAST_ERROR, lastError)
                    .set(MAILBOX_STATUS.UPDATED_AT, DSL.currentOffsetDateTime())
                    .onConflict(MAILBOX_STATUS.MAILBOX_ID)
                    .doUpdate()
                    .set(MAILBOX_STATUS.EPOCH, epoch)
                    .set(MAILBOX_STATUS.LAST_PASS_AT, DSL.currentOffsetDateTime())
                    .set(MAILBOX_STATUS.BACKLOG, backlog)
                    .set(MAILBOX_STATUS.LAST_ERROR, lastError)
                    .set(MAILBOX_STATUS.UPDATED_AT, DSL.currentOffsetDateTime())
                    .where(MAILBOX_STATUS.EPOCH.le(epoch))
                    .execute();
        } catch (RuntimeException e) {
            log.warn("mailbox status not recorded mailbox={} error={}", mailboxId, e.toString());
        }
    }
}
