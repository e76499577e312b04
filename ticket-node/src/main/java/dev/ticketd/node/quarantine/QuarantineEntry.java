package dev.ticketd.node.quarantine;

import java.time.OffsetDateTime;

/**
 * A mail in quarantine: stored raw, not readable as a ticket, not yet decided on.
 *
 * @param from    best effort from the raw headers; null when unknown
 * @param subject best effort from the raw headers; null when unknown
 * @param reason  why it could not be read or stored as a ticket
 */
public record QuarantineEntry(long id, String mailboxId, OffsetDateTime receivedAt, String from, String subject,
                              int sizeBytes, String reason) {
}
