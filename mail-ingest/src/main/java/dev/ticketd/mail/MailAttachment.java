package dev.ticketd.mail;

import java.util.Objects;
import java.util.Optional;

/**
 * A part of a mail that is not its text: a file, an inline image (referenced from the HTML by its
 * Content-ID), a forwarded mail ({@code message/rfc822}) or a TNEF {@code winmail.dat}; all kept
 * as sent.
 *
 * @param filename    decoded, without any path, never blank
 * @param contentType the lower-case base type as declared, e.g. {@code image/png}
 * @param contentId   the Content-ID without angle brackets, when present
 * @param content     the decoded bytes (transfer encoding removed)
 */
public record MailAttachment(String filename, String contentType, Optional<String> contentId, byte[] content) {

    public MailAttachment {
        Objects.requireNonNull(filename);
        Objects.requireNonNull(contentType);
        Objects.requireNonNull(contentId);
        Objects.requireNonNull(content);
    }

    public long size() {
        return content.length;
    }

    @Override
    public String toString() {
        return "MailAttachment[" + filename + ", " + contentType + ", " + contentId.orElse("-") + ", " + content.length + " bytes]";
    }
}
