package dev.ticketd.chaos.mail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The folder layout of one {@link MailServer} and the config files it writes there. Everything a
 * daemon writes stays under {@link MailServerConfig#dir()}: nothing of {@code /etc/dovecot},
 * {@code /etc/postfix} or {@code /var/spool/postfix} is used or changed (Postfix reads only its
 * read-only {@code meta_directory} files from {@code /etc/postfix}).
 */
final class MailServerFiles {

    /** Dovecot's mail user: the reference trial showed SELECT fails unless the mail folder is theirs. */
    static final String MAIL_UID = "65534";

    final Path dir;
    final Path dovecotConf;
    final Path dovecotUsers;
    final Path dovecotBase;
    final Path dovecotState;
    final Path mail;
    final Path postfixEtc;
    final Path postfixSpool;
    final Path postfixData;
    final Path logs;
    final Path dovecotLog;
    final Path dovecotOut;
    final Path postfixLog;
    final Path postfixOut;

    MailServerFiles(Path dir) {
        this.dir = dir;
        this.dovecotConf = dir.resolve("dovecot.conf");
        this.dovecotUsers = dir.resolve("dovecot.users");
        this.dovecotBase = dir.resolve("run");
        this.dovecotState = dir.resolve("state");
        this.mail = dir.resolve("mail");
        this.postfixEtc = dir.resolve("postfix");
        this.postfixSpool = dir.resolve("spool");
        this.postfixData = dir.resolve("postfix-data");
        this.logs = dir.resolve("log");
        this.dovecotLog = logs.resolve("dovecot.log");
        this.dovecotOut = logs.resolve("dovecot.out");
        this.postfixLog = logs.resolve("postfix.log");
        this.postfixOut = logs.resolve("postfix.out");
    }

    /**
     * Dovecot's instance name, shown in its process titles ({@code dovecot-ticketd-NAME/imap}):
     * the folder's name, so servers in different namespaces on the same ports differ in {@code ps}.
     */
    String instanceName() {
        return dir.getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** The Maildir of a user; its root holds the INBOX. */
    Path maildir(String address) {
        int at = address.indexOf('@');
        return mail.resolve(address.substring(at + 1)).resolve(address.substring(0, at)).resolve("Maildir");
    }

    /** Fails unless {@code dir} is new or empty (it is deleted on close) and reachable by the daemons' users. */
    void checkUsable() throws IOException {
        requireTraversable(dir.getParent());
        if (Files.exists(dir)) {
            try (var entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException("dir must be new or empty, it is deleted on close: " + dir);
                }
            }
        }
    }

    /** Creates the folders (owned as each daemon needs) and writes every config file. */
    void write(MailServerConfig config) throws IOException {
        Set<PosixFilePermission> open = PosixFilePermissions.fromString("rwxr-xr-x");
        for (Path p : new Path[] {dir, postfixEtc, logs, dovecotState}) {
            Files.createDirectories(p);
            Files.setPosixFilePermissions(p, open);
        }
        Files.createDirectories(mail);
        chown(mail, MAIL_UID, MAIL_UID);
        Files.createDirectories(postfixData);
        chown(postfixData, "postfix", "postfix");
        // Postfix creates the queue folders itself ("postfix check" runs post-install create-missing)
        Files.createDirectories(postfixSpool);
        Files.setPosixFilePermissions(postfixSpool, open);

        writeUsers(config, config.users());
        Files.writeString(dovecotConf, dovecotConf(config));
        Files.writeString(postfixEtc.resolve("main.cf"), mainCf(config));
        Files.writeString(postfixEtc.resolve("master.cf"), masterCf(config));
        Files.writeString(postfixEtc.resolve("mailboxes"), config.users().keySet().stream()
                .map(a -> a + " OK\n").collect(Collectors.joining())
                + (config.captureUser() == null ? "" : config.captureUser() + " OK\n"));
        Files.writeString(postfixEtc.resolve("capture.regexp"), config.captureDomains().stream()
                .map(d -> "/^.+@" + d.replace(".", "\\.") + "$/ " // a validated domain has no other metacharacter
                        + config.captureUser() + "\n")
                .collect(Collectors.joining()));
    }

    private String dovecotConf(MailServerConfig c) {
        return """
                # written by dev.ticketd.chaos.mail.MailServer; started as `dovecot -F -c` this file
                base_dir = %1$s
                state_dir = %2$s
                instance_name = ticketd-%11$s
                protocols = imap lmtp
                listen = %4$s
                log_path = %5$s
                info_log_path = %5$s
                ssl = no
                disable_plaintext_auth = no
                auth_mechanisms = plain login

                passdb {
                  driver = passwd-file
                  args = scheme=PLAIN username_format=%%Lu %6$s
                }
                # static userdb: LMTP still asks the passdb, so mail for an unknown user is refused
                userdb {
                  driver = static
                  args = uid=%9$s gid=%9$s home=%7$s/%%Ld/%%Ln
                }
                first_valid_uid = 1
                first_valid_gid = 1
                mail_location = maildir:~/Maildir
                namespace inbox {
                  inbox = yes
                  separator = /
                }
                # kill -9 of a process loses nothing without fsync; only a host crash would
                mail_fsync = never
                mail_max_userip_connections = 100
                protocol imap {
                  mail_max_userip_connections = 100
                }

                service imap-login {
                  inet_listener imap {
                    address = %4$s
                    port = %3$d
                  }
                  inet_listener imaps {
                    port = 0
                  }
                }
                service lmtp {
                  inet_listener lmtp {
                    address = %4$s
                    port = %8$d
                  }
                }
                protocol lmtp {
                  postmaster_address = postmaster@%10$s
                }
                lda_mailbox_autocreate = yes
                service stats {
                  unix_listener stats-writer {
                    mode = 0666
                  }
                }
                """.formatted(dovecotBase, dovecotState, c.imapPort(), c.bindAddress(), dovecotLog, dovecotUsers,
                mail, c.lmtpPort(), MAIL_UID, c.mailDomains().get(0), instanceName());
    }

    private String mainCf(MailServerConfig c) {
        return """
                # written by dev.ticketd.chaos.mail.MailServer; started as `postfix -c %1$s start`
                compatibility_level = 3.6
                queue_directory = %2$s
                data_directory = %3$s
                # no syslog here: without this file a config error makes postfix exit 1 silently
                maillog_file = %4$s
                maillog_file_prefixes = %5$s
                myhostname = mail.%6$s
                mydomain = %6$s
                myorigin = $mydomain
                mydestination =
                inet_interfaces = %7$s
                inet_protocols = ipv4
                mynetworks = 127.0.0.0/8
                smtpd_banner = $myhostname ESMTP ticketd chaos mail
                # no DNS inside a bare network namespace: never look up the client's name
                smtpd_peername_lookup = no
                biff = no
                smtputf8_enable = no
                alias_maps =
                alias_database =
                local_recipient_maps =
                message_size_limit = 52428800
                # every mail domain is delivered to Dovecot over LMTP; the capture domains are first
                # rewritten to the one capture user; unknown users are refused at RCPT
                virtual_mailbox_domains = %8$s
                virtual_mailbox_maps = texthash:%1$s/mailboxes
                virtual_alias_maps = regexp:%1$s/capture.regexp
                virtual_transport = lmtp:inet:%7$s:%9$d
                # nothing ever leaves: other domains are refused at RCPT (from every client), and the
                # transports that could reach the world discard (e.g. a bounce to a foreign sender)
                smtpd_relay_restrictions = reject_unauth_destination
                default_transport = discard:no mail leaves the chaos mail server
                relay_transport = discard:no mail leaves the chaos mail server
                local_transport = discard:no local delivery on the chaos mail server
                queue_run_delay = 1s
                minimal_backoff_time = 1s
                maximal_backoff_time = 5s
                """.formatted(postfixEtc, postfixSpool, postfixData, postfixLog, logs, c.mailDomains().get(0),
                c.bindAddress(), String.join(", ", c.mailDomains()), c.lmtpPort());
    }

    private String masterCf(MailServerConfig c) {
        return """
                # written by dev.ticketd.chaos.mail.MailServer; nothing chrooted (column 5 = n)
                %s:%d inet n - n - - smtpd
                pickup    unix  n       -       n       60      1       pickup
                cleanup   unix  n       -       n       -       0       cleanup
                qmgr      unix  n       -       n       300     1       qmgr
                rewrite   unix  -       -       n       -       -       trivial-rewrite
                bounce    unix  -       -       n       -       0       bounce
                defer     unix  -       -       n       -       0       bounce
                trace     unix  -       -       n       -       0       bounce
                verify    unix  -       -       n       -       1       verify
                flush     unix  n       -       n       1000?   0       flush
                proxymap  unix  -       -       n       -       -       proxymap
                proxywrite unix -       -       n       -       1       proxymap
                showq     unix  n       -       n       -       -       showq
                error     unix  -       -       n       -       -       error
                retry     unix  -       -       n       -       -       error
                discard   unix  -       -       n       -       -       discard
                lmtp      unix  -       -       n       -       -       lmtp
                anvil     unix  -       -       n       -       1       anvil
                scache    unix  -       -       n       -       1       scache
                postlog   unix-dgram n  -       n       -       1       postlogd
                """.formatted(c.bindAddress(), c.smtpPort());
    }

    private static void chown(Path path, String user, String group) throws IOException {
        UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
        view.setOwner(lookup.lookupPrincipalByName(user));
        GroupPrincipal g = lookup.lookupPrincipalByGroupName(group);
        view.setGroup(g);
    }

    /**
     * Dovecot's users with these passwords (and the capture user): written at start, and again by a
     * fault that changes a password on the server.
     */
    void writeUsers(MailServerConfig config, java.util.Map<String, String> users) throws IOException {
        Files.writeString(dovecotUsers, users.entrySet().stream()
                .map(e -> e.getKey() + ":" + e.getValue() + "\n").collect(Collectors.joining())
                + (config.captureUser() == null ? "" : config.captureUser() + ":" + config.capturePassword() + "\n"));
        // Dovecot's auth process reads it as the user dovecot (not root); nobody else needs it
        chown(dovecotUsers, "root", "dovecot");
        Files.setPosixFilePermissions(dovecotUsers, PosixFilePermissions.fromString("rw-r-----"));
    }

    /** The daemons drop to other users (dovenull, postfix, 65534), which must reach {@code dir}. */
    private static void requireTraversable(Path parent) throws IOException {
        for (Path p = parent; p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IllegalArgumentException("the mail daemons run as other users and cannot enter " + p
                        + " (no o+x); put dir elsewhere or chmod o+x it");
            }
        }
    }
}
