package dev.ticketd.chaos.mail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Puts mail straight into a Maildir's {@code new/} folder, as a local delivery agent does: each
 * file written under {@code tmp/}, owned by Dovecot's mail user, then renamed into {@code new/}
 * (atomic, so Dovecot never sees half a mail). Fast (no SMTP), for the benchmark's backlog; Dovecot
 * takes the files in and numbers them at the reader's first SELECT. Not thread-safe.
 */
final class MaildirDrop {

    private static final int MAIL_UID = Integer.parseInt(MailServerFiles.MAIL_UID);

    private final Path maildir;
    private final String unique;
    private int seq;

    /**
     * @param maildir the Maildir (its root is the INBOX); it and the folders above it up to the
     *                server's {@code mail/} folder are created, owned by the mail user, if missing
     */
    MaildirDrop(Path maildir) throws IOException {
        this.maildir = maildir;
        this.unique = "P" + ProcessHandle.current().pid() + "Q" + System.nanoTime();
        Path mailRoot = maildir.getParent().getParent().getParent(); // mail/DOMAIN/USER/Maildir
        if (!Files.isDirectory(mailRoot)) {
            throw new IOException("no mail folder above the Maildir (is the mail server started?): " + mailRoot);
        }
        for (Path p : new Path[] {maildir.getParent().getParent(), maildir.getParent(), maildir,
                maildir.resolve("cur"), maildir.resolve("new"), maildir.resolve("tmp")}) {
            if (!Files.isDirectory(p)) {
                Files.createDirectory(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                own(p);
            }
        }
    }

    /** Delivers one mail; returns its file in {@code new/}. */
    Path deliver(byte[] raw) throws IOException {
        String name = (System.currentTimeMillis() / 1000) + "." + unique + "N" + (seq++) + ".bench,S=" + raw.length;
        Path tmp = maildir.resolve("tmp").resolve(name);
        Files.write(tmp, raw);
        own(tmp);
        return Files.move(tmp, maildir.resolve("new").resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    private static void own(Path p) throws IOException {
        Files.setAttribute(p, "unix:uid", MAIL_UID);
        Files.setAttribute(p, "unix:gid", MAIL_UID);
    }
}
