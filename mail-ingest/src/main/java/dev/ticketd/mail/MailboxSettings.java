package dev.ticketd.mail;

import java.time.Duration;
import java.util.Objects;

/**
 * Everything a reader needs to take in one mailbox's mail.
 *
 * @param id              stable mailbox id (names its lease and its Helix partition)
 * @param address         the support address customers write to
 * @param imapHost        IMAP server
 * @param imapPort        IMAP port
 * @param imapSecurity    none, STARTTLS or TLS
 * @param imapUser        login
 * @param imapPassword    login secret; never logged (see {@link #toString()})
 * @param inboxFolder     the queue: every mail in it is work
 * @param processedFolder where mail goes after its transaction committed; created if missing
 * @param pollInterval    the safety poll; also the longest a single IDLE lasts
 * @param ioTimeout       connect, read and write timeout for IMAP (the Jakarta Mail defaults are infinite)
 * @param maxMessageBytes a mail larger than this is not downloaded by the reader: its headers go to the quarantine
 * @param idle            wait with IMAP IDLE when the server offers it; false polls every poll interval only
 *                        (how most help desks fetch; the ingest benchmark compares both)
 */
public record MailboxSettings(String id, String address, String imapHost, int imapPort, TransportSecurity imapSecurity,
                              String imapUser, String imapPassword, String inboxFolder, String processedFolder,
                              Duration pollInterval, Duration ioTimeout, long maxMessageBytes, boolean idle) {

    /** Settings that use IMAP IDLE when the server offers it. */
    public MailboxSettings(String id, String address, String imapHost, int imapPort, TransportSecurity imapSecurity,
                           String imapUser, String imapPassword, String inboxFolder, String processedFolder,
                           Duration pollInterval, Duration ioTimeout, long maxMessageBytes) {
        this(id, address, imapHost, imapPort, imapSecurity, imapUser, imapPassword, inboxFolder, processedFolder,
                pollInterval, ioTimeout, maxMessageBytes, true);
    }

    /** The same settings without IMAP IDLE: only the poll finds new mail. */
    public MailboxSettings withoutIdle() {
        return new MailboxSettings(id, address, imapHost, imapPort, imapSecurity, imapUser, imapPassword, inboxFolder,
                processedFolder, pollInterval, ioTimeout, maxMessageBytes, false);
    }

    /** The same settings with another poll interval. */
    public MailboxSettings withPollInterval(Duration interval) {
        return new MailboxSettings(id, address, imapHost, imapPort, imapSecurity, imapUser, imapPassword, inboxFolder,
                processedFolder, interval, ioTimeout, maxMessageBytes, idle);
    }

    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_IO_TIMEOUT = Duration.ofSeconds(20);
    public static final long DEFAULT_MAX_MESSAGE_BYTES = 50L * 1024 * 1024;

    public MailboxSettings {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(imapHost, "imapHost");
        Objects.requireNonNull(imapSecurity, "imapSecurity");
        Objects.requireNonNull(imapUser, "imapUser");
        imapPassword = imapPassword == null ? "" : imapPassword;
        Objects.requireNonNull(inboxFolder, "inboxFolder");
        Objects.requireNonNull(processedFolder, "processedFolder");
        if (imapPort < 1 || imapPort > 65535) {
            throw new IllegalArgumentException("mailbox " + id + ": IMAP port out of range: " + imapPort);
        }
        if (inboxFolder.equals(processedFolder)) {
            throw new IllegalArgumentException("mailbox " + id + ": the processed folder must differ from the inbox folder");
        }
        if (pollInterval.toMillis() < 100 || ioTimeout.toMillis() < 100) {
            throw new IllegalArgumentException("mailbox " + id + ": poll interval and IMAP timeout must be at least 100 ms");
        }
        if (maxMessageBytes < 1024) {
            throw new IllegalArgumentException("mailbox " + id + ": max message size must be at least 1 KiB");
        }
    }

    @Override
    public String toString() {
        return "MailboxSettings[id=" + id + ", address=" + address + ", imap=" + imapUser + "@" + imapHost + ":" + imapPort
                + " (" + imapSecurity.dbValue() + "), inbox=" + inboxFolder + ", processed=" + processedFolder
                + ", poll=" + pollInterval + ", idle=" + idle + ", ioTimeout=" + ioTimeout + "]";
    }
}
