package dev.ticketd.mail;

import java.time.OffsetDateTime;
import java.util.Optional;

/**
 * What the help desk needs of a mail today. Threading, attachments and HTML come with the
 * MIME issue and extend this record.
 *
 * @param fromAddress  the sender's address, lower case
 * @param fromName     the sender's display name, or empty
 * @param subject      the decoded subject, never null
 * @param sentAt       the Date header, when present and valid
 * @param messageId    the Message-ID header, when present
 * @param textBody     the plain-text body (from text/plain, or derived from HTML)
 */
public record ParsedMail(String fromAddress, String fromName, String subject, Optional<OffsetDateTime> sentAt,
                         Optional<String> messageId, String textBody) {
}
