package dev.ticketd.desk;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A customer's mail as a ticket message needs it: parsed and cleaned by mail intake (the HTML
 * sanitised, still with {@code cid:} image sources).
 *
 * @param fromName blank when the mail names no one
 */
public record IncomingMail(String fromAddress, String fromName, String subject, String textBody,
                           Optional<String> htmlBody, List<Attachment> attachments) {

    public IncomingMail {
        Objects.requireNonNull(fromAddress);
        Objects.requireNonNull(fromName);
        Objects.requireNonNull(subject);
        Objects.requireNonNull(textBody);
        Objects.requireNonNull(htmlBody);
        attachments = List.copyOf(attachments);
    }
}
