package dev.ticketd.mail;

import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;

import java.time.OffsetDateTime;

import static dev.ticketd.db.generated.Sequences.TICKET_NUMBER_SEQ;
import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/**
 * Attaches a stored, parsed mail to a ticket, inside the ingest transaction. Today every mail
 * opens a new ticket; threading (ticket token, In-Reply-To/References) plugs in here by choosing
 * an existing ticket before {@link #openTicket} is considered.
 */
public final class TicketsFromMail {

    /** The ticket a mail was attached to. */
    public record Attached(long ticketId, String ticketNumber, long ticketMessageId) {
    }

    public Attached attach(DSLContext tx, String mailboxId, long inboundMessageId, ParsedMail mail) {
        return openTicket(tx, mailboxId, inboundMessageId, mail);
    }

    private Attached openTicket(DSLContext tx, String mailboxId, long inboundMessageId, ParsedMail mail) {
        long contactId = upsertContact(tx, mail);
        String number = "T-" + tx.select(TICKET_NUMBER_SEQ.nextval()).fetchOne(0, Long.class);
        String subject = mail.subject().isBlank() ? "(no subject)" : mail.subject();
        OffsetDateTime now = tx.select(DSL.currentOffsetDateTime()).fetchOne(0, OffsetDateTime.class);
        long ticketId = tx.insertInto(TICKET)
                .set(TICKET.NUMBER, number)
                .set(TICKET.MAILBOX_ID, mailboxId)
                .set(TICKET.SUBJECT, subject)
                .set(TICKET.REQUESTER_ID, contactId)
                .set(TICKET.CREATED_AT, now)
                .set(TICKET.UPDATED_AT, now)
                .set(TICKET.LAST_MESSAGE_AT, now)
                .returning(TICKET.ID)
                .fetchOne(TICKET.ID);
        long messageId = tx.insertInto(TICKET_MESSAGE)
                .set(TICKET_MESSAGE.TICKET_ID, ticketId)
                .set(TICKET_MESSAGE.KIND, "inbound")
                .set(TICKET_MESSAGE.AUTHOR_CONTACT_ID, contactId)
                .set(TICKET_MESSAGE.INBOUND_MESSAGE_ID, inboundMessageId)
                .set(TICKET_MESSAGE.BODY_TEXT, mail.textBody())
                .set(TICKET_MESSAGE.CREATED_AT, now)
                .returning(TICKET_MESSAGE.ID)
                .fetchOne(TICKET_MESSAGE.ID);
        tx.insertInto(AUDIT_LOG)
                .set(AUDIT_LOG.ACTOR, "mailbox:" + mailboxId)
                .set(AUDIT_LOG.ACTION, "ticket.opened_from_mail")
                .set(AUDIT_LOG.TICKET_ID, ticketId)
                .set(AUDIT_LOG.DETAIL, JSONB.valueOf("{\"inboundMessageId\":" + inboundMessageId + "}"))
                .execute();
        return new Attached(ticketId, number, messageId);
    }

    private static long upsertContact(DSLContext tx, ParsedMail mail) {
        // DO UPDATE (not DO NOTHING) so that RETURNING yields the row that already exists
        return tx.insertInto(CONTACT)
                .set(CONTACT.EMAIL, mail.fromAddress())
                .set(CONTACT.DISPLAY_NAME, mail.fromName())
                .onConflict(CONTACT.EMAIL)
                .doUpdate()
                .set(CONTACT.DISPLAY_NAME, DSL.when(CONTACT.DISPLAY_NAME.eq(""), DSL.excluded(CONTACT.DISPLAY_NAME))
                        .otherwise(CONTACT.DISPLAY_NAME))
                .returning(CONTACT.ID)
                .fetchOne(CONTACT.ID);
    }
}
