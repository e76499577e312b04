package dev.ticketd.node.ticket;

import java.util.Objects;

/**
 * A file attached to a staff reply. As it arrives from a browser or an API client its name and
 * type are whatever the client said; {@link ReplyAttachments#checked} returns copies with a safe
 * file name and a content type that parses.
 *
 * @param filename    the file name as given (may carry a path, control characters, or be null)
 * @param contentType the declared content type, or null
 * @param content     the bytes; never null
 */
public record ReplyAttachment(String filename, String contentType, byte[] content) {

    public ReplyAttachment {
        Objects.requireNonNull(content, "content");
    }

    @Override
    public String toString() {
        return "ReplyAttachment[" + filename + ", " + contentType + ", " + content.length + " bytes]";
    }
}
