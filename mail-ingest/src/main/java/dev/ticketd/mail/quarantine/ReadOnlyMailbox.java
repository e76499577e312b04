package dev.ticketd.mail.quarantine;

import dev.ticketd.mail.ImapConnections;
import dev.ticketd.mail.MailboxSettings;
import jakarta.mail.FetchProfile;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Store;
import jakarta.mail.UIDFolder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * A read-only IMAP view of a mailbox's folders, for reconciling them with the database. It opens
 * folders {@code READ_ONLY} with {@code peek}, so it can neither move, flag nor delete mail. Every
 * connect, read and write is bounded by the mailbox's I/O timeout. Jakarta Mail types stay in here.
 *
 * <p>Lifecycle: {@link #open()} once, then any number of {@link #list}, {@link #head} and {@link #fetchRaw};
 * {@link #close()} once. One thread.
 */
public final class ReadOnlyMailbox implements AutoCloseable {

    /** One message of a folder: its UID and size. */
    public record Listed(long uid, long size) {
    }

    /** A folder's UIDVALIDITY and its messages, oldest UID first; empty when the folder does not exist. */
    public record FolderListing(String folder, long uidValidity, List<Listed> messages) {
    }

    /**
     * The head of a folder: how many messages wait in it, and the first (lowest UID) of them with the
     * time the server received it; {@code uid} is 0 and {@code received} null when the folder is empty.
     */
    public record Head(int count, long uid, Instant received) {
    }

    private final MailboxSettings settings;
    private Store store;
    private Folder open;

    public ReadOnlyMailbox(MailboxSettings settings) {
        this.settings = settings;
    }

    public void open() throws MessagingException {
        store = ImapConnections.connect(settings);
    }

    /** Opens {@code folder} read-only (closing the one open before) and lists it. */
    public FolderListing list(String folder) throws MessagingException {
        closeFolder();
        Folder f = store.getFolder(folder);
        if (!f.exists()) {
            return new FolderListing(folder, 0, List.of());
        }
        f.open(Folder.READ_ONLY);
        open = f;
        UIDFolder uids = (UIDFolder) f;
        Message[] messages = f.getMessages();
        FetchProfile fp = new FetchProfile();
        fp.add(UIDFolder.FetchProfileItem.UID);
        fp.add(FetchProfile.Item.SIZE);
        f.fetch(messages, fp);
        List<Listed> listed = new ArrayList<>(messages.length);
        for (Message m : messages) {
            if (!m.isExpunged()) {
                listed.add(new Listed(uids.getUID(m), m.getSize()));
            }
        }
        listed.sort((a, b) -> Long.compare(a.uid(), b.uid()));
        return new FolderListing(folder, uids.getUIDValidity(), listed);
    }

    /**
     * Opens {@code folder} read-only (closing the one open before) and looks at its first message only:
     * the cost does not grow with the folder (one SELECT and one FETCH of a single message).
     */
    public Head head(String folder) throws MessagingException {
        closeFolder();
        Folder f = store.getFolder(folder);
        if (!f.exists()) {
            return new Head(0, 0, null);
        }
        f.open(Folder.READ_ONLY);
        open = f;
        int count = f.getMessageCount();
        if (count == 0) {
            return new Head(0, 0, null);
        }
        Message first = f.getMessage(1);
        FetchProfile fp = new FetchProfile();
        fp.add(UIDFolder.FetchProfileItem.UID);
        fp.add(FetchProfile.Item.ENVELOPE); // carries INTERNALDATE
        f.fetch(new Message[]{first}, fp);
        Date received = first.getReceivedDate();
        return new Head(count, ((UIDFolder) f).getUID(first), received == null ? null : received.toInstant());
    }

    /** The bytes of a message of the folder listed last, exactly as the server stores them; null when it is gone. */
    public byte[] fetchRaw(long uid) throws MessagingException, IOException {
        Message m = ((UIDFolder) open).getMessageByUID(uid);
        if (m == null || m.isExpunged()) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(1024, m.getSize()));
        m.writeTo(out);
        return out.toByteArray();
    }

    private void closeFolder() {
        Folder f = open;
        open = null;
        try {
            if (f != null && f.isOpen()) {
                f.close(false); // never expunge
            }
        } catch (MessagingException | RuntimeException ignored) {
            // a read-only folder holds nothing to lose; the store close drops the socket anyway
        }
    }

    @Override
    public void close() {
        closeFolder();
        try {
            if (store != null) {
                store.close();
            }
        } catch (MessagingException | RuntimeException ignored) {
            // as above
        }
        store = null;
    }
}
