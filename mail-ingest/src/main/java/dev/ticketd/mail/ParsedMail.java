package dev.ticketd.mail;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * What the help desk needs of a mail.
 *
 * @param fromAddress  the sender's address, lower case
 * @param fromName     the sender's display name, or empty
 * @param subject      the decoded subject, never null
 * @param sentAt       the first valid Date header, when there is one
 * @param messageId    the first Message-ID header (as {@code <id@host>} when it has angle brackets), when present
 * @param textBody     the plain-text body (from text/plain, or derived from the HTML)
 * @param htmlBody     the HTML body, already sanitised ({@link dev.ticketd.mail.mime.HtmlSanitizer}); never
 *                     the HTML as it arrived. Inline images are still {@code cid:} references.
 * @param attachments  every part that is not the text, in the order of the mail
 * @param inReplyTo    the first Message-ID in In-Reply-To
 * @param references   the Message-IDs in References, oldest first
 */
public record ParsedMail(String fromAddress, String fromName, String subject, Optional<OffsetDateTime> sentAt,
                         Optional<String> messageId, String textBody, Optional<String> htmlBody,
                         List<MailAttachment> attachments, Optional<String> inReplyTo, List<String> references) {

    public ParsedMail {
        attachments = List.copyOf(attachments);
        references = List.copyOf(references);
    }

    /** A mail with a text body only. */
    public ParsedMail(String fromAddress, String fromName, String subject, Optional<OffsetDateTime> sentAt,
                      Optional<String> messageId, String textBody) {
        this(fromAddress, fromName, subject, sentAt, messageId, textBody, Optional.empty(), List.of(),
                Optional.empty(), List.of());
    }

    /** The Message-IDs this mail answers, most telling first: In-Reply-To, then References newest first. */
    public List<String> repliedToMessageIds() {
        LinkedHashSet<String> ids = new LinkedHashSet<>();
        inReplyTo.ifPresent(ids::add);
        List<String> newestFirst = new ArrayList<>(references);
        Collections.reverse(newestFirst);
        ids.addAll(newestFirst);
        messageId.ifPresent(ids::remove);
        return List.copyOf(ids);
    }
}
