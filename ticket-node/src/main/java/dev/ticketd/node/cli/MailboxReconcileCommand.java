package dev.ticketd.node.cli;

import dev.ticketd.cluster.MailboxLeases;
import dev.ticketd.db.Database;
import dev.ticketd.db.generated.tables.records.MailboxRecord;
import dev.ticketd.mail.IngestStore;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.mail.outbound.Acknowledgements;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.mail.quarantine.MailboxReconciler;
import dev.ticketd.node.config.ConfigException;
import dev.ticketd.node.config.NodeConfig;
import dev.ticketd.node.intake.MailboxCatalog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

import static dev.ticketd.db.generated.Tables.MAILBOX;

/**
 * {@code ticketd mailbox reconcile}: the recovery path after a database restore. Stores every
 * mail of the mailbox's INBOX and Processed folders that the database does not hold, through the
 * same exactly-once store as the reader, under a lease epoch of its own.
 *
 * <p>Why it pauses the mailbox: taking the lease bumps the epoch, which fences the running reader
 * out; that reader then stops, and as the intake works today nothing starts it again until
 * leadership moves. So the command pauses the mailbox in the cluster first (the leader stops its
 * reader through an ordinary Helix transition), takes the lease (which also fences a reader that
 * has not stopped yet, say a frozen one), reconciles, and resumes the mailbox when done — Helix
 * then makes a leader, which takes a newer lease. A mailbox that was paused before stays paused.
 */
@Command(name = "reconcile", mixinStandardHelpOptions = true,
        description = {"Store every mail of a mailbox's INBOX and Processed folders that the database does not hold "
                + "(the recovery path after a database restore). Mail is compared by its IMAP coordinates and its content key "
                + "and stored exactly once, as the reader would; nothing is moved, flagged or deleted on the mail server.",
                "While it runs the mailbox is paused: the node leading it stops reading it, and the command takes the "
                + "mailbox's lease (a new epoch), which fences out any reader still running. When it is done it resumes the "
                + "mailbox and the cluster picks a leader again, which takes a newer lease. If the command is interrupted, "
                + "run `ticketd mailbox resume ID`. A mailbox that was already paused stays paused.",
                "It prints how many mails it checked, found stored and stored now."})
final class MailboxReconcileCommand implements Callable<Integer> {

    static final int DEFAULT_LIMIT = 10_000;

    @Mixin
    ConfigOption config;

    @Spec
    CommandSpec spec;

    @Option(names = "--id", required = true, paramLabel = "MAILBOX", description = "The mailbox's id.")
    String id;

    @Option(names = "--limit", defaultValue = "" + DEFAULT_LIMIT,
            description = "Check at most this many mails, the newest ones (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--holder", defaultValue = "reconcile",
            description = "The name this command holds the lease under, as shown on the cluster page (default: ${DEFAULT-VALUE}).")
    String holder;

    @Override
    public Integer call() throws Exception {
        if (limit < 1 || limit > 1_000_000) {
            throw new IllegalArgumentException("--limit must be from 1 to 1000000, was " + limit);
        }
        PrintWriter out = spec.commandLine().getOut();
        NodeConfig nodeConfig = config.load();
        try (Database db = config.openMigrated("ticketd-reconcile")) {
            MailboxRecord row = db.dsl().selectFrom(MAILBOX).where(MAILBOX.ID.eq(id)).fetchOptional()
                    .orElseThrow(() -> new IllegalArgumentException("no mailbox with id '" + id + "'"));
            MailboxSettings settings = settings(row, nodeConfig);
            boolean pausedHere = row.getEnabled();
            try {
                if (pausedHere) {
                    out.println("pausing mailbox " + id + " while reconciling (if this command is interrupted, run: ticketd mailbox resume " + id + ")");
                    out.flush();
                    new MailboxCatalog(db).setEnabled(id, false);
                    MailboxCommand.withCluster(config, admin -> admin.pause(id), out);
                }
                long epoch = new MailboxLeases(db.transactions(), nodeConfig.leaseLockTimeout()).acquire(id, holder);
                IngestStore store = new IngestStore(db, new MailParser(),
                        // recovered mail was acknowledged (or not) when it first arrived: never again
                        new TicketsFromMail(TicketsFromMail.DEFAULT_TOKEN, new Acknowledgements(0)));
                MailboxReconciler.Report r = new MailboxReconciler(db, store).reconcile(settings, epoch, limit);
                out.println("mailbox " + id + " epoch " + epoch + ": checked " + r.checked() + ", found stored " + r.foundStored()
                        + ", ingested " + r.ingested() + " (of which unreadable, now in quarantine: " + r.ingestedUnparseable() + ")"
                        + ", skipped over the size limit " + r.skippedTooLarge() + ", failed " + r.failed()
                        + ", not checked (over --limit) " + r.notChecked());
                r.errors().forEach(e -> out.println("  failed: " + e));
                return r.failed() == 0 ? 0 : 1;
            } finally {
                if (pausedHere) {
                    new MailboxCatalog(db).setEnabled(id, true);
                    MailboxCommand.withCluster(config, admin -> admin.resume(id), out);
                    out.println("resumed mailbox " + id);
                }
            }
        }
    }

    /** The mailbox as the reader would see it, paused or not, with its secret from this configuration. */
    private static MailboxSettings settings(MailboxRecord r, NodeConfig config) {
        String password = config.secret(r.getSecretRef()).orElseThrow(() -> new ConfigException(
                "secret." + r.getSecretRef(),
                "mailbox " + r.getId() + " needs this secret (set it in the file or as TICKETD_SECRET_"
                        + r.getSecretRef().toUpperCase(Locale.ROOT).replace('-', '_') + ")"));
        return new MailboxSettings(r.getId(), r.getAddress(), r.getImapHost(), r.getImapPort(),
                TransportSecurity.parse(r.getImapSecurity()), r.getImapUser(), password, r.getInboxFolder(),
                r.getProcessedFolder(), config.mail().pollInterval(), config.mail().ioTimeout(), config.mail().maxMessageBytes());
    }
}
