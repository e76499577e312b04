package dev.ticketd.node.ticket;

import dev.ticketd.desk.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The limits and cleaning rules for files attached to staff replies. The limits keep a reply
 * within what mail servers commonly accept (25 MB of files is about 34 MB once base64-encoded).
 */
public final class ReplyAttachments {

    public static final int MAX_FILES = 10;
    public static final long MAX_FILE_BYTES = 10L * 1024 * 1024;
    public static final long MAX_TOTAL_BYTES = 25L * 1024 * 1024;
    /** The same cap as inbound file names get. */
    public static final int MAX_FILENAME_LENGTH = 255;
    /** An extension longer than this is not kept when a long name is shortened. */
    private static final int MAX_KEPT_EXTENSION = 16;
    static final String FALLBACK_FILENAME = "attachment";
    static final String FALLBACK_CONTENT_TYPE = "application/octet-stream";

    /** RFC 2045 type "/" subtype, both tokens; parameters are not kept (inbound attachments store the base type too). */
    private static final Pattern MEDIA_TYPE = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]+/[A-Za-z0-9!#$%&'*+.^_`|~-]+");
    /**
     * Control characters, and the Unicode direction overrides and isolates that make
     * "invoice\u202Efdp.exe" look like "invoiceexe.pdf" in a mail client.
     */
    private static final Pattern UNSAFE = Pattern.compile("[\\p{Cntrl}\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069\\u2028\\u2029]");

    private ReplyAttachments() {
    }

    /**
     * The files with clean names and types, in the order given.
     *
     * @throws InvalidRequestException naming the file and the limit, when there are too many, one is
     *                                 empty or too large, or all together are too large
     */
    static List<ReplyAttachment> checked(List<ReplyAttachment> files) {
        if (files == null || files.isEmpty()) {
            return List.of();
        }
        if (files.size() > MAX_FILES) {
            throw new InvalidRequestException("a reply can carry at most " + MAX_FILES + " files; this one has " + files.size());
        }
        List<ReplyAttachment> clean = new ArrayList<>(files.size());
        long total = 0;
        for (ReplyAttachment file : files) {
            String name = filename(file.filename());
            long size = file.content().length;
            if (size == 0) {
                throw new InvalidRequestException("the file \"" + name + "\" is empty; choose it again or leave it out");
            }
            if (size > MAX_FILE_BYTES) {
                throw new InvalidRequestException("the file \"" + name + "\" (" + AttachmentInfo.humanSize(size)
                        + ") is larger than " + megabytes(MAX_FILE_BYTES) + ", the most one file may be");
            }
            total += size;
            clean.add(new ReplyAttachment(name, contentType(file.contentType()), file.content()));
        }
        if (total > MAX_TOTAL_BYTES) {
            throw new InvalidRequestException("the files (" + AttachmentInfo.humanSize(total) + " together) are larger than "
                    + megabytes(MAX_TOTAL_BYTES) + ", the most one reply may carry");
        }
        return List.copyOf(clean);
    }

    /** A limit for people: "10 MB". */
    public static String megabytes(long limit) {
        return (limit / (1024 * 1024)) + " MB";
    }

    /**
     * The last path component (browsers on Windows used to send {@code C:\Users\…\file.pdf}),
     * without control characters or direction overrides, without leading dots (no hidden files, no
     * "..") or surrounding blanks, at most {@value #MAX_FILENAME_LENGTH} characters keeping the
     * extension; {@code "attachment"} when nothing is left.
     */
    static String filename(String given) {
        if (given == null) {
            return FALLBACK_FILENAME;
        }
        String name = UNSAFE.matcher(given).replaceAll("");
        name = name.substring(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1).strip();
        int firstKept = 0;
        while (firstKept < name.length() && name.charAt(firstKept) == '.') {
            firstKept++;
        }
        name = name.substring(firstKept).strip();
        if (name.isEmpty()) {
            return FALLBACK_FILENAME;
        }
        return shorten(name);
    }

    private static String shorten(String name) {
        if (name.length() <= MAX_FILENAME_LENGTH) {
            return name;
        }
        int dot = name.lastIndexOf('.');
        String extension = dot > 0 && name.length() - dot <= MAX_KEPT_EXTENSION ? name.substring(dot) : "";
        int keep = MAX_FILENAME_LENGTH - extension.length();
        if (Character.isHighSurrogate(name.charAt(keep - 1))) {
            keep--; // never cut a character in half
        }
        return name.substring(0, keep).strip() + extension;
    }

    /** The lower-case {@code type/subtype} of a declared content type, or {@code application/octet-stream}. */
    static String contentType(String given) {
        if (given == null) {
            return FALLBACK_CONTENT_TYPE;
        }
        int semicolon = given.indexOf(';');
        String base = (semicolon < 0 ? given : given.substring(0, semicolon)).strip();
        if (base.length() > 255 || !MEDIA_TYPE.matcher(base).matches()) {
            return FALLBACK_CONTENT_TYPE;
        }
        return base.toLowerCase(Locale.ROOT);
    }
}
