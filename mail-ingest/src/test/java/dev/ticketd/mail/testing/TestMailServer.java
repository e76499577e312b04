package dev.ticketd.mail.testing;

import com.icegreen.greenmail.store.FolderException;
import com.icegreen.greenmail.store.MailFolder;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.TransportSecurity;
import org.awaitility.Awaitility;
import jakarta.mail.FetchProfile;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import jakarta.mail.UIDFolder;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.imap.AppendUID;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.jooq.DSLContext;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Properties;

import static dev.ticketd.db.generated.Tables.MAILBOX;

/**
 * A real IMAP + SMTP server (GreenMail) on loopback ports for tests, with a small client to
 * deliver, append and inspect mail over the real protocols.
 */
public final class TestMailServer implements AutoCloseable {

    private final GreenMail greenMail;
    private final Session session;

    private TestMailServer(GreenMail greenMail) {
        this.greenMail = greenMail;
        Properties p = new Properties();
        p.setProperty("mail.smtp.connectiontimeout", "10000");
        p.setProperty("mail.smtp.timeout", "10000");
        p.setProperty("mail.imap.connectiontimeout", "10000");
        p.setProperty("mail.imap.timeout", "10000");
        this.session = Session.getInstance(p);
    }

    public static TestMailServer start() {
        // GreenMail's connection threads throw when a client vanishes mid-command, which these tests
        // provoke on purpose (kill -9 of a node, an aborted IDLE); Awaitility would otherwise fail
        // whatever await() is running at that moment because of another thread's exception.
        Awaitility.doNotCatchUncaughtExceptionsByDefault();
        GreenMail g = new GreenMail(ServerSetup.dynamicPort(ServerSetupTest.SMTP_IMAP));
        g.start();
        return new TestMailServer(g);
    }

    public void addUser(String address, String password) {
        greenMail.setUser(address, address, password);
    }

    public int imapPort() {
        return greenMail.getImap().getPort();
    }

    public int smtpPort() {
        return greenMail.getSmtp().getPort();
    }

    /** Settings for a reader of {@code address}, with a short safety poll for tests. */
    public MailboxSettings mailbox(String id, String address, String password, String inboxFolder) {
        return new MailboxSettings(id, address, "127.0.0.1", imapPort(), TransportSecurity.NONE, address, password,
                inboxFolder, "Processed", Duration.ofMillis(500), Duration.ofSeconds(10),
                MailboxSettings.DEFAULT_MAX_MESSAGE_BYTES);
    }

    /** A simple text mail as raw RFC 822 bytes. */
    /**
     * Registers a mailbox whose INBOX is {@code address}'s account on this server (plain IMAP on
     * 127.0.0.1, login {@code address}, secret reference {@code id}) in the database.
     */
    public void registerMailbox(DSLContext dsl, String id, String address) {
        dsl.insertInto(MAILBOX).set(MAILBOX.ID, id).set(MAILBOX.ADDRESS, address)
                .set(MAILBOX.IMAP_HOST, "127.0.0.1").set(MAILBOX.IMAP_PORT, imapPort())
                .set(MAILBOX.IMAP_USER, address).set(MAILBOX.SECRET_REF, id).execute();
    }

