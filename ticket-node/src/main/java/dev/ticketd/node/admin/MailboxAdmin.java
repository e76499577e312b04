package dev.ticketd.node.admin;

import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.mail.TransportSecurity;
import dev.ticketd.node.auth.StaffGroups;
import dev.ticketd.node.intake.MailboxCatalog;
import dev.ticketd.node.intake.NodeSecrets;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Adding and editing mailboxes as {@code ticketd mailbox add} does, with the same defaults, through
 * the same {@link MailboxCatalog}. Secrets stay out of the database: a mailbox names its
 * {@code secretRef}, and each node reads {@code secret.REF} from its own configuration; nodes report
 * the names they hold when they start ({@link NodeSecrets}), so the page can say which lack one.
 *
 * <p>After saving, the running cluster is told about the mailbox ({@link MailboxAnnouncer}), as the
 * CLI does; when that fails the mailbox stays stored and the answer says so.
 */
final class MailboxAdmin {

    private static final Logger log = LoggerFactory.getLogger(MailboxAdmin.class);

    /** A saved mailbox, and whether the running cluster was told about it (else why not). */
    record Saved(MailboxCatalog.Listed mailbox, boolean clusterNotified, String clusterNote) {
    }

    /** The fields of a mailbox, as the form and the API name them (the CLI's options in camel case). */
    static final List<String> FIELD_ORDER = List.of("id", "address", "imapHost", "imapPort", "imapSecurity", "imapUser", "secretRef",
            "inboxFolder", "processedFolder", "smtpHost", "smtpPort", "smtpSecurity", "smtpUser", "group", "signature");
    static final Set<String> FIELDS = Set.copyOf(FIELD_ORDER);

    private final MailboxCatalog catalog;
    private final StaffGroups groups;
    private final MailboxAnnouncer announcer;
    private final NodeSecrets secrets;

    MailboxAdmin(MailboxCatalog catalog, StaffGroups groups, MailboxAnnouncer announcer, NodeSecrets secrets) {
        this.catalog = catalog;
        this.groups = groups;
        this.announcer = announcer;
        this.secrets = secrets;
    }

    /** The nodes' last reports of the secrets they hold (names only). */
    List<NodeSecrets.Report> secretReports() {
        return secrets.reports();
    }

    Map<String, Object> list() {
        return Map.of("mailboxes", catalog.list());
    }

    /** A stored mailbox as the form's fields, to edit it; empty when there is no such mailbox. */
    Map<String, String> formOf(String id) {
        return catalog.list().stream().filter(m -> m.id().equals(id)).findFirst().map(m -> {
            Map<String, String> form = new java.util.HashMap<>();
            form.put("id", m.id());
            form.put("address", m.address());
            form.put("imapHost", m.imapHost());
            form.put("imapPort", Integer.toString(m.imapPort()));
            form.put("imapSecurity", m.imapSecurity());
            form.put("imapUser", m.imapUser());
            form.put("secretRef", m.secretRef());
            form.put("inboxFolder", m.inboxFolder());
            form.put("processedFolder", m.processedFolder());
            if (m.smtpHost() != null) {
                form.put("smtpHost", m.smtpHost());
                form.put("smtpPort", String.valueOf(m.smtpPort()));
                form.put("smtpSecurity", m.smtpSecurity());
                form.put("smtpUser", m.smtpUser() == null ? "" : m.smtpUser());
            }
            if (m.group() != null) {
                form.put("group", m.group());
            }
            return Map.copyOf(form);
        }).orElse(Map.of());
    }

    List<MailboxCatalog.Listed> listed() {
        return catalog.list();
    }

    /**
     * Adds or updates a mailbox from {@code values} (field to text; a missing or blank field takes the
     * CLI's default). Every value is checked before anything is written.
     */
    Saved save(Map<String, String> values) {
        String id = required(values, "id");
        String address = required(values, "address");
        String imapHost = required(values, "imapHost");
        String secretRef = required(values, "secretRef");
        int imapPort = port(values, "imapPort", 993);
        TransportSecurity imapSecurity = security(values, "imapSecurity", "tls");
        String login = optional(values, "imapUser", address);
        String smtpHost = optional(values, "smtpHost", null);
        int smtpPort = port(values, "smtpPort", 587);
        TransportSecurity smtpSecurity = security(values, "smtpSecurity", "starttls");
        String smtpUser = values.get("smtpUser");
        String group = optional(values, "group", null);
        String signature = values.get("signature");
        if (group != null && groups.list().stream().noneMatch(g -> g.name().equals(group))) {
            throw new InvalidRequestException("there is no group named '" + StaffAdmin.shown(group) + "'");
        }
        if (signature != null && signature.strip().length() > MailboxCatalog.MAX_SIGNATURE_CHARS) {
            throw new InvalidRequestException("the signature has " + signature.strip().length() + " characters, at most "
                    + MailboxCatalog.MAX_SIGNATURE_CHARS + " are allowed");
        }
        MailboxCatalog.NewMailbox mailbox;
        try {
            mailbox = new MailboxCatalog.NewMailbox(id, address, imapHost, imapPort, imapSecurity, login, secretRef,
                    optional(values, "inboxFolder", "INBOX"), optional(values, "processedFolder", "Processed"),
                    smtpHost, smtpHost == null ? null : smtpPort, smtpSecurity,
                    smtpHost == null ? null : (smtpUser == null ? login : smtpUser.isBlank() ? null : smtpUser.strip()));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(e.getMessage());
        }
        catalog.save(mailbox);
        if (signature != null) {
            catalog.setSignature(id, signature);
        }
        if (group != null) {
            catalog.setGroup(id, group);
        }
        MailboxCatalog.Listed saved = catalog.list().stream().filter(m -> m.id().equals(id)).findFirst().orElseThrow();
        try {
            announcer.announce(id);
            return new Saved(saved, true, null);
        } catch (Exception e) {
            log.warn("mailbox saved but the cluster was not told mailbox={} reason={}", id, e.toString());
            return new Saved(saved, false, "saved, but the running cluster could not be told (" + e.getMessage()
                    + "); run `ticketd mailbox add` for it, or restart a node, before it is read");
        }
    }

    private static String required(Map<String, String> values, String field) {
        String v = values.get(field);
        if (v == null || v.isBlank()) {
            throw new InvalidRequestException(field + " is required");
        }
        return v.strip();
    }

    private static String optional(Map<String, String> values, String field, String otherwise) {
        String v = values.get(field);
        return v == null || v.isBlank() ? otherwise : v.strip();
    }

    private static int port(Map<String, String> values, String field, int otherwise) {
        String v = optional(values, field, null);
        if (v == null) {
            return otherwise;
        }
        try {
            int port = Integer.parseInt(v);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new InvalidRequestException(field + " must be a port from 1 to 65535, was '" + StaffAdmin.shown(v) + "'");
    }

    private static TransportSecurity security(Map<String, String> values, String field, String otherwise) {
        String v = optional(values, field, otherwise);
        try {
            return TransportSecurity.parse(v);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(field + ": " + e.getMessage());
        }
    }
}
