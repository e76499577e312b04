package dev.ticketd.desk;

import java.util.Objects;
import java.util.Optional;

/** A file to store with a ticket message. */
public record Attachment(String filename, String contentType, Optional<String> contentId, byte[] content) {

    public Attachment {
        Objects.requireNonNull(filename);
        Objects.requireNonNull(contentType);
        Objects.requireNonNull(contentId);
        Objects.requireNonNull(content);
    }

    /** The attachment as stored: its row id, and no content. */
    public record Stored(long id, String filename, String contentType, long sizeBytes) {
    }

    @Override
    public String toString() {
        return "Attachment[" + filename + ", " + contentType + ", " + contentId.orElse("-") + ", " + content.length + " bytes]";
    }
}
