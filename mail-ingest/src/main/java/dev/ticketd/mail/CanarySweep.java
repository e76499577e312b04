package dev.ticketd.mail;

import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Store;
import jakarta.mail.search.HeaderTerm;

import java.util.function.BiPredicate;

/**
 * Deletes the self-watch's {@link Canary} mails from a mailbox's Processed folder once intake took
 * them in, so the canary leaves nothing behind on the mail server. A mail is deleted only when its
 * token and its Message-ID are both those of a probe the caller knows was received — a customer's
 * mail that copies or forwards a canary's header stays. At most {@code max} mails a sweep; every
 * IMAP operation is bounded by the mailbox's I/O timeout. Jakarta Mail types stay in here.
 */
public final class CanarySweep {

    private CanarySweep() {
    }

    /**
     * @param received whether the probe with this token and Message-ID was taken in
     * @return how many canary mails were deleted
     */
    public static int sweep(MailboxSettings settings, BiPredicate<String, String> received, int max) throws MessagingException {
        Store store = ImapConnections.connect(settings);
        try {
            Folder folder = store.getFolder(settings.processedFolder());
            if (!folder.exists()) {
                return 0;
            }
            folder.open(Folder.READ_WRITE);
            int deleted = 0;
            try {
                // the server finds them: SEARCH HEADER with an empty string matches every mail that has the header
                for (Message m : folder.search(new HeaderTerm(Canary.HEADER, ""))) {
                    if (deleted >= max) {
                        break;
                    }
                    String[] tokens = m.getHeader(Canary.HEADER);
                    String[] ids = m.getHeader("Message-ID");
                    if (tokens == null || ids == null || tokens.length != 1 || ids.length != 1) {
                        continue;
                    }
                    if (received.test(tokens[0].strip(), ids[0].strip())) {
                        m.setFlag(Flags.Flag.DELETED, true);
                        deleted++;
                    }
                }
            } finally {
                folder.close(true); // expunges what was flagged
            }
            return deleted;
        } finally {
            store.close();
        }
    }
}
