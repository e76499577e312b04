package dev.ticketd.node.ticket;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * One message of a ticket's thread. {@code bodyText} is plain text and must be rendered escaped.
 * {@code bodyHtml} is null or HTML that was sanitised at ingest and again when it was read
 * ({@link TicketQueries#detail}), with inline images pointing at our own attachment URLs: the only
 * HTML from mail that may be rendered unescaped. {@code inboundMessageId} is set for inbound mail
 * and points at its raw RFC 822 bytes.
 */
public record ThreadMessage(long id, String kind, String author, String bodyText, OffsetDateTime createdAt,
                            Long inboundMessageId, String bodyHtml, List<AttachmentInfo> attachments) {

    public ThreadMessage {
        attachments = List.copyOf(attachments);
    }

    /** A message without HTML and attachments. */
    public ThreadMessage(long id, String kind, String author, String bodyText, OffsetDateTime createdAt,
                         Long inboundMessageId) {
        this(id, kind, author, bodyText, createdAt, inboundMessageId, null, List.of());
    }
}
