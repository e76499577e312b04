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
 * @param loopHeaders  what tells an automatic or list mail from a person's (RFC 3834), for loop protection
 * @param bounce       the delivery status notification (RFC 3464) this mail is, when it is one; a read receipt
 *                     or any other {@code multipart/report} is none
 */
public record ParsedMail(String fromAddress, String fromName, String subject, Optional<OffsetDateTime> sentAt,
                         Optional<String> messageId, String textBody, Optional<String> htmlBody,
                         List<MailAttachment> attachments, Optional<String> inReplyTo, List<String> references,
                         LoopHeaders loopHeaders, Optional<Bounce> bounce) {

    /**
     * The headers that decide whether a mail may be answered automatically. Values are unfolded,
     * stripped, and empty when the header is absent.
     *
     * @param autoSubmitted        Auto-Submitted (RFC 3834), e.g. {@code auto-replied}
     * @param precedence           Precedence, e.g. {@code bulk}
     * @param listId               List-Id (a mailing list)
     * @param returnPath           Return-Path as the delivering server wrote it ({@code <>} for a bounce)
     * @param autoResponseSuppress X-Auto-Response-Suppress (Microsoft), e.g. {@code All, OOF}
     * @param autoReplyMarker      an X-Autoreply / X-Autorespond header is present (vacation responders without RFC 3834)
     * @param deliveryReport       the mail is a {@code multipart/report} (a delivery status notification)
     */
    public record LoopHeaders(String autoSubmitted, String precedence, String listId, Optional<String> returnPath,
                              String autoResponseSuppress, boolean autoReplyMarker, boolean deliveryReport) {

        /** A mail that carries none of them: a person's mail. */
        public static final LoopHeaders NONE = new LoopHeaders("", "", "", Optional.empty(), "", false, false);

        public LoopHeaders {
            autoSubmitted = autoSubmitted == null ? "" : autoSubmitted.strip();
            precedence = precedence == null ? "" : precedence.strip();
            listId = listId == null ? "" : listId.strip();
            returnPath = returnPath == null ? Optional.empty() : returnPath.map(String::strip);
            autoResponseSuppress = autoResponseSuppress == null ? "" : autoResponseSuppress.strip();
        }
    }

    public ParsedMail {
        attachments = List.copyOf(attachments);
        references = List.copyOf(references);
        loopHeaders = loopHeaders == null ? LoopHeaders.NONE : loopHeaders;
        bounce = bounce == null ? Optional.empty() : bounce;
    }

    /** A mail that is no bounce. */
    public ParsedMail(String fromAddress, String fromName, String subject, Optional<OffsetDateTime> sentAt,
                      Optional<String> messageId, String textBody, Optional<String> htmlBody,
                      List<MailAttachment> attachments, Optional<String> inReplyTo, List<String> references,
                      LoopHeaders loopHeaders) {
        this(fromAddress, fromName, subject, sentAt, messageId, textBody, htmlBody, attachments, inReplyTo, references,
                loopHeaders, Optional.empty());
    }

    /** A mail without loop headers (a person's mail). */
    public ParsedMail(String fromAddress, String fromName, String subject, Optional<OffsetDateTime> sentAt,
                      Optional<String> messageId, String textBody, Optional<String> htmlBody,
                      List<MailAttachment> attachments, Optional<String> inReplyTo, List<String> references) {
        this(fromAddress, fromName, subject, sentAt, messageId, textBody, htmlBody, attachments, inReplyTo, references,
                LoopHeaders.NONE, Optional.empty());
    }

    /** A mail with a text body only. */
    public ParsedMail(String fromAddress, String fromName, String subject, Optional<OffsetDateTime> sentAt,
                      Optional<String> messageId, String textBody) {
        this(fromAddress, fromName, subject, sentAt, messageId, textBody, Optional.empty(), List.of(),
                Optional.empty(), List.of(), LoopHeaders.NONE, Optional.empty());
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
