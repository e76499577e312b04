package dev.ticketd.chaos.mail;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Settings of one {@link MailServer}: where its state lives, the IPv4 address and ports it binds,
 * the command prefix it runs its daemons under, its users and its capture domains.
 *
 * @param dir            a folder this server owns alone: configs, Maildirs, queues, logs and pid
 *                       files go there and {@link MailServer#close()} deletes it. Dovecot puts
 *                       Unix sockets under it, so keep the path short (well under 60 characters).
 * @param bindAddress    IPv4 address every listener binds; this JVM must be able to reach it (the
 *                       readiness probes and the harness connect to it from here)
 * @param commandPrefix  put in front of every daemon command, e.g. {@code ip netns exec mailns}
 *                       so the daemons run inside a network namespace; empty to run them directly.
 *                       The prefix must exec the command (keep its pid), as {@code ip netns exec} does.
 * @param users          mailbox users, full address to password; their domains are the mail
 *                       domains this server delivers to (over LMTP to Dovecot)
 * @param captureDomains every address in these domains is rewritten to {@link #captureUser()}, so
 *                       one Maildir receives every mail sent to, say, the customers
 * @param capturePassword IMAP password of the capture user
 * @param startTimeout   how long a daemon may take to answer on its port
 */
public record MailServerConfig(Path dir, String bindAddress, int imapPort, int smtpPort, int lmtpPort,
                               List<String> commandPrefix, Map<String, String> users,
                               List<String> captureDomains, String capturePassword, Duration startTimeout) {

    public static final String DEFAULT_SUPPORT = "support@example.test";
    public static final String DEFAULT_SUPPORT_PASSWORD = "support-secret";
    public static final String DEFAULT_CAPTURE_DOMAIN = "customers.test";
    public static final String CAPTURE_LOCAL_PART = "capture";
    private static final Pattern DOMAIN = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+");
    // passwd-file fields are separated by ':'; keep passwords to what needs no escaping anywhere
    private static final Pattern PASSWORD = Pattern.compile("[A-Za-z0-9._+=-]{1,64}");

    public MailServerConfig {
        if (dir == null || !dir.isAbsolute()) {
            throw new IllegalArgumentException("dir must be an absolute path: " + dir);
        }
        if (dir.toString().length() > 60) {
            throw new IllegalArgumentException("dir: Dovecot puts Unix sockets under it, keep it under 60 characters: " + dir);
        }
        requireIpv4(bindAddress);
        requirePort("imapPort", imapPort);
        requirePort("smtpPort", smtpPort);
        requirePort("lmtpPort", lmtpPort);
        if (imapPort == smtpPort || imapPort == lmtpPort || smtpPort == lmtpPort) {
            throw new IllegalArgumentException("imapPort, smtpPort and lmtpPort must differ");
        }
        commandPrefix = List.copyOf(commandPrefix);
        Map<String, String> normalized = new LinkedHashMap<>();
        users.forEach((address, password) -> normalized.put(requireAddress(address), requirePassword("users[" + address + "]", password)));
        if (normalized.isEmpty()) {
            throw new IllegalArgumentException("users: at least one mailbox user is needed");
        }
        users = java.util.Collections.unmodifiableMap(normalized);
        captureDomains = captureDomains.stream().map(d -> requireDomain("captureDomains", d)).toList();
        requirePassword("capturePassword", capturePassword);
        for (String address : users.keySet()) {
            if (captureDomains.contains(domainOf(address))) {
                throw new IllegalArgumentException("users: " + address + " is in a capture domain, all of whose mail goes to the capture user");
            }
        }
        if (startTimeout == null || startTimeout.isNegative() || startTimeout.isZero()) {
            throw new IllegalArgumentException("startTimeout must be positive");
        }
    }

    /** The support user {@value #DEFAULT_SUPPORT} and the capture domain {@value #DEFAULT_CAPTURE_DOMAIN}, no prefix. */
    public static MailServerConfig of(Path dir, String bindAddress, int imapPort, int smtpPort, int lmtpPort) {
        return new MailServerConfig(dir, bindAddress, imapPort, smtpPort, lmtpPort, List.of(),
                Map.of(DEFAULT_SUPPORT, DEFAULT_SUPPORT_PASSWORD), List.of(DEFAULT_CAPTURE_DOMAIN),
                "capture-secret", Duration.ofSeconds(30));
    }

    public MailServerConfig withCommandPrefix(List<String> prefix) {
        return new MailServerConfig(dir, bindAddress, imapPort, smtpPort, lmtpPort, prefix, users, captureDomains, capturePassword, startTimeout);
    }

    /** Replaces all mailbox users. */
    public MailServerConfig withUsers(Map<String, String> newUsers) {
        return new MailServerConfig(dir, bindAddress, imapPort, smtpPort, lmtpPort, commandPrefix, newUsers, captureDomains, capturePassword, startTimeout);
    }

    public MailServerConfig withCapture(List<String> domains, String password) {
        return new MailServerConfig(dir, bindAddress, imapPort, smtpPort, lmtpPort, commandPrefix, users, domains, password, startTimeout);
    }

    public MailServerConfig withStartTimeout(Duration timeout) {
        return new MailServerConfig(dir, bindAddress, imapPort, smtpPort, lmtpPort, commandPrefix, users, captureDomains, capturePassword, timeout);
    }

    /** The login (and address) of the capture Maildir, {@code capture@} the first capture domain; null without capture domains. */
    public String captureUser() {
        return captureDomains.isEmpty() ? null : CAPTURE_LOCAL_PART + "@" + captureDomains.get(0);
    }

    /** Domains delivered to Dovecot: the users' domains and the capture domains. */
    public List<String> mailDomains() {
        return java.util.stream.Stream.concat(users.keySet().stream().map(MailServerConfig::domainOf), captureDomains.stream())
                .distinct().toList();
    }

    static String domainOf(String address) {
        return address.substring(address.indexOf('@') + 1);
    }

    private static void requireIpv4(String address) {
        if (address == null || !address.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw new IllegalArgumentException("bindAddress must be a literal IPv4 address: " + address);
        }
        try {
            InetAddress.getByName(address); // literal: no lookup, only range checks
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bindAddress is not a valid IPv4 address: " + address, e);
        }
    }

    private static void requirePort(String key, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(key + " must be within 1..65535: " + port);
        }
    }

    private static String requireAddress(String address) {
        String lower = address == null ? "" : address.toLowerCase(Locale.ROOT);
        int at = lower.indexOf('@');
        if (at < 1 || !lower.substring(0, at).matches("[a-z0-9._+-]+")) {
            throw new IllegalArgumentException("users: not a plain user@domain address: " + address);
        }
        requireDomain("users", lower.substring(at + 1));
        return lower;
    }

    private static String requireDomain(String key, String domain) {
        String lower = domain == null ? "" : domain.toLowerCase(Locale.ROOT);
        if (!DOMAIN.matcher(lower).matches()) {
            throw new IllegalArgumentException(key + ": not a domain name: " + domain);
        }
        return lower;
    }

    private static String requirePassword(String key, String password) {
        if (password == null || !PASSWORD.matcher(password).matches()) {
            throw new IllegalArgumentException(key + ": password must be 1-64 characters of [A-Za-z0-9._+=-]");
        }
        return password;
    }
}
