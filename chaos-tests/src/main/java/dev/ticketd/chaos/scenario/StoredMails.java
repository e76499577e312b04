package dev.ticketd.chaos.scenario;

import dev.ticketd.chaos.db.CommitTimes;
import dev.ticketd.chaos.scenario.check.History;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.ticketd.db.generated.Tables.CANARY_PROBE;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/**
 * Reads what the database holds for the checker: every stored mail of a mailbox but the self-watch's
 * canaries ({@link CanaryCheck}), with the customer's
 * tag found in it, its epoch, its ticket message(s) and the commit time of the transaction that
 * stored it ({@link CommitTimes} says why that time can be trusted to order epochs and
 * {@code received_at} cannot).
 */
final class StoredMails {

    private static final Logger log = LoggerFactory.getLogger(StoredMails.class);
    private static final Pattern TAG = Pattern.compile("cm\\d{6}");

    private StoredMails() {
    }

    /** The stored mails of {@code mailboxId}; commit times are null when the database does not track them. */
    static List<History.Stored> load(DSLContext db, String mailboxId) {
        return load(db, mailboxId, 0);
    }

    /** As {@link #load(DSLContext, String)}, only the mails stored with an id above {@code afterId} (a later stream's). */
    static List<History.Stored> load(DSLContext db, String mailboxId, long afterId) {
        boolean tracked = CommitTimes.tracked(db);
        if (!tracked) {
            log.error("track_commit_timestamp is off: commit order cannot be proven and the epoch check will fail");
        }
        Field<OffsetDateTime> committedAt = tracked ? CommitTimes.INBOUND_MESSAGE_COMMITTED_AT : DSL.castNull(SQLDataType.TIMESTAMPWITHTIMEZONE);
        List<History.Stored> stored = new ArrayList<>();
        db.select(INBOUND_MESSAGE.ID, INBOUND_MESSAGE.MESSAGE_ID, INBOUND_MESSAGE.SUBJECT, INBOUND_MESSAGE.EPOCH, committedAt,
                        INBOUND_MESSAGE.RECEIVED_AT, TICKET_MESSAGE.TICKET_ID, TICKET.NUMBER)
                .from(INBOUND_MESSAGE)
                .leftJoin(TICKET_MESSAGE).on(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(INBOUND_MESSAGE.ID))
                .leftJoin(TICKET).on(TICKET.ID.eq(TICKET_MESSAGE.TICKET_ID))
                .where(INBOUND_MESSAGE.MAILBOX_ID.eq(mailboxId))
                .and(INBOUND_MESSAGE.ID.gt(afterId))
                // the self-watch's canaries are nobody's mail: CanaryCheck accounts for them
                .andNotExists(DSL.selectOne().from(CANARY_PROBE).where(CANARY_PROBE.MESSAGE_ID.eq(INBOUND_MESSAGE.MESSAGE_ID)))
                .forEach(r -> {
                    // the tag is in the Message-ID and the Subject; a mangled mail may have lost one of them
                    String tag = tag((r.value2() == null ? "" : r.value2()) + " " + (r.value3() == null ? "" : r.value3()));
                    if (tag == null) {
                        // a mail that could not be parsed is kept raw, without Subject or Message-ID: look in the bytes
                        byte[] raw = db.select(INBOUND_MESSAGE.RAW).from(INBOUND_MESSAGE).where(INBOUND_MESSAGE.ID.eq(r.value1()))
                                .fetchOne(INBOUND_MESSAGE.RAW);
                        tag = raw == null ? null : tag(new String(raw, StandardCharsets.ISO_8859_1));
                    }
                    stored.add(new History.Stored(r.value1(), mailboxId, tag, r.value4(),
                            r.value5() == null ? null : r.value5().toInstant(), r.value6().toInstant(), r.value7(), r.value8()));
                });
        return stored;
    }

    private static String tag(String text) {
        Matcher m = TAG.matcher(text);
        return m.find() ? m.group() : null;
    }
}
