package dev.ticketd.chaos.mail;

import dev.ticketd.chaos.Procs;
import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.MailboxReader;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.mail.TransportSecurity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.MAILBOX;

/**
 * One run's world: a fresh migrated database with the support mailbox's row and a lease epoch,
 * and a fresh Dovecot + Postfix (empty Maildirs) on 127.0.0.1 — the same wiring as mail-ingest's
 * {@code IngestBenchmark} ({@link IngestStore}, {@link MailParser}, {@link TicketsFromMail},
 * {@link MailboxLeases}), with a real mail server instead of GreenMail. {@link #close()} stops the
 * reader, the mail server (by pid) and the pool, in that order.
 */
final class IntakeRig implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IntakeRig.class);
    static final String SUPPORT = MailServerConfig.DEFAULT_SUPPORT;
    static final String MAILBOX_ID = "support";

    final Database db;
    final MailServer mail;
    final long epoch;
    private MailboxReader reader;

    private IntakeRig(Database db, MailServer mail, long epoch) {
        this.db = db;
        this.mail = mail;
        this.epoch = epoch;
    }

    /**
     * @param mailDir a new folder for the mail server (short: Dovecot puts sockets under it); deleted on close
     */
    static IntakeRig start(BenchDatabase database, String dbName, Path mailDir) throws IOException, InterruptedException {
        Database db = database.fresh(dbName);
        MailServer mail = null;
        try {
            mail = MailServer.start(MailServerConfig.of(mailDir, "127.0.0.1", Procs.freePort(), Procs.freePort(), Procs.freePort()));
            db.dsl().insertInto(MAILBOX).set(MAILBOX.ID, MAILBOX_ID).set(MAILBOX.ADDRESS, SUPPORT)
                    .set(MAILBOX.IMAP_HOST, mail.bindAddress()).set(MAILBOX.IMAP_PORT, mail.imapPort())
                    .set(MAILBOX.IMAP_USER, SUPPORT).set(MAILBOX.SECRET_REF, MAILBOX_ID).execute();
            long epoch = new MailboxLeases(db.transactions(), Duration.ofSeconds(2)).acquire(MAILBOX_ID, "dovecot-ingest-bench");
            return new IntakeRig(db, mail, epoch);
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (mail != null) {
                try {
                    mail.close();
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            db.close();
            throw e;
        }
    }

    /** The reader's settings: IMAP IDLE, the default 5 s safety poll and I/O timeout, as a node runs it. */
    MailboxSettings settings() {
        return new MailboxSettings(MAILBOX_ID, SUPPORT, mail.bindAddress(), mail.imapPort(), TransportSecurity.NONE, SUPPORT,
                MailServerConfig.DEFAULT_SUPPORT_PASSWORD, "INBOX", "Processed", MailboxSettings.DEFAULT_POLL_INTERVAL,
                MailboxSettings.DEFAULT_IO_TIMEOUT, MailboxSettings.DEFAULT_MAX_MESSAGE_BYTES);
    }

    /** Starts the one reader of the support mailbox. */
    MailboxReader startReader() {
        if (reader != null) {
            throw new IllegalStateException("the reader already runs");
        }
        reader = new MailboxReader(settings(), new IngestStore(db, new MailParser(), new TicketsFromMail()), epoch, Clock.systemUTC());
        reader.start();
        return reader;
    }

    /** Mails stored (each exactly once: a ticket, a reply, or a quarantined mail), committed. */
    int stored() {
        return db.dsl().fetchCount(INBOUND_MESSAGE);
    }

    /**
     * Fails, naming the problem, when the reader has stopped or was fenced out; for the benchmark's
     * waits, so that they end at once instead of at their deadline.
     */
    void requireReaderAlive() {
        if (reader == null) {
            return;
        }
        MailboxReader.Status s = reader.status();
        if (s.state() == MailboxReader.State.STOPPED || s.state() == MailboxReader.State.FENCED_OUT) {
            throw new IllegalStateException("the mailbox reader is " + s.state() + " (last error: " + s.lastError()
                    + "); see " + mail.dovecotLog());
        }
    }

    /** The reader's last error, for a timeout's message. */
    String readerError() {
        return reader == null ? "no reader" : String.valueOf(reader.status().lastError());
    }

    Optional<Long> dovecotPid() {
        return mail.dovecotPid();
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        if (reader != null) {
            try {
                reader.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        try {
            mail.close();
        } catch (IOException | RuntimeException e) {
            failure = failure == null ? new IllegalStateException("could not stop the mail server: " + e.getMessage(), e) : failure;
        }
        db.close();
        if (failure != null) {
            throw failure;
        }
        log.info("run closed: reader, mail server and pool");
    }
}
