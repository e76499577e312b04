package dev.ticketd.node.ticket;

/** An attachment of a ticket message as listed on the page and in the API; the bytes are at {@link Attachments#url}. */
public record AttachmentInfo(long id, String filename, String contentType, long size) {

    /** A size for people: 512 B, 3.4 KB, 12.0 MB. */
    public static String humanSize(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(java.util.Locale.ROOT, "%.1f KB", bytes / 1024.0);
        }
        return String.format(java.util.Locale.ROOT, "%.1f MB", bytes / (1024.0 * 1024));
    }
}
