package dev.ticketd.node.intake;

import dev.ticketd.db.Database;
import dev.ticketd.db.generated.tables.records.MailboxRecord;
import dev.ticketd.mail.MailboxSettings;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.mail.outbound.SmtpSettings;
import dev.ticketd.node.config.ConfigException;
import dev.ticketd.node.config.NodeConfig;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

import java.util.List;
import java.util.Optional;
import java.util.Locale;

import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.STAFF_GROUP;

/**
 * The mailboxes this help desk reads, as stored in PostgreSQL, joined with their secrets from this
 * node's configuration. Secrets are never stored in the database: a row only names its secret.
 */
public final class MailboxCatalog {

    /** A new mailbox as an operator describes it. */
    public record NewMailbox(String id, String address, String imapHost, int imapPort, TransportSecurity imapSecurity,
                             String imapUser, String secretRef, String inboxFolder, String processedFolder,
                             String smtpHost, Integer smtpPort, TransportSecurity smtpSecurity, String smtpUser) {

        /** A mailbox that is read but whose outbox is not sent (no SMTP server configured). */
        public NewMailbox(String id, String address, String imapHost, int imapPort, TransportSecurity imapSecurity,
                          String imapUser, String secretRef, String inboxFolder, String processedFolder) {
            this(id, address, imapHost, imapPort, imapSecurity, imapUser, secretRef, inboxFolder, processedFolder,
                    null, null, TransportSecurity.NONE, null);
        }

        public NewMailbox {
            if (smtpHost != null && smtpHost.isBlank()) {
                throw new IllegalArgumentException("SMTP host is empty (leave --smtp-host out for a mailbox that does not send)");
            }
            if (smtpHost != null && (smtpPort == null || smtpPort < 1 || smtpPort > 65535)) {
                throw new IllegalArgumentException("SMTP port out of range or missing: " + smtpPort);
            }
            if (!id.matches("[a-z0-9][a-z0-9_-]{0,63}")) {
                throw new IllegalArgumentException("mailbox id must be lower-case letters, digits, '-' or '_' (at most 64), was '" + id + "'");
            }
            if (!address.matches("[^@\\s]+@[^@\\s]+")) {
                throw new IllegalArgumentException("not an email address: '" + address + "'");
            }
            if (!secretRef.matches("[a-z0-9][a-z0-9-]{0,99}")) {
                throw new IllegalArgumentException("secret reference must be lower-case letters, digits or '-', was '" + secretRef + "'");
            }
            if (imapPort < 1 || imapPort > 65535) {
                throw new IllegalArgumentException("IMAP port out of range: " + imapPort);
            }
        }
    }

    /** A stored mailbox as the admin screens list it: the secret's name, never a secret. */
    public record Listed(String id, String address, String imapHost, int imapPort, String imapSecurity, String imapUser,
                         String secretRef, String inboxFolder, String processedFolder, String smtpHost, Integer smtpPort,
                         String smtpSecurity, String smtpUser, String group, String signature, boolean enabled) {
    }

    private final Database db;

    public MailboxCatalog(Database db) {
        this.db = db;
    }

    /**
     * Adds a mailbox, or updates the one with the same id (an operator re-running the command).
     *
     * @return whether it was new or a setting changed (false when the same settings were saved
     *         again, so that a deploy tool can report "unchanged"; also false for a retry after a
     *         failover whose first attempt committed)
     */
    public boolean save(NewMailbox m) {
        return db.transactions().write(tx -> upsert(tx, m)) > 0; // an upsert: a replay after a failover changes nothing
    }

    /**
     * Makes the mailbox deliver its new tickets into group {@code group} (by name).
     *
     * @return whether the mailbox's group changed
     */
    public boolean setGroup(String id, String group) {
        String name = group == null ? "" : group.strip();
        return db.transactions().write(tx -> {
            var groupId = tx.select(STAFF_GROUP.ID).from(STAFF_GROUP).where(STAFF_GROUP.NAME.eq(name)).fetchOne(STAFF_GROUP.ID);
            if (groupId == null || !tx.fetchExists(MAILBOX, MAILBOX.ID.eq(id))) {
                throw new IllegalArgumentException("no group named '" + name + "' (create it with `ticketd group add`), or no mailbox '" + id + "'");
            }
            return tx.update(MAILBOX).set(MAILBOX.GROUP_ID, groupId)
                    .where(MAILBOX.ID.eq(id)).and(MAILBOX.GROUP_ID.isDistinctFrom(groupId)).execute() > 0;
        });
    }

