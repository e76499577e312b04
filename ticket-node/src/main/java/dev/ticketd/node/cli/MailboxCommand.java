package dev.ticketd.node.cli;

import dev.ticketd.db.Database;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.node.intake.MailboxCatalog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

@Command(name = "mailbox", mixinStandardHelpOptions = true, description = "Manage the support mailboxes.",
        subcommands = {MailboxCommand.Add.class})
public final class MailboxCommand {

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add (or update) a mailbox. Its password is not stored: --secret-ref names the secret "
                    + "that each node's configuration holds (secret.REF or TICKETD_SECRET_REF). Nodes read the mailbox list at start.")
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

        @Option(names = "--processed-folder", defaultValue = "Processed", description = "Default: ${DEFAULT-VALUE}.")
        String processedFolder;

        @Override
        public Integer call() {
            var mailbox = new MailboxCatalog.NewMailbox(id, address, imapHost, imapPort, TransportSecurity.parse(imapSecurity),
                    imapUser == null ? address : imapUser, secretRef, inboxFolder, processedFolder);
            try (Database db = config.openMigrated("ticketd-cli")) {
                new MailboxCatalog(db).save(mailbox);
            }
            spec.commandLine().getOut().println("mailbox saved: id=" + id + " address=" + address + " secret-ref=" + secretRef);
            return 0;
        }
    }
}