    public byte[] textMail(String from, String to, String subject, String body) {
        try {
            MimeMessage m = new MimeMessage(session);
            m.setFrom(new InternetAddress(from));
            m.setRecipient(Message.RecipientType.TO, new InternetAddress(to));
            m.setSubject(subject, "UTF-8");
            m.setSentDate(new Date());
            m.setText(body, "UTF-8");
            m.saveChanges();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            m.writeTo(out);
            return out.toByteArray();
        } catch (MessagingException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends each raw mail over SMTP (one connection) to {@code to}. */
    public void send(String to, List<byte[]> raws) {
        try (Transport t = session.getTransport("smtp")) {
            t.connect("127.0.0.1", smtpPort(), null, null);
            for (byte[] raw : raws) {
                MimeMessage m = new MimeMessage(session, new ByteArrayInputStream(raw));
                t.sendMessage(m, new InternetAddress[]{new InternetAddress(to)});
            }
        } catch (MessagingException e) {
            throw new IllegalStateException("SMTP delivery failed: " + e.getMessage(), e);
        }
    }

    /** Appends raw mails to a folder over IMAP (creating it), as a delivery agent would. */
    public void append(String user, String password, String folder, List<byte[]> raws) {
        withStore(user, password, store -> {
            Folder f = store.getFolder(folder);
            if (!f.exists()) {
                f.create(Folder.HOLDS_MESSAGES);
            }
            List<Message> messages = new ArrayList<>();
            for (byte[] raw : raws) {
                messages.add(new MimeMessage(session, new ByteArrayInputStream(raw)));
            }
            f.appendMessages(messages.toArray(Message[]::new));
            return null;
        });
    }

    /**
     * Appends mails to a folder over IMAP with their bytes exactly as given (no re-encoding by a
     * MIME library on the way; the IMAP client only turns bare LF into CRLF, as the protocol requires).
     *
     * @return the UID the server gave each mail, in order
     */
    public List<Long> appendRaw(String user, String password, String folder, List<byte[]> raws) {
        return withStore(user, password, store -> {
            IMAPFolder f = (IMAPFolder) store.getFolder(folder);
            if (!f.exists()) {
                f.create(Folder.HOLDS_MESSAGES);
            }
            List<Long> uids = new ArrayList<>();
            for (byte[] raw : raws) {
                AppendUID[] appended = f.appendUIDMessages(new Message[]{new RawMessage(session, raw)});
                uids.add(appended[0] == null ? -1L : appended[0].uid);
            }
            return uids;
        });
    }

    /** A message that writes its bytes as they are, for APPEND. */
    private static final class RawMessage extends MimeMessage {
        private final byte[] raw;

        RawMessage(Session session, byte[] raw) throws MessagingException {
            super(session, new ByteArrayInputStream(raw));
            this.raw = raw;
        }

        @Override
        public void writeTo(java.io.OutputStream os, String[] ignoreList) throws IOException {
            os.write(raw);
        }

        @Override
        public int getSize() {
            return raw.length;
        }
    }

    /**
     * Puts mails straight into a user's INBOX inside the server process (no IMAP round trip per mail,
     * so a backlog of thousands is there in seconds). The server keeps each as the MIME library parsed
     * it, which writes it back with the same header lines and body bytes.
     *
     * @return the UID of each mail, in order
     */
    public List<Long> deliverInProcess(String login, List<byte[]> raws) {
        try {
            MailFolder inbox = greenMail.getManagers().getImapHostManager().getInbox(greenMail.getUserManager().getUser(login));
            List<Long> uids = new ArrayList<>(raws.size());
            for (byte[] raw : raws) {
                uids.add(inbox.appendMessage(new MimeMessage(session, new ByteArrayInputStream(raw)), new Flags(), new Date()));
            }
            return uids;
        } catch (FolderException | MessagingException e) {
            throw new IllegalStateException("in-process delivery failed: " + e.getMessage(), e);
        }
    }

    public List<Long> uids(String user, String password, String folder) {
        return readFolder(user, password, folder, UIDFolder.FetchProfileItem.UID, (f, m) -> ((UIDFolder) f).getUID(m));
    }

    public long uidValidity(String user, String password, String folder) {
        return withStore(user, password, store -> {
            Folder f = store.getFolder(folder);
            f.open(Folder.READ_ONLY);
            try {
                return ((UIDFolder) f).getUIDValidity();
            } finally {
                f.close(false);
            }
        });
    }

    /** Deletes a folder with its mail and creates it empty again: the server gives it a new UIDVALIDITY. */
    public void recreateFolder(String user, String password, String folder) {
        withStore(user, password, store -> {
            Folder f = store.getFolder(folder);
            if (f.exists()) {
                f.delete(true);
            }
            store.getFolder(folder).create(Folder.HOLDS_MESSAGES);
            return null;
        });
    }

    /** Deletes a folder with its mail. */
    public void deleteFolder(String user, String password, String folder) {
        withStore(user, password, store -> {
            Folder f = store.getFolder(folder);
            if (!f.delete(true)) {
                throw new IllegalStateException("the server kept folder " + folder);
            }
            return null;
        });
    }

    /** The UID the next mail delivered to a folder gets (IMAP's UIDNEXT). */
    public long uidNext(String user, String password, String folder) {
        return withStore(user, password, store -> ((IMAPFolder) store.getFolder(folder)).getUIDNext());
    }

    /** The subjects of the mails in a folder. */
    public List<String> subjects(String user, String password, String folder) {
        return readFolder(user, password, folder, FetchProfile.Item.ENVELOPE, (f, m) -> m.getSubject());
    }

    /**
     * One value per mail of a folder (empty when the folder does not exist), fetched in one round trip.
     * Read-only, so it is tried up to three times: GreenMail drops the connection ("BYE ... Connection
     * dropped by server") when a reader under test expunges a mail between this probe's SELECT and FETCH.
     */
    private <T> List<T> readFolder(String user, String password, String folder, FetchProfile.Item item, PerMessage<T> read) {
        IllegalStateException last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            try {
                return readFolderOnce(user, password, folder, item, read);
            } catch (IllegalStateException e) {
                last = e;
            }
        }
        throw last;
    }

    private <T> List<T> readFolderOnce(String user, String password, String folder, FetchProfile.Item item, PerMessage<T> read) {
        return withStore(user, password, store -> {
            Folder f = store.getFolder(folder);
            if (!f.exists()) {
                return List.of();
            }
            f.open(Folder.READ_ONLY);
            try {
                Message[] messages = f.getMessages();
                FetchProfile fp = new FetchProfile();
                fp.add(item);
                f.fetch(messages, fp);
                List<T> values = new ArrayList<>();
                for (Message m : messages) {
                    values.add(read.apply(f, m));
                }
                return values;
            } finally {
                f.close(false);
            }
        });
    }

    @FunctionalInterface
    private interface PerMessage<T> {
        T apply(Folder folder, Message message) throws MessagingException;
    }

    private <T> T withStore(String user, String password, StoreWork<T> work) {
        try (Store store = session.getStore("imap")) {
            store.connect("127.0.0.1", imapPort(), user, password);
            return work.apply(store);
        } catch (MessagingException e) {
            throw new IllegalStateException("IMAP operation failed: " + e.getMessage(), e);
        }
    }

    @FunctionalInterface
    private interface StoreWork<T> {
        T apply(Store store) throws MessagingException;
    }

    @Override
    public void close() {
        greenMail.stop();
    }

    /** Bytes of a literal RFC 822 text written with \n line ends. */
    public static byte[] rfc822(String text) {
        return text.replace("\r\n", "\n").replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
    }
}
