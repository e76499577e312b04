package dev.ticketd.mail.quarantine;

import dev.ticketd.db.Database;
import dev.ticketd.mail.Canary;
import dev.ticketd.mail.ContentKey;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.StaleEpochException;
import jakarta.mail.FolderClosedException;
import jakarta.mail.MessagingException;
import jakarta.mail.StoreClosedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;

/**
 * The recovery path after a database restore: compares a mailbox's INBOX and Processed folders
 * with the database and stores every mail that was never stored (or was lost with the restore),
 * through the same exactly-once {@link IngestStore#ingest} as the reader, under the caller's
 * lease epoch. It opens the folders read-only: it never moves, flags or deletes mail. Mail it
 * stores from the INBOX stays there, and the next reader recognises it and moves it.
 *
 * <p>Coordinates. The unique key (mailbox, UIDVALIDITY, UID) names INBOX coordinates, and two
 * folders may well share a UIDVALIDITY (Dovecot derives it from the creation time). A mail found
 * only in Processed is therefore stored with its Processed UID under the <em>negated</em>
 * Processed UIDVALIDITY: real UIDVALIDITY values are positive, so this can never make an INBOX
 * mail look stored (which would let the reader move it unread), and a second reconcile recognises
 * it without downloading it. Mail in Processed is recognised by its content key otherwise.
 *
 * <p>Bounded: at most {@code limit} mails are checked, the newest ones (Processed, then INBOX),
 * and they are stored oldest first so replies thread into the tickets of the mails they answer.
 * Mail over the size limit is skipped and counted. A stale epoch stops the run
 * ({@link StaleEpochException}); a mail that fails on its own is counted and skipped.
 */
public final class MailboxReconciler {

    /** What one run did. {@code notChecked} mails were beyond the limit. */
    public record Report(int checked, int foundStored, int ingested, int ingestedUnparseable, int skippedTooLarge,
                         int failed, int notChecked, List<String> errors) {
    }

    private record Candidate(String folder, boolean inbox, long uidValidity, ReadOnlyMailbox.Listed message) {
    }

    private static final Logger log = LoggerFactory.getLogger(MailboxReconciler.class);
    private static final int MAX_ERRORS_REPORTED = 20;

    private final Database db;
    private final IngestStore store;

    public MailboxReconciler(Database db, IngestStore store) {
        this.db = db;
        this.store = store;
    }

    /** Reconciles over a fresh read-only IMAP connection. */
    public Report reconcile(MailboxSettings settings, long epoch, int limit) throws MessagingException, IOException {
        try (ReadOnlyMailbox mailbox = new ReadOnlyMailbox(settings)) {
            mailbox.open();
            return reconcile(mailbox, settings, epoch, limit);
        }
    }

    Report reconcile(ReadOnlyMailbox mailbox, MailboxSettings settings, long epoch, int limit)
            throws MessagingException, IOException {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, was " + limit);
        }
        ReadOnlyMailbox.FolderListing processed = mailbox.list(settings.processedFolder());
        ReadOnlyMailbox.FolderListing inbox = mailbox.list(settings.inboxFolder());
        List<Candidate> all = new ArrayList<>(processed.messages().size() + inbox.messages().size());
        processed.messages().forEach(m -> all.add(new Candidate(processed.folder(), false, processed.uidValidity(), m)));
        inbox.messages().forEach(m -> all.add(new Candidate(inbox.folder(), true, inbox.uidValidity(), m)));
        int notChecked = Math.max(0, all.size() - limit);
        List<Candidate> chosen = all.subList(notChecked, all.size());

        int foundStored = 0;
        int ingested = 0;
        int unparseable = 0;
        int tooLarge = 0;
        int failed = 0;
        List<String> errors = new ArrayList<>();
        String listedFolder = inbox.folder(); // the folder ReadOnlyMailbox has open now
        for (Candidate c : chosen) {
            long storedUidValidity = c.inbox() ? c.uidValidity() : -c.uidValidity();
            if (store.isStored(settings.id(), storedUidValidity, c.message().uid())) {
                foundStored++;
                continue;
            }
            if (c.message().size() > settings.maxMessageBytes()) {
                tooLarge++;
                log.warn("reconcile skips mail over the size limit mailbox={} folder={} uid={} size={}",
                        settings.id(), c.folder(), c.message().uid(), c.message().size());
                continue;
            }
            try {
                if (!c.folder().equals(listedFolder)) {
                    mailbox.list(c.folder());
                    listedFolder = c.folder();
                }
                byte[] raw = mailbox.fetchRaw(c.message().uid());
                if (raw == null) {
                    continue; // expunged meanwhile
                }
                if (!c.inbox() && isStoredByContent(settings.id(), raw)) {
                    foundStored++;
                    continue;
                }
                if (!c.inbox() && Canary.claimedToken(raw).isPresent()) {
                    // a canary the self-watch sent, left in a folder after its rows were cleaned up:
                    // intake took it in once already, and it is nobody's mail
                    foundStored++;
                    continue;
                }
                IngestStore.Outcome outcome = store.ingest(
                        new IngestStore.IncomingMail(settings.id(), storedUidValidity, c.message().uid(), raw), epoch);
                switch (outcome) {
                    case ALREADY_STORED, STORED_AS_COPY, CANARY -> foundStored++;
                    case TICKETED -> ingested++;
                    case STORED_UNPARSEABLE -> {
                        ingested++;
                        unparseable++;
                    }
                }
                log.info("reconcile mailbox={} folder={} uidvalidity={} uid={} outcome={}",
                        settings.id(), c.folder(), c.uidValidity(), c.message().uid(), outcome);
            } catch (MessagingException | IOException e) {
                if (e instanceof FolderClosedException || e instanceof StoreClosedException) {
                    throw e;
                }
                failed++;
                note(errors, c, e);
            } catch (StaleEpochException e) {
                throw e;
            } catch (RuntimeException e) {
                failed++;
                note(errors, c, e);
            }
        }
        return new Report(chosen.size(), foundStored, ingested, unparseable, tooLarge, failed, notChecked, List.copyOf(errors));
    }

    private boolean isStoredByContent(String mailboxId, byte[] raw) {
        return db.dsl().fetchExists(INBOUND_MESSAGE, INBOUND_MESSAGE.MAILBOX_ID.eq(mailboxId)
                .and(INBOUND_MESSAGE.CONTENT_KEY.eq(ContentKey.of(raw))));
    }

    private void note(List<String> errors, Candidate c, Exception e) {
        log.warn("reconcile could not store a mail folder={} uid={} error={}", c.folder(), c.message().uid(), e.toString());
        if (errors.size() < MAX_ERRORS_REPORTED) {
            errors.add(c.folder() + " uid " + c.message().uid() + ": " + e.getMessage());
        }
    }
}
