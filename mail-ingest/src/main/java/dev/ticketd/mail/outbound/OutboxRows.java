package dev.ticketd.mail.outbound;

import dev.ticketd.db.Transactions;
import dev.ticketd.desk.MessageKind;
import dev.ticketd.mail.EpochFence;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/**
 * The outbox rows of one mailbox as its sender sees them: claim one, record what became of it.
 * Every method is one short transaction; none is ever open while SMTP talks. A staff reply's mail
 * body is built at the claim ({@link ReplyBody}): the typed text, the mailbox's signature, the
 * previous message quoted; its files are read at the claim too. Times are the
 * database's ({@code now()}), so claims and backoffs mean the same on every node whatever their
 * clocks say.
 */
final class OutboxRows {

    /**
     * A row claimed for sending. {@code attempt} (the row's attempts after the claim) identifies the
     * claim. {@code attachments} are the files of a staff reply's ticket message, in the order they
     * were stored; none for acknowledgements.
     */
    record Claimed(long id, String kind, String messageId, String to, String subject, String body,
                   Optional<String> inReplyTo, Optional<String> references, int attempt, boolean reclaimed,
                   List<Attachment> attachments) {

        Claimed {
            attachments = List.copyOf(attachments);
        }

        boolean automatic() {
            return "ack".equals(kind);
        }

        /** A mail to staff about the desk itself (kind 'notify', e.g. an SLA escalation digest), of no one ticket. */
        boolean notice() {
            return "notify".equals(kind);
        }
    }

    /** A file sent with a reply, as stored: a clean file name and a lower-case {@code type/subtype}. */
    record Attachment(String filename, String contentType, byte[] content) {

        @Override
        public String toString() {
            return "Attachment[" + filename + ", " + contentType + ", " + content.length + " bytes]";
        }
    }

    private final Transactions transactions;
    private final String mailboxId;
    private final long epoch;

    OutboxRows(Transactions transactions, String mailboxId, long epoch) {
        this.transactions = transactions;
        this.mailboxId = mailboxId;
        this.epoch = epoch;
    }

    /**
     * Claims the oldest row that is due: pending and past its backoff, or 'sending' under a claim
     * older than {@code claimExpiry} (its sender died mid-send). Checks the epoch first.
     *
     * @throws dev.ticketd.mail.StaleEpochException when another node leads the mailbox (nothing was claimed)
     */
    Optional<Claimed> claimNext(Duration claimExpiry) {
        return claimNext(claimExpiry, java.util.Set.of());
    }

