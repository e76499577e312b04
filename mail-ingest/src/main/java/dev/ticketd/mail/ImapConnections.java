package dev.ticketd.mail;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import org.eclipse.angus.mail.imap.IMAPStore;

import java.util.Properties;

/**
 * The one place that turns a mailbox's settings into a connected IMAP store, for the reader's
 * connection ({@link ImapMailbox}) and the reconciler's read-only view alike: {@code imaps} for TLS
 * from the first byte; STARTTLS required, never a quiet fall-back to clear text; the server's name
 * checked against its certificate whenever TLS is used; every connect, read and write bounded by the
 * mailbox's I/O timeout; {@code peek}, so that reading a mail never sets {@code \Seen}.
 */
public final class ImapConnections {

    static {
        MailStreams.named();
    }

    private ImapConnections() {
    }

    /** A new connection to the mailbox's server, logged in; the caller closes it. */
    public static Store connect(MailboxSettings settings) throws MessagingException {
        return connect(settings, null);
    }

    /**
     * As {@link #connect(MailboxSettings)}, with the connection's sockets recorded in {@code sockets}
     * (when not null), so that another thread can abort a read that would otherwise never end.
     */
    static IMAPStore connect(MailboxSettings settings, TrackedSockets sockets) throws MessagingException {
        IMAPStore store = (IMAPStore) Session.getInstance(properties(settings, sockets)).getStore(protocol(settings));
        store.connect(settings.imapHost(), settings.imapPort(), settings.imapUser(), settings.imapPassword());
        return store;
    }

    static String protocol(MailboxSettings settings) {
        return settings.imapSecurity() == TransportSecurity.TLS ? "imaps" : "imap";
    }

    static Properties properties(MailboxSettings settings, TrackedSockets sockets) {
        String protocol = protocol(settings);
        String prefix = "mail." + protocol + ".";
        Properties p = new Properties();
        String timeout = Long.toString(settings.ioTimeout().toMillis());
        p.setProperty(prefix + "connectiontimeout", timeout);
        p.setProperty(prefix + "timeout", timeout);
        p.setProperty(prefix + "writetimeout", timeout);
        p.setProperty(prefix + "peek", "true"); // never set \Seen: we do not use it
        p.setProperty(prefix + "fetchsize", "1048576");
        p.setProperty(prefix + "connectionpoolsize", "1");
        if (settings.imapSecurity() == TransportSecurity.STARTTLS) {
            p.setProperty(prefix + "starttls.enable", "true");
            p.setProperty(prefix + "starttls.required", "true");
        }
        if (settings.imapSecurity() != TransportSecurity.NONE) {
            p.setProperty(prefix + "ssl.checkserveridentity", "true");
        }
        if (sockets != null) {
            // Angus must not see an SSLSocketFactory on a plain or STARTTLS connection, or it would
            // speak TLS from the first byte (see TrackedSockets)
            if (settings.imapSecurity() == TransportSecurity.TLS) {
                p.put(prefix + "ssl.socketFactory", sockets.tls());
            } else {
                p.put(prefix + "socketFactory", sockets.plain());
            }
        }
        return p;
    }
}
