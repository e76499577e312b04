package dev.ticketd.mail.outbound;

import dev.ticketd.mail.TransportSecurity;

import java.time.Duration;
import java.util.Objects;

/**
 * How a mailbox sends its mail.
 *
 * @param host           SMTP server (submission)
 * @param port           SMTP port (587 for STARTTLS, 465 for TLS, 25 plain)
 * @param security       none (loopback test servers only), STARTTLS (required, not opportunistic) or TLS
 * @param user           login, or empty for no authentication
 * @param password       login secret; never logged (see {@link #toString()})
 * @param fromAddress    the mailbox's address: From header and envelope sender
 * @param fromName       display name in the From header, or empty
 * @param connectTimeout TCP connect timeout (the Jakarta Mail defaults are infinite)
 * @param readTimeout    timeout of every read of a server reply
 * @param writeTimeout   timeout of every write (the message data included)
 */
public record SmtpSettings(String host, int port, TransportSecurity security, String user, String password,
                           String fromAddress, String fromName, Duration connectTimeout, Duration readTimeout,
                           Duration writeTimeout) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(30);
    /** Server replies one message can wait for: greeting, EHLO, STARTTLS, EHLO, AUTH (2), MAIL, RCPT, DATA, end of data, spare. */
    private static final int MAX_REPLIES_PER_MESSAGE = 12;

    public SmtpSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(security, "security");
        Objects.requireNonNull(fromAddress, "fromAddress");
        user = user == null ? "" : user;
        password = password == null ? "" : password;
        fromName = fromName == null ? "" : fromName;
        if (host.isBlank()) {
            throw new IllegalArgumentException("SMTP host is empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("SMTP port out of range: " + port);
        }
        if (!fromAddress.contains("@")) {
            throw new IllegalArgumentException("SMTP from address is no address: " + fromAddress);
        }
        for (Duration d : new Duration[]{connectTimeout, readTimeout, writeTimeout}) {
            if (d == null || d.toMillis() < 100) {
                throw new IllegalArgumentException("SMTP connect, read and write timeouts must be at least 100 ms");
            }
        }
    }

    /** Settings with the default timeouts. */
    public static SmtpSettings of(String host, int port, TransportSecurity security, String user, String password,
                                  String fromAddress, String fromName) {
        return new SmtpSettings(host, port, security, user, password, fromAddress, fromName,
                DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_WRITE_TIMEOUT);
    }

    /** These settings with other timeouts (e.g. from the node's configuration). */
    public SmtpSettings withTimeouts(Duration connect, Duration read, Duration write) {
        return new SmtpSettings(host, port, security, user, password, fromAddress, fromName, connect, read, write);
    }

    public boolean authenticates() {
        return !user.isBlank();
    }

    /**
     * The longest one message can take to send when every timeout runs out once: the claim expiry
     * must be longer, or a sender that is merely slow could see its row claimed again.
     */
    public Duration longestSend() {
        return longestSend(connectTimeout, readTimeout, writeTimeout);
    }

    /** {@link #longestSend()} for these timeouts. */
    public static Duration longestSend(Duration connectTimeout, Duration readTimeout, Duration writeTimeout) {
        return connectTimeout.plus(writeTimeout).plus(readTimeout.multipliedBy(MAX_REPLIES_PER_MESSAGE));
    }

    @Override
    public String toString() {
        return "SmtpSettings[" + (authenticates() ? user + "@" : "") + host + ":" + port + " (" + security.dbValue()
                + "), password=" + (password.isEmpty() ? "none" : "***") + ", from=" + fromAddress
                + ", timeouts connect=" + connectTimeout + " read=" + readTimeout + " write=" + writeTimeout + "]";
    }
}