    /**
     * Also takes back, at once, a row left 'sending' under this very epoch that this sender never
     * handed to SMTP: the commit of its claim was lost (the connection broke during a database
     * failover) and the transaction's retry claimed the next row. The epoch has one sender, which
     * sends one row at a time, so such a row cannot be in flight; only {@code handedOverUnrecorded}
     * (sent, result not recorded) must wait for the claim expiry.
     */
    Optional<Claimed> claimNext(Duration claimExpiry, java.util.Set<Long> handedOverUnrecorded) {
        return transactions.write(tx -> {
            EpochFence.check(tx, mailboxId, epoch);
            Record due = tx.select(OUTBOX.ID, OUTBOX.STATUS, OUTBOX.CLAIMED_EPOCH).from(OUTBOX)
                    .where(OUTBOX.MAILBOX_ID.eq(mailboxId))
                    .and(OUTBOX.STATUS.eq("pending")
                            .and(OUTBOX.NEXT_ATTEMPT_AT.isNull().or(OUTBOX.NEXT_ATTEMPT_AT.le(DSL.currentOffsetDateTime())))
                            .or(OUTBOX.STATUS.eq("sending")
                                    .and(OUTBOX.CLAIMED_AT.isNull().or(OUTBOX.CLAIMED_AT.lt(ago(claimExpiry)))))
                            .or(OUTBOX.STATUS.eq("sending").and(OUTBOX.CLAIMED_EPOCH.eq(epoch))
                                    .and(handedOverUnrecorded.isEmpty() ? DSL.trueCondition() : OUTBOX.ID.notIn(handedOverUnrecorded))))
                    .orderBy(OUTBOX.ID)
                    .limit(1)
                    .forUpdate().skipLocked()
                    .fetchOne();
            if (due == null) {
                return Optional.empty();
            }
            // taken over from another epoch's sender, which may have sent it: a possible duplicate
            boolean reclaimed = "sending".equals(due.get(OUTBOX.STATUS)) && !Long.valueOf(epoch).equals(due.get(OUTBOX.CLAIMED_EPOCH));
            Record row = tx.update(OUTBOX)
                    .set(OUTBOX.STATUS, "sending")
                    .set(OUTBOX.ATTEMPTS, OUTBOX.ATTEMPTS.plus(1))
                    .set(OUTBOX.CLAIMED_AT, DSL.currentOffsetDateTime())
                    .set(OUTBOX.CLAIMED_EPOCH, epoch)
                    .where(OUTBOX.ID.eq(due.get(OUTBOX.ID)))
                    .returning(OUTBOX.ID, OUTBOX.KIND, OUTBOX.MESSAGE_ID, OUTBOX.TO_ADDRESS, OUTBOX.SUBJECT, OUTBOX.BODY_TEXT,
                            OUTBOX.IN_REPLY_TO, OUTBOX.REFERENCES_HEADER, OUTBOX.ATTEMPTS, OUTBOX.TICKET_ID, OUTBOX.TICKET_MESSAGE_ID)
                    .fetchOne();
            String body = row.get(OUTBOX.BODY_TEXT);
            List<Attachment> attachments = List.of();
            if ("reply".equals(row.get(OUTBOX.KIND))) {
                body = ReplyBody.compose(body, signature(tx), previousMessage(tx, row.get(OUTBOX.TICKET_ID),
                        row.get(OUTBOX.TICKET_MESSAGE_ID)));
                attachments = attachments(tx, row.get(OUTBOX.TICKET_MESSAGE_ID));
            }
            return Optional.of(new Claimed(row.get(OUTBOX.ID), row.get(OUTBOX.KIND), row.get(OUTBOX.MESSAGE_ID),
                    row.get(OUTBOX.TO_ADDRESS), row.get(OUTBOX.SUBJECT), body,
                    Optional.ofNullable(row.get(OUTBOX.IN_REPLY_TO)), Optional.ofNullable(row.get(OUTBOX.REFERENCES_HEADER)),
                    row.get(OUTBOX.ATTEMPTS), reclaimed, attachments));
        });
    }

    /** The files of a reply's ticket message (none for a row without one). */
    private static List<Attachment> attachments(DSLContext tx, Long ticketMessageId) {
        if (ticketMessageId == null) {
            return List.of();
        }
        return tx.select(ATTACHMENT.FILENAME, ATTACHMENT.CONTENT_TYPE, ATTACHMENT.CONTENT)
                .from(ATTACHMENT)
                .where(ATTACHMENT.TICKET_MESSAGE_ID.eq(ticketMessageId))
                .orderBy(ATTACHMENT.ID)
                .fetch(r -> new Attachment(r.get(ATTACHMENT.FILENAME), r.get(ATTACHMENT.CONTENT_TYPE), r.get(ATTACHMENT.CONTENT)));
    }

    private Optional<String> signature(DSLContext tx) {
        return tx.select(MAILBOX.SIGNATURE).from(MAILBOX).where(MAILBOX.ID.eq(mailboxId)).fetchOptional(MAILBOX.SIGNATURE);
    }

    /**
     * The message before the reply in the ticket's thread, customer's or staff's. Never an internal
     * note: those are not for the customer. Empty for a row without a ticket message.
     */
    private static Optional<ReplyBody.Quoted> previousMessage(DSLContext tx, Long ticketId, Long replyMessageId) {
        if (ticketId == null || replyMessageId == null) {
            return Optional.empty();
        }
        return tx.select(TICKET_MESSAGE.CREATED_AT, TICKET_MESSAGE.BODY_TEXT, TICKET_MESSAGE.KIND, CONTACT.EMAIL,
                        CONTACT.DISPLAY_NAME, STAFF_USER.DISPLAY_NAME)
                .from(TICKET_MESSAGE)
                .leftJoin(CONTACT).on(CONTACT.ID.eq(TICKET_MESSAGE.AUTHOR_CONTACT_ID))
                .leftJoin(STAFF_USER).on(STAFF_USER.ID.eq(TICKET_MESSAGE.AUTHOR_STAFF_ID))
                .where(TICKET_MESSAGE.TICKET_ID.eq(ticketId))
                .and(TICKET_MESSAGE.KIND.in(MessageKind.INBOUND.value(), MessageKind.OUTBOUND.value()))
                .and(TICKET_MESSAGE.ID.lt(replyMessageId)) // identity order is the order the thread was written in
                .orderBy(TICKET_MESSAGE.ID.desc())
                .limit(1)
                .fetchOptional(r -> new ReplyBody.Quoted(r.get(TICKET_MESSAGE.CREATED_AT), who(r.get(CONTACT.DISPLAY_NAME),
                        r.get(CONTACT.EMAIL), r.get(STAFF_USER.DISPLAY_NAME)), r.get(TICKET_MESSAGE.BODY_TEXT)));
    }

