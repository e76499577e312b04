package dev.ticketd.desk;

import dev.ticketd.db.Database;
import dev.ticketd.testing.TestPostgres;
import org.jooq.DSLContext;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAILBOX;

/** The rows the desk's tests start from: a fresh database with mailbox "support", and stored raw mails of it. */
public final class DeskRows {

    private DeskRows() {
    }

    /** A fresh database holding the mailbox "support" (in the default group, as migrations make it). */
    public static Database databaseWithSupportMailbox() {
        Database db = TestPostgres.freshDatabase();
        db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, "support").set(MAILBOX.ADDRESS, "support@example.test")
                .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, 143)
                .set(MAILBOX.IMAP_USER, "support@example.test").set(MAILBOX.SECRET_REF, "support").execute();
        return db;
    }

    /** An empty raw mail of "support" with IMAP uid {@code uid}, parsed, under epoch 1; its id. */
    public static long inbound(DSLContext dsl, long uid) {
        return dsl.insertInto(INBOUND_MESSAGE).set(INBOUND_MESSAGE.MAILBOX_ID, "support")
                .set(INBOUND_MESSAGE.UIDVALIDITY, 1L).set(INBOUND_MESSAGE.UID, uid)
                .set(INBOUND_MESSAGE.CONTENT_KEY, "k" + uid).set(INBOUND_MESSAGE.RAW_SHA256, "s" + uid)
                .set(INBOUND_MESSAGE.RAW, new byte[0]).set(INBOUND_MESSAGE.SIZE_BYTES, 0)
                .set(INBOUND_MESSAGE.PARSE_STATUS, "parsed").set(INBOUND_MESSAGE.EPOCH, 1L)
                .returning(INBOUND_MESSAGE.ID).fetchOne(INBOUND_MESSAGE.ID);
    }
}
