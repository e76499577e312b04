package dev.ticketd.desk;

import org.jooq.DSLContext;
import org.jooq.impl.DSL;

import java.time.OffsetDateTime;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/**
 * The rows of a customer's message that {@link Tickets} writes: the message, its attachments and its
 * sender as a contact. Only the {@link DSLContext} passed in is used; stateless.
 */
final class MessageRows {

    private MessageRows() {
    }

    /** The message with its sanitised HTML and its attachments. */
    static long insertInbound(DSLContext tx, long ticketId, long contactId, long inboundMessageId, IncomingMail mail,
                                      String bodyText, OffsetDateTime now) {
        long messageId = tx.insertInto(TICKET_MESSAGE)
                .set(TICKET_MESSAGE.TICKET_ID, ticketId)
                .set(TICKET_MESSAGE.KIND, MessageKind.INBOUND.value())
                .set(TICKET_MESSAGE.AUTHOR_CONTACT_ID, contactId)
                .set(TICKET_MESSAGE.INBOUND_MESSAGE_ID, inboundMessageId)
                .set(TICKET_MESSAGE.AUTHOR_NAME, mail.fromName().isBlank() ? null : mail.fromName())
                .set(TICKET_MESSAGE.BODY_TEXT, bodyText)
                .set(TICKET_MESSAGE.BODY_HTML, mail.htmlBody().orElse(null))
                .set(TICKET_MESSAGE.CREATED_AT, now)
                .returning(TICKET_MESSAGE.ID)
                .fetchOne(TICKET_MESSAGE.ID);
        for (Attachment a : mail.attachments()) {
            insertAttachment(tx, messageId, a);
        }
        return messageId;
    }

    static Attachment.Stored insertAttachment(DSLContext tx, long messageId, Attachment a) {
        // the column widths; a mail's headers may be longer, a staff upload's never are (ReplyAttachments)
        String contentType = Columns.truncate(a.contentType(), 255);
        long id = tx.insertInto(ATTACHMENT)
                .set(ATTACHMENT.TICKET_MESSAGE_ID, messageId)
                .set(ATTACHMENT.FILENAME, a.filename())
                .set(ATTACHMENT.CONTENT_TYPE, contentType)
                .set(ATTACHMENT.CONTENT_ID, a.contentId().map(cid -> Columns.truncate(cid, 998)).orElse(null))
                .set(ATTACHMENT.SIZE_BYTES, (long) a.content().length)
                .set(ATTACHMENT.CONTENT, a.content())
                .returning(ATTACHMENT.ID)
                .fetchOne(ATTACHMENT.ID);
        return new Attachment.Stored(id, a.filename(), contentType, a.content().length);
    }

    /** The sender as a contact; a known contact keeps its name unless it had none. */
    static long requester(DSLContext tx, IncomingMail mail) {
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