    private static String who(String contactName, String contactEmail, String staffName) {
        if (contactEmail != null) {
            return contactName == null || contactName.isBlank() ? contactEmail : contactName + " <" + contactEmail + ">";
        }
        return staffName;
    }

    /**
     * Records a delivery. Not fenced by the epoch: the mail went out, and saying so is true whoever
     * leads now. Conditional on the claim, so a sender whose claim expired and was taken over
     * cannot overwrite the newer claim's result.
     *
     * @return false when the claim had been taken over meanwhile
     */
    boolean sent(Claimed row, String smtpReply) {
        return transactions.write(tx -> ofClaim(tx, row, tx.update(OUTBOX)
                .set(OUTBOX.STATUS, "sent")
                .set(OUTBOX.SENT_AT, DSL.currentOffsetDateTime())
                .set(OUTBOX.SMTP_REPLY, smtpReply)
                .set(OUTBOX.LAST_ERROR, (String) null)
                .set(OUTBOX.NEXT_ATTEMPT_AT, (OffsetDateTime) null)
                .where(OUTBOX.ID.eq(row.id()))));
    }

    /** Back to pending, due again after {@code backoff}. */
    boolean retryLater(Claimed row, String error, Duration backoff) {
        return transactions.write(tx -> ofClaim(tx, row, tx.update(OUTBOX)
                .set(OUTBOX.STATUS, "pending")
                .set(OUTBOX.LAST_ERROR, error)
                .set(OUTBOX.NEXT_ATTEMPT_AT, DSL.field("now() + interval '" + backoff.toMillis() + " milliseconds'",
                        OffsetDateTime.class))
                .where(OUTBOX.ID.eq(row.id()))));
    }

    /**
     * Undoes a claim this sender made but never handed to SMTP (it was told to stop in between):
     * the row is pending again, due at once, so the mailbox's next leader sends it now instead of
     * after the claim expiry. The claim still counts as an attempt. Not fenced by the epoch: it
     * only ever gives up this epoch's own claim.
     */
    boolean release(Claimed row, Transactions quick) {
        return quick.write(tx -> ofClaim(tx, row, tx.update(OUTBOX)
                .set(OUTBOX.STATUS, "pending")
                .set(OUTBOX.CLAIMED_AT, (OffsetDateTime) null)
                .set(OUTBOX.CLAIMED_EPOCH, (Long) null)
                .where(OUTBOX.ID.eq(row.id()))
                .and(OUTBOX.CLAIMED_EPOCH.eq(epoch))));
    }

    /**
     * The mail may have been delivered (no answer after its data): it stays 'sending' under its
     * claim, so only the claim expiry sends it again (then counted as a possible duplicate); the
     * error says why it waits.
     */
    boolean uncertain(Claimed row, String error) {
        return transactions.write(tx -> ofClaim(tx, row, tx.update(OUTBOX)
                .set(OUTBOX.LAST_ERROR, "no answer after the mail was sent, it may have been delivered; sent again after the "
                        + "claim expiry unless recorded before: " + error)
                .where(OUTBOX.ID.eq(row.id()))));
    }

    /** Given up: the server refused the mail for good, or it failed too often. A person sees it. */
    boolean failed(Claimed row, String error) {
        return transactions.write(tx -> ofClaim(tx, row, tx.update(OUTBOX)
                .set(OUTBOX.STATUS, "failed")
                .set(OUTBOX.LAST_ERROR, error)
                .where(OUTBOX.ID.eq(row.id()))));
    }

    private static boolean ofClaim(DSLContext tx, Claimed row, org.jooq.UpdateConditionStep<?> update) {
        return update.and(OUTBOX.STATUS.eq("sending")).and(OUTBOX.ATTEMPTS.eq(row.attempt())).execute() == 1;
    }

    private static org.jooq.Field<OffsetDateTime> ago(Duration d) {
        return DSL.field("now() - interval '" + d.toMillis() + " milliseconds'", OffsetDateTime.class);
    }
}
