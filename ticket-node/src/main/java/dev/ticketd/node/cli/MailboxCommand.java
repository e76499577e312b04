package dev.ticketd.node.cli;

import dev.ticketd.db.Database;
import dev.ticketd.cluster.ClusterAdmin;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.node.intake.MailboxCatalog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

@Command(name = "mailbox", mixinStandardHelpOptions = true, description = "Manage the support mailboxes.",
        subcommands = {MailboxCommand.Add.class, MailboxCommand.Pause.class, MailboxCommand.Resume.class,
                MailboxReconcileCommand.class})
public final class MailboxCommand {

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add (or update) a mailbox. Its password is not stored: --secret-ref names the secret "
                    + "that each node's configuration holds (secret.REF or TICKETD_SECRET_REF). Running nodes pick a new mailbox up at once.")
    static final class Add implements Callable<Integer> {

        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Option(names = "--id", required = true, description = "Stable id, e.g. support.")
        String id;

        @Option(names = "--address", required = true, description = "The support address customers write to.")
        String address;

        @Option(names = "--imap-host", required = true)
        String imapHost;

        @Option(names = "--imap-port", defaultValue = "993", description = "Default: ${DEFAULT-VALUE}.")
        int imapPort;

        @Option(names = "--imap-security", defaultValue = "tls", description = "none, starttls or tls (default: ${DEFAULT-VALUE}).")
        String imapSecurity;

        @Option(names = "--imap-user", description = "Login (default: the address).")
        String imapUser;

        @Option(names = "--secret-ref", required = true, description = "Name of the secret holding the IMAP password.")
        String secretRef;

        @Option(names = "--inbox-folder", defaultValue = "INBOX", description = "Default: ${DEFAULT-VALUE}.")
        String inboxFolder;

        @Option(names = "--group", description = "The group its new tickets go to (see `ticketd group`); default: the first group"
                + " for a new mailbox, unchanged for an existing one.")
        String group;

        @Option(names = "--processed-folder", defaultValue = "Processed", description = "Default: ${DEFAULT-VALUE}.")
        String processedFolder;

        @Option(names = "--smtp-host", description = "SMTP server for replies and acknowledgements (none: the outbox is not sent).")
        String smtpHost;

        @Option(names = "--smtp-port", defaultValue = "587", description = "Default: ${DEFAULT-VALUE}.")
        int smtpPort;

        @Option(names = "--smtp-security", defaultValue = "starttls", description = "none, starttls or tls (default: ${DEFAULT-VALUE}).")
        String smtpSecurity;

        @Option(names = "--smtp-user", description = "SMTP login (default: the IMAP login; the same secret is used). Empty for no login.")
        String smtpUser;

        @Option(names = "--signature-file", paramLabel = "FILE",
                description = "Plain-text (UTF-8) signature ending every staff reply mailed from this mailbox; an empty file "
                        + "removes it. Without this option the mailbox keeps the signature it has.")
        Path signatureFile;

        @Override
        public Integer call() throws Exception {
            String signature = null;
            if (signatureFile != null) {
                try {
                    signature = Files.readString(signatureFile, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new ParameterException(spec.commandLine(), "cannot read --signature-file " + signatureFile + ": " + e);
                }
                if (signature.strip().length() > MailboxCatalog.MAX_SIGNATURE_CHARS) {
                    throw new ParameterException(spec.commandLine(), "--signature-file " + signatureFile + " is longer than "
                            + MailboxCatalog.MAX_SIGNATURE_CHARS + " characters");
                }
            }
            String login = imapUser == null ? address : imapUser;
            var mailbox = new MailboxCatalog.NewMailbox(id, address, imapHost, imapPort, TransportSecurity.parse(imapSecurity),
                    login, secretRef, inboxFolder, processedFolder, smtpHost, smtpHost == null ? null : smtpPort,
                    TransportSecurity.parse(smtpSecurity), smtpHost == null ? null : (smtpUser == null ? login : smtpUser.isBlank() ? null : smtpUser));
            boolean changed;
            try (Database db = config.openMigrated("ticketd-cli")) {
                MailboxCatalog catalog = new MailboxCatalog(db);
                changed = catalog.save(mailbox);
                if (signatureFile != null) {
                    changed |= catalog.setSignature(id, signature);
                }
                if (group != null) {
                    changed |= catalog.setGroup(id, group);
                }
            }
            // "unchanged" when every setting was stored already: deploy tools report no change
            spec.commandLine().getOut().println((changed ? "mailbox saved" : "mailbox unchanged") + ": id=" + id + " address=" + address
                    + " secret-ref=" + secretRef + (group == null ? "" : " group=" + group.strip()));
            withCluster(config, admin -> admin.addMailboxes(Set.of(id)), spec.commandLine().getOut());
            return 0;
        }
    }

    /** Pause and resume: the same two steps, in the database (for restarts) and in the running cluster. */
    abstract static class SwitchMailbox implements Callable<Integer> {
        @Mixin
        ConfigOption config;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "MAILBOX_ID")
        String id;

        private final boolean enable;

        SwitchMailbox(boolean enable) {
            this.enable = enable;
        }

        @Override
        public Integer call() throws Exception {
            try (Database db = config.openMigrated("ticketd-cli")) {
                new MailboxCatalog(db).setEnabled(id, enable);
            }
            withCluster(config, admin -> {
                if (enable) {
                    admin.resume(id);
                } else {
                    admin.pause(id);
                }
            }, spec.commandLine().getOut());
            spec.commandLine().getOut().println((enable ? "resumed " : "paused ") + id);
            return 0;
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = "Stop reading a mailbox on every node (mail waits in its INBOX) until `mailbox resume`.")
    static final class Pause extends SwitchMailbox {
        Pause() {
            super(false);
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Read a paused mailbox again.")
    static final class Resume extends SwitchMailbox {
        Resume() {
            super(true);
        }
    }

    /** Applies a change to the running cluster; before the first node ever started there is none, which is fine. */
    static void withCluster(ConfigOption config, Consumer<ClusterAdmin> change, PrintWriter out) throws Exception {
        var c = config.load().cluster();
        ClusterAdmin admin;
        try {
            admin = ClusterAdmin.open(c.zkAddress(), c.clusterName());
        } catch (IllegalArgumentException noClusterYet) {
            out.println("note: " + noClusterYet.getMessage() + "; nodes pick the change up when they start");
            return;
        }
        try (admin) {
            change.accept(admin);
        }
    }
}
