package dev.ticketd.node.ticket;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * One message of a ticket's thread. {@code bodyText} is plain text and must be rendered escaped.
 * {@code bodyHtml} is null or HTML that was sanitised at ingest and again, bounded, when it was read
 * ({@link TicketQueries}), with inline images pointing at our own attachment URLs: the only HTML
 * from mail that may be rendered unescaped. {@code inboundMessageId} is set for inbound mail and
 * points at its raw RFC 822 bytes. {@code author} is the sender as this message's own mail named
 * them when it did, else the contact's or staff member's name.
 *
 * <p>{@code cut} is null when the bodies are whole; in a thread a long message carries only the
 * first {@link TicketQueries#SHOWN_CHARS} characters of each body, and {@code cut} says how much of
 * the body the page shows (the HTML when there is HTML, else the text) is there.
 */
public record ThreadMessage(long id, String kind, String author, String bodyText, OffsetDateTime createdAt,
                            Long inboundMessageId, String bodyHtml, List<AttachmentInfo> attachments, BodyCut cut) {

    /** How much of a long body a thread shows: the start, {@code shownBytes} of {@code wholeBytes} (UTF-8). */
    public record BodyCut(long shownBytes, long wholeBytes) {
    }

    public ThreadMessage {
        attachments = List.copyOf(attachments);
    }

    /** A whole message. */
    public ThreadMessage(long id, String kind, String author, String bodyText, OffsetDateTime createdAt,
                         Long inboundMessageId, String bodyHtml, List<AttachmentInfo> attachments) {
        this(id, kind, author, bodyText, createdAt, inboundMessageId, bodyHtml, attachments, null);
    }

    /** A message without HTML and attachments. */
    public ThreadMessage(long id, String kind, String author, String bodyText, OffsetDateTime createdAt,
                         Long inboundMessageId) {
        this(id, kind, author, bodyText, createdAt, inboundMessageId, null, List.of(), null);
    }
}
