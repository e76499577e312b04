package dev.ticketd.node.ticket;

import java.time.OffsetDateTime;

/**
 * One message of a ticket's thread. {@code bodyText} is plain text and must be rendered escaped.
 * {@code inboundMessageId} is set for inbound mail and points at its raw RFC 822 bytes.
 */
public record ThreadMessage(long id, String kind, String author, String bodyText, OffsetDateTime createdAt,
                            Long inboundMessageId) {
}