    private static int upsert(DSLContext tx, NewMailbox m) {
        return tx.insertInto(MAILBOX)
                .set(MAILBOX.ID, m.id())
                .set(MAILBOX.ADDRESS, m.address().toLowerCase(Locale.ROOT))
                .set(MAILBOX.IMAP_HOST, m.imapHost())
                .set(MAILBOX.IMAP_PORT, m.imapPort())
                .set(MAILBOX.IMAP_SECURITY, m.imapSecurity().dbValue())
                .set(MAILBOX.IMAP_USER, m.imapUser())
                .set(MAILBOX.SECRET_REF, m.secretRef())
                .set(MAILBOX.INBOX_FOLDER, m.inboxFolder())
                .set(MAILBOX.PROCESSED_FOLDER, m.processedFolder())
                .set(MAILBOX.SMTP_HOST, m.smtpHost())
                .set(MAILBOX.SMTP_PORT, m.smtpPort())
                .set(MAILBOX.SMTP_SECURITY, m.smtpSecurity().dbValue())
                .set(MAILBOX.SMTP_USER, m.smtpUser())
                .onConflict(MAILBOX.ID)
                .doUpdate()
                .set(MAILBOX.ADDRESS, m.address().toLowerCase(Locale.ROOT))
                .set(MAILBOX.IMAP_HOST, m.imapHost())
                .set(MAILBOX.IMAP_PORT, m.imapPort())
                .set(MAILBOX.IMAP_SECURITY, m.imapSecurity().dbValue())
                .set(MAILBOX.IMAP_USER, m.imapUser())
                .set(MAILBOX.SECRET_REF, m.secretRef())
                .set(MAILBOX.INBOX_FOLDER, m.inboxFolder())
                .set(MAILBOX.PROCESSED_FOLDER, m.processedFolder())
                .set(MAILBOX.SMTP_HOST, m.smtpHost())
                .set(MAILBOX.SMTP_PORT, m.smtpPort())
                .set(MAILBOX.SMTP_SECURITY, m.smtpSecurity().dbValue())
                .set(MAILBOX.SMTP_USER, m.smtpUser())
                // the same settings again touch no row: the caller can tell "unchanged"
                .where(DSL.row(MAILBOX.ADDRESS, MAILBOX.IMAP_HOST, MAILBOX.IMAP_PORT, MAILBOX.IMAP_SECURITY, MAILBOX.IMAP_USER,
                                MAILBOX.SECRET_REF, MAILBOX.INBOX_FOLDER, MAILBOX.PROCESSED_FOLDER, MAILBOX.SMTP_HOST, MAILBOX.SMTP_PORT,
                                MAILBOX.SMTP_SECURITY, MAILBOX.SMTP_USER)
                        .isDistinctFrom(DSL.row(DSL.excluded(MAILBOX.ADDRESS), DSL.excluded(MAILBOX.IMAP_HOST),
                                DSL.excluded(MAILBOX.IMAP_PORT), DSL.excluded(MAILBOX.IMAP_SECURITY), DSL.excluded(MAILBOX.IMAP_USER),
                                DSL.excluded(MAILBOX.SECRET_REF), DSL.excluded(MAILBOX.INBOX_FOLDER),
                                DSL.excluded(MAILBOX.PROCESSED_FOLDER), DSL.excluded(MAILBOX.SMTP_HOST), DSL.excluded(MAILBOX.SMTP_PORT),
                                DSL.excluded(MAILBOX.SMTP_SECURITY), DSL.excluded(MAILBOX.SMTP_USER))))
                .execute();
    }

    /** The longest signature a mailbox may have; it ends every staff reply mailed from it. */
    public static final int MAX_SIGNATURE_CHARS = 4_000;

    /**
     * Sets the plain-text signature appended to staff replies mailed from a mailbox; null or blank
     * removes it. The sender reads it for each mail, so running nodes use it at once.
     *
     * @throws IllegalArgumentException when it is too long or the mailbox does not exist
     */
    public boolean setSignature(String id, String signature) {
        String value = signature == null || signature.isBlank() ? null : signature.strip();
        if (value != null && value.length() > MAX_SIGNATURE_CHARS) {
            throw new IllegalArgumentException("the signature has " + value.length() + " characters, at most "
                    + MAX_SIGNATURE_CHARS + " are allowed");
        }
        return db.transactions().write(tx -> {
            if (!tx.fetchExists(MAILBOX, MAILBOX.ID.eq(id))) {
                throw new IllegalArgumentException("no mailbox with id '" + id + "'");
            }
            return tx.update(MAILBOX).set(MAILBOX.SIGNATURE, value)
                    .where(MAILBOX.ID.eq(id)).and(MAILBOX.SIGNATURE.isDistinctFrom(value)).execute() > 0;
        });
    }

