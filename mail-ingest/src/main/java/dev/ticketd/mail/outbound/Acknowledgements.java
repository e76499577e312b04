package dev.ticketd.mail.outbound;

import dev.ticketd.desk.Actor;
import dev.ticketd.desk.Audit;
import dev.ticketd.desk.AuditEvent;
import dev.ticketd.mail.ParsedMail;
import org.jooq.DSLContext;
import org.jooq.Record4;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.OUTBOX;

/**
 * Queues the automatic acknowledgement of a new ticket in the outbox, inside the ingest transaction
 * that opened the ticket (so the acknowledgement exists exactly when the ticket does), unless
 * {@link LoopRules} forbid answering the mail automatically or the sender already got
 * {@code perSenderPerHour} acknowledgements in the last hour (counted from the outbox, under a
 * transaction-scoped advisory lock on the address so that concurrent ingests cannot both slip
 * under the limit). Every decision not to acknowledge is written to the audit log with its reason.
 *
 * <p>Anyone can put any address in a From header, so an acknowledgement goes to whoever the mail
 * claims to come from. It therefore repeats nothing the sender wrote: its subject is the ticket token
 * and a fixed line, its body names only the ticket number, and it is addressed to the bare address
 * (no display name). Otherwise a forged mail whose subject or name reads "your account is locked,
 * log in at …" would make the support address deliver that text to a victim, signed by us.
 *
 * <p>Stateless and thread-safe; only the caller's transaction is used.
 */
public final class Acknowledgements {

    private static final Logger log = LoggerFactory.getLogger(Acknowledgements.class);
    private static final Duration RATE_WINDOW = Duration.ofHours(1);

    private final int perSenderPerHour;
    private final Audit audit;

    public Acknowledgements(int perSenderPerHour) {
        this(perSenderPerHour, new Audit());
    }

    /** @param audit records every acknowledgement queued and every one not sent, with its reason */
    public Acknowledgements(int perSenderPerHour, Audit audit) {
        if (perSenderPerHour < 0) {
            throw new IllegalArgumentException("acknowledgements per sender per hour must not be negative: " + perSenderPerHour);
        }
        this.perSenderPerHour = perSenderPerHour;
        this.audit = audit;
    }

    public static Acknowledgements defaults() {
        return new Acknowledgements(LoopRules.DEFAULT_ACKS_PER_SENDER_PER_HOUR);
    }

    /**
     * Called for a mail that opened a new ticket. Nothing the sender wrote (subject, name, body) goes
     * into the acknowledgement: see the class comment.
     *
     * @return the Message-ID of the queued acknowledgement, or empty when none was queued
     */
    public Optional<String> queue(DSLContext tx, String mailboxId, long ticketId, String ticketNumber, ParsedMail mail) {
        // a mailbox without an SMTP server could never send the acknowledgement: do not queue one
        Record4<String, String, Boolean, Boolean> mailbox = tx.select(MAILBOX.ADDRESS, MAILBOX.DISPLAY_NAME, MAILBOX.ACK_ENABLED,
                        DSL.field(MAILBOX.SMTP_HOST.isNotNull()))
                .from(MAILBOX).where(MAILBOX.ID.eq(mailboxId)).fetchOne();
        Optional<LoopRules.Suppression> suppressed;
        if (mailbox == null || !Boolean.TRUE.equals(mailbox.value3()) || !Boolean.TRUE.equals(mailbox.value4())) {
            suppressed = Optional.of(LoopRules.Suppression.DISABLED);
        } else {
            Set<String> own = new HashSet<>(tx.select(MAILBOX.ADDRESS).from(MAILBOX).fetch(MAILBOX.ADDRESS));
            suppressed = LoopRules.check(mail.fromAddress(), mail.loopHeaders(), own);
        }
        String to = mail.fromAddress().toLowerCase(Locale.ROOT);
        if (suppressed.isEmpty()) {
            tx.execute("select pg_advisory_xact_lock(hashtext({0}))", DSL.val("ticketd.ack:" + to));
            int recent = tx.fetchCount(OUTBOX, OUTBOX.KIND.eq("ack").and(OUTBOX.TO_ADDRESS.eq(to))
                    .and(OUTBOX.CREATED_AT.gt(DSL.field("now() - interval '" + RATE_WINDOW.toSeconds() + " seconds'",
                            OffsetDateTime.class))));
            if (!LoopRules.withinRate(recent, perSenderPerHour)) {
                suppressed = Optional.of(LoopRules.Suppression.RATE_LIMITED);
            }
        }
        if (suppressed.isPresent()) {
            log.info("no acknowledgement mailbox={} ticket={} reason={}", mailboxId, ticketNumber, suppressed.get());
            audit.record(tx, Actor.mailbox(mailboxId), ticketId, new AuditEvent.AckSuppressed(suppressed.get().name()));
            return Optional.empty();
        }
        String messageId = "<ack." + UUID.randomUUID() + "@" + domainOf(mailbox.value1()) + ">";
        String inReplyTo = mail.messageId().filter(id -> id.startsWith("<") && id.length() <= 998).orElse(null);
        long outboxId = tx.insertInto(OUTBOX)
                .set(OUTBOX.MAILBOX_ID, mailboxId)
                .set(OUTBOX.TICKET_ID, ticketId)
                .set(OUTBOX.KIND, "ack")
                .set(OUTBOX.MESSAGE_ID, messageId)
                .set(OUTBOX.TO_ADDRESS, to)
                .set(OUTBOX.SUBJECT, subject(ticketNumber))
                .set(OUTBOX.BODY_TEXT, body(ticketNumber, mailbox.value2(), mailbox.value1()))
                .set(OUTBOX.IN_REPLY_TO, inReplyTo)
                .set(OUTBOX.REFERENCES_HEADER, inReplyTo)
                .set(OUTBOX.STATUS, "pending")
                .returning(OUTBOX.ID)
                .fetchOne(OUTBOX.ID);
        audit.record(tx, Actor.mailbox(mailboxId), ticketId, new AuditEvent.AckQueued(outboxId));
        return Optional.of(messageId);
    }

    /**
     * The ticket token first, where {@link dev.ticketd.mail.TicketsFromMail}'s default token pattern finds
     * it in a customer's "Re: …" answer, then a fixed line: never the customer's subject (see the class comment).
     */
    static String subject(String number) {
        return "[" + number + "] We have received your request";
    }

    /** Fixed text around the ticket number and our own mailbox's name; nothing from the customer's mail. */
    static String body(String number, String mailboxName, String mailboxAddress) {
        String signature = mailboxName == null || mailboxName.isBlank() ? mailboxAddress : mailboxName.strip();
        return "Hello,\n\n"
                + "we have received your message and opened ticket " + number + " for it.\n"
                + "We will answer as soon as we can. To add anything, reply to this mail and keep [" + number + "]\n"
                + "in the subject.\n\n"
                + "-- \n" + signature + "\n"
                + "(This is an automatic message.)\n";
    }

    static String domainOf(String address) {
        int at = address == null ? -1 : address.lastIndexOf('@');
        if (at < 0 || at == address.length() - 1) {
            throw new IllegalStateException("mailbox address has no domain: " + address);
        }
        return address.substring(at + 1).strip().replace(">", "");
    }
}