    /** Every stored mailbox, paused ones too, by id. */
    public List<Listed> list() {
        return db.read(dsl -> dsl.select(MAILBOX.asterisk(), STAFF_GROUP.NAME).from(MAILBOX)
                .leftJoin(STAFF_GROUP).on(STAFF_GROUP.ID.eq(MAILBOX.GROUP_ID))
                .orderBy(MAILBOX.ID)
                .fetch(r -> {
                    MailboxRecord m = r.into(MAILBOX);
                    return new Listed(m.getId(), m.getAddress(), m.getImapHost(), m.getImapPort(), m.getImapSecurity(),
                            m.getImapUser(), m.getSecretRef(), m.getInboxFolder(), m.getProcessedFolder(), m.getSmtpHost(),
                            m.getSmtpPort(), m.getSmtpSecurity(), m.getSmtpUser(), r.get(STAFF_GROUP.NAME), m.getSignature(),
                            Boolean.TRUE.equals(m.getEnabled()));
                })).value();
    }

    /** Every enabled mailbox with its secret resolved; a missing secret stops start-up naming its key. */
    public List<MailboxSettings> enabled(NodeConfig config) {
        return db.dsl().selectFrom(MAILBOX).where(MAILBOX.ENABLED.isTrue()).orderBy(MAILBOX.ID).fetch(r -> settings(r, config));
    }

    /** One enabled mailbox as it is now, e.g. one added while this node runs. */
    public Optional<MailboxSettings> find(String id, NodeConfig config) {
        return db.dsl().selectFrom(MAILBOX).where(MAILBOX.ID.eq(id)).and(MAILBOX.ENABLED.isTrue())
                .fetchOptional(r -> settings(r, config));
    }

    /** The mailboxes of this catalogue as the node with this configuration reaches them. */
    public MailboxDirectory directory(NodeConfig config) {
        return new MailboxDirectory() {
            @Override
            public Optional<MailboxSettings> mailbox(String mailboxId) {
                return find(mailboxId, config);
            }

            @Override
            public Optional<SmtpSettings> smtp(String mailboxId) {
                return MailboxCatalog.this.smtp(mailboxId, config);
            }
        };
    }

    /** How to send one mailbox's outbox, or empty when it has no SMTP server configured. */
    public Optional<SmtpSettings> smtp(String id, NodeConfig config) {
        return db.dsl().selectFrom(MAILBOX).where(MAILBOX.ID.eq(id)).fetchOptional()
                .filter(r -> r.getSmtpHost() != null && !r.getSmtpHost().isBlank() && r.getSmtpPort() != null)
                .map(r -> SmtpSettings.of(r.getSmtpHost(), r.getSmtpPort(), TransportSecurity.parse(r.getSmtpSecurity()),
                        r.getSmtpUser() == null ? "" : r.getSmtpUser(), r.getSmtpUser() == null ? "" : secret(r, config),
                        r.getAddress(), r.getDisplayName())
                        .withTimeouts(config.outbox().smtpConnectTimeout(), config.outbox().smtpReadTimeout(),
                                config.outbox().smtpWriteTimeout()));
    }

    /** Pauses ({@code false}) or resumes a mailbox for good, across restarts. */
    public void setEnabled(String id, boolean enabled) {
        int updated = db.dsl().update(MAILBOX).set(MAILBOX.ENABLED, enabled).where(MAILBOX.ID.eq(id)).execute();
        if (updated == 0) {
            throw new IllegalArgumentException("no mailbox with id '" + id + "'");
        }
    }

    private static String secret(MailboxRecord r, NodeConfig config) {
        return config.secret(r.getSecretRef()).orElseThrow(() -> new ConfigException(
                "secret." + r.getSecretRef(),
                "mailbox " + r.getId() + " needs this secret (set it in the file or as TICKETD_SECRET_"
                        + r.getSecretRef().toUpperCase(Locale.ROOT).replace('-', '_') + ")"));
    }

    private static MailboxSettings settings(MailboxRecord r, NodeConfig config) {
        String password = secret(r, config);
        return new MailboxSettings(r.getId(), r.getAddress(), r.getImapHost(), r.getImapPort(),
                TransportSecurity.parse(r.getImapSecurity()), r.getImapUser(), password, r.getInboxFolder(),
                r.getProcessedFolder(), config.mail().pollInterval(), config.mail().ioTimeout(),
                config.mail().maxMessageBytes());
    }
}
