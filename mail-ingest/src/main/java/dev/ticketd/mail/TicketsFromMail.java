package dev.ticketd.mail;

import dev.ticketd.desk.Actor;
import dev.ticketd.desk.Attachment;
import dev.ticketd.desk.AuditEvent;
import dev.ticketd.desk.IncomingMail;
import dev.ticketd.desk.MessageKind;
import dev.ticketd.desk.TicketMerges;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.desk.Tickets;
import dev.ticketd.mail.outbound.Acknowledgements;
import org.jooq.DSLContext;
import org.jooq.Record2;
import org.jooq.Record4;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/**
 * Attaches a stored, parsed mail to a ticket, inside the ingest transaction (only that
 * transaction's {@link DSLContext} is used). This class decides which ticket; {@link Tickets} (the
 * desk, the one writer of tickets) writes it. Threading, in this order:
 * <ol>
 *   <li>a ticket token in the subject ({@code [T-1042]} by default; the pattern's first group, or
 *       the whole match when it has none, is the ticket number);</li>
 *   <li>In-Reply-To, then References newest first, against every stored Message-ID: ours
 *       ({@code outbox.message_id}) and customers' ({@code inbound_message.message_id});</li>
 *   <li>otherwise a new ticket.</li>
 * </ol>
 * A matched ticket that was merged into another stands for that other (followed along a chain of
 * merges, {@link TicketMerges#follow}); a reply to one of our mails goes to the ticket its message is
 * on now, so a reply to a message split off into a new ticket lands in the new ticket.
 * A matched ticket takes the mail only from a participant (its requester or the author of any
 * inbound message on it); anyone else's mail is never merged silently: it opens a new ticket that
 * links to the matched one and is flagged {@code needs_review}. A customer's mail to a pending,
 * resolved or closed ticket reopens it, recorded in the audit log — except a closed ticket when
 * follow-ups are on (the default): then the mail opens a new ticket linked to the closed one (not
 * flagged for review), acknowledged like any new ticket, and both tickets' audit logs say so.
 *
 * <p>A mail that opens a new ticket (not a linked one) is acknowledged: {@link Acknowledgements}
 * queues the acknowledgement in the outbox in the same transaction, unless the RFC 3834 loop rules
 * or the per-sender rate limit forbid it or the mailbox has acknowledgements switched off.
 *
 * <p>A delivery status notification ({@link ParsedMail#bounce()}) is threaded only by the Message-ID of
 * the mail it reports on: when that is one of ours ({@code outbox}) or a customer's mail on a ticket,
 * it is added to that ticket as an inbound message (a short summary, then its text) without changing
 * the ticket's status and is never acknowledged; a report that a mail of ours failed
 * ({@code Action: failed}) also marks that outbox row {@code failed}. A bounce that matches nothing
 * opens no ticket: {@link NotTicketable} tells the caller to keep it in quarantine. A report found inside
 * another mail ({@link Bounce#nested()}: a forwarding rule or a person passed the bounce on as an
 * attachment) is a bounce only when it reports on a mail we know; otherwise the mail is the
 * forwarder's own and is threaded and acknowledged like any other.
 *
 * <p>Stateless and thread-safe.
 */
public final class TicketsFromMail {

    /** The default ticket token: {@code [T-1042]} anywhere in the subject. */
    public static final Pattern DEFAULT_TOKEN = Pattern.compile("\\[(T-\\d+)\\]");

    /** How a mail found its ticket. */
    public enum Route {
        /** Opened a new ticket: nothing matched. */
        OPENED,
        /** Joined an existing ticket. */
        THREADED,
        /** Matched a ticket, but the sender is no participant: opened a linked ticket flagged for review. */
        OPENED_LINKED,
        /** A participant wrote to a closed ticket: opened a new ticket linked to it (follow-ups on). */
        OPENED_FOLLOW_UP,
        /** A delivery status notification, added to the ticket of the mail it reports on; status unchanged, never acknowledged. */
        BOUNCE
    }

    /**
     * The mail must not become a ticket (a bounce for a message we do not know). Thrown before
     * anything was written; the caller keeps the mail in quarantine with {@link #reason()}.
     */
    public static final class NotTicketable extends RuntimeException {
        private final String reason;

        public NotTicketable(String reason) {
            super(reason, null, false, false);
            this.reason = reason;
        }

        public String reason() {
            return reason;
        }
    }

    /** The ticket a mail was attached to. */
    public record Attached(long ticketId, String ticketNumber, long ticketMessageId, Route route) {
    }

    private record Match(long ticketId, String by) {
    }

    private static final Logger log = LoggerFactory.getLogger(TicketsFromMail.class);
    /** How the quarantine reason of a bounce that reports on no mail of ours begins. */
    public static final String UNKNOWN_BOUNCE = "A delivery report (bounce) about a mail this help desk never sent or received";

    private final Pattern ticketToken;
    private final Acknowledgements acknowledgements;
    private final Tickets tickets;
    private final boolean followUpsOfClosed;

    public TicketsFromMail() {
        this(DEFAULT_TOKEN);
    }

    /** @param ticketToken finds a ticket number in a subject: its first group, or the whole match without groups */
    public TicketsFromMail(Pattern ticketToken) {
        this(ticketToken, Acknowledgements.defaults());
    }

    /**
     * @param ticketToken      finds a ticket number in a subject: its first group, or the whole match without groups
     * @param acknowledgements queues the acknowledgement of a new ticket
     */
    public TicketsFromMail(Pattern ticketToken, Acknowledgements acknowledgements) {
        this(ticketToken, acknowledgements, new Tickets());
    }

    /**
     * @param ticketToken      finds a ticket number in a subject: its first group, or the whole match without groups
     * @param acknowledgements queues the acknowledgement of a new ticket
     * @param tickets          writes the tickets and their audit entries
     */
    public TicketsFromMail(Pattern ticketToken, Acknowledgements acknowledgements, Tickets tickets) {
        this(ticketToken, acknowledgements, tickets, true);
    }

    /**
     * @param followUpsOfClosed a participant's mail to a closed ticket opens a new ticket linked to it
     *                          ({@code tickets.reply-to-closed-opens-new}); when false it reopens the closed one
     */
    public TicketsFromMail(Pattern ticketToken, Acknowledgements acknowledgements, Tickets tickets, boolean followUpsOfClosed) {
        this.ticketToken = ticketToken;
        this.acknowledgements = acknowledgements;
        this.tickets = tickets;
        this.followUpsOfClosed = followUpsOfClosed;
    }

    /**
     * @throws NotTicketable when the mail must not become a ticket (a bounce for an unknown message);
     *                       nothing was written then
     */
    public Attached attach(DSLContext tx, String mailboxId, long inboundMessageId, ParsedMail mail) {
        if (mail.bounce().isPresent()) {
            Attached bounce = attachBounce(tx, mailboxId, inboundMessageId, mail, mail.bounce().get());
            if (bounce != null) {
                return bounce;
            }
        }
        Optional<Match> match = byToken(tx, mail.subject()).or(() -> byMessageIds(tx, mail.repliedToMessageIds()));
        if (match.isEmpty()) {
            Attached opened = openTicket(tx, mailboxId, inboundMessageId, mail, null);
            acknowledgements.queue(tx, mailboxId, opened.ticketId(), opened.ticketNumber(), mail);
            return opened;
        }
        // a merged ticket's mail belongs to the ticket it was merged into (followed along a chain)
        long ticketId = TicketMerges.follow(tx, match.get().ticketId());
        String mergedFrom = ticketId == match.get().ticketId() ? null
                : tx.select(TICKET.NUMBER).from(TICKET).where(TICKET.ID.eq(match.get().ticketId())).fetchSingle(TICKET.NUMBER);
        Record4<Long, String, String, Long> ticket = tx.select(TICKET.ID, TICKET.NUMBER, TICKET.STATUS, TICKET.REQUESTER_ID)
                .from(TICKET).where(TICKET.ID.eq(ticketId)).forUpdate().fetchSingle();
        if (!isParticipant(tx, ticketId, ticket.value4(), mail.fromAddress())) {
            log.info("mail matched a ticket but its sender is no participant, opening a linked ticket "
                    + "mailbox={} inbound={} matched={} by={}", mailboxId, inboundMessageId, ticket.value2(), match.get().by());
            return openTicket(tx, mailboxId, inboundMessageId, mail, ticketId);
        }
        if (followUpsOfClosed && TicketStatus.stored(ticket.value3()) == TicketStatus.CLOSED) {
            Tickets.Opened followUp = tickets.openFollowUp(tx, mailboxId, inboundMessageId, incoming(mail), ticketId);
            log.info("mail to a closed ticket opened a follow-up mailbox={} inbound={} closed={} followUp={}",
                    mailboxId, inboundMessageId, ticket.value2(), followUp.number());
            acknowledgements.queue(tx, mailboxId, followUp.ticketId(), followUp.number(), mail);
            return new Attached(followUp.ticketId(), followUp.number(), followUp.messageId(), Route.OPENED_FOLLOW_UP);
        }
        long messageId = tickets.addMail(tx, mailboxId, ticketId, TicketStatus.stored(ticket.value3()), inboundMessageId,
                incoming(mail), match.get().by(), mergedFrom);
        if (mergedFrom != null) {
            log.info("mail to a merged ticket joined the ticket it was merged into mailbox={} inbound={} matched={} ticket={}",
                    mailboxId, inboundMessageId, mergedFrom, ticket.value2());
        }
        return new Attached(ticketId, ticket.value2(), messageId, Route.THREADED);
    }

    /**
     * Records that a mail stored from {@code mailboxId} is a copy of one stored first (usually from
     * another mailbox: the mail was sent to two of our addresses). The ticket of the first copy, if
     * it has one, gets an audit entry naming the mailbox; no ticket message, no acknowledgement.
     *
     * @return the ticket of the first copy, if it became one
     */
    public Optional<Long> recordCopy(DSLContext tx, String mailboxId, long inboundMessageId, long firstInboundMessageId) {
        Optional<Long> ticketId = tx.select(TICKET_MESSAGE.TICKET_ID).from(TICKET_MESSAGE)
                .where(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(firstInboundMessageId))
                .fetchOptional(TICKET_MESSAGE.TICKET_ID);
        log.info("mail is a copy of one stored before, no ticket message created mailbox={} inbound={} copyOf={} ticket={}",
                mailboxId, inboundMessageId, firstInboundMessageId, ticketId.orElse(null));
        ticketId.ifPresent(id -> tickets.audit().record(tx, Actor.mailbox(mailboxId), id,
                new AuditEvent.MailCopy(inboundMessageId, firstInboundMessageId, mailboxId)));
        return ticketId;
    }

    /**
     * Records on the ticket of a stored mail that the mail server handed the same mail out again under
     * other IMAP coordinates (a second delivery, or a new UIDVALIDITY): nothing else is stored. Once per
     * delivery: a reader that reads the same delivery again (it crashed before moving it) adds nothing.
     */
    public void recordRepeatDelivery(DSLContext tx, String mailboxId, long storedInboundMessageId, long uidValidity, long uid) {
        Optional<Long> ticketId = tx.select(TICKET_MESSAGE.TICKET_ID).from(TICKET_MESSAGE)
                .where(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(storedInboundMessageId))
                .fetchOptional(TICKET_MESSAGE.TICKET_ID);
        log.info("mail delivered again, already stored, nothing new created mailbox={} uidvalidity={} uid={} storedAs={} ticket={}",
                mailboxId, uidValidity, uid, storedInboundMessageId, ticketId.orElse(null));
        if (ticketId.isEmpty()) {
            return; // stored, but in the quarantine: its entry is what a person sees
        }
        tickets.audit().recordOnce(tx, Actor.mailbox(mailboxId), ticketId.get(),
                new AuditEvent.MailDeliveredAgain(storedInboundMessageId, mailboxId, uidValidity, uid));
    }

    /** @return the ticket the bounce joined, or null for a nested report about no mail we know (then it is ordinary mail) */
    private Attached attachBounce(DSLContext tx, String mailboxId, long inboundMessageId, ParsedMail mail, Bounce bounce) {
        Optional<String> original = bounce.originalMessageId();
        Optional<Record2<Long, Long>> ours = original.flatMap(id -> tx.select(OUTBOX.ID, OUTBOX.TICKET_ID).from(OUTBOX)
                .where(OUTBOX.MESSAGE_ID.in(id, bare(id))).orderBy(OUTBOX.ID).limit(1).fetchOptional());
        Optional<Long> ticketId = ours.map(Record2::value2).or(() -> original.flatMap(id -> tx.select(TICKET_MESSAGE.TICKET_ID)
                .from(INBOUND_MESSAGE).join(TICKET_MESSAGE).on(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(INBOUND_MESSAGE.ID))
                .where(INBOUND_MESSAGE.MESSAGE_ID.in(id, bare(id))).and(INBOUND_MESSAGE.ID.ne(inboundMessageId))
                .orderBy(TICKET_MESSAGE.TICKET_ID).limit(1).fetchOptional(TICKET_MESSAGE.TICKET_ID)));
        if (ticketId.isEmpty() && bounce.nested()) {
            // a bounce forwarded inside another mail that reports on nothing of ours: the forwarder's
            // own question (why did my mail bounce?), an ordinary mail
            return null;
        }
        if (ticketId.isEmpty()) {
            throw new NotTicketable(UNKNOWN_BOUNCE + " (" + original.orElse("the report names no Message-ID")
                    + "), so it opened no ticket.");
        }
        ticketId = Optional.of(TicketMerges.follow(tx, ticketId.get()));
        String number = tx.select(TICKET.NUMBER).from(TICKET).where(TICKET.ID.eq(ticketId.get())).forUpdate()
                .fetchSingle(TICKET.NUMBER);
        String summary = bounceSummary(bounce, ours.isPresent());
        String body = mail.textBody().isBlank() ? summary : summary + "\n\n" + mail.textBody();
        long messageId = tickets.addBounce(tx, ticketId.get(), inboundMessageId, incoming(mail), body);
        boolean outboxFailed = false;
        if (ours.isPresent() && bounce.failed()) {
            Bounce.Recipient failed = bounce.failedRecipients().get(0);
            String error = ("bounced: " + failed.status() + " " + failed.diagnostic()).strip();
            // the sender's own updates require status 'sending', so a bounce that overtakes them wins
            outboxFailed = tx.update(OUTBOX)
                    .set(OUTBOX.STATUS, "failed")
                    .set(OUTBOX.LAST_ERROR, error)
                    .set(OUTBOX.NEXT_ATTEMPT_AT, (OffsetDateTime) null)
                    .where(OUTBOX.ID.eq(ours.get().value1()))
                    .execute() == 1;
        }
        log.info("bounce attached mailbox={} inbound={} ticket={} action={} outbox={} outboxFailed={}", mailboxId,
                inboundMessageId, number, bounce.action(), ours.map(Record2::value1).orElse(null), outboxFailed);
        // the report's own word, letters only: it comes from the mail
        String action = bounce.action().replaceAll("[^a-z]", "");
        tickets.audit().record(tx, Actor.mailbox(mailboxId), ticketId.get(), new AuditEvent.BounceAttached(inboundMessageId,
                messageId, action, ours.map(Record2::value1).orElse(null), outboxFailed));
        return new Attached(ticketId.get(), number, messageId, Route.BOUNCE);
    }

    /** One readable paragraph: what happened to which mail for whom, and why. */
    static String bounceSummary(Bounce bounce, boolean ours) {
        String what = switch (bounce.action()) {
            case "failed" -> "Delivery failed";
            case "delayed" -> "Delivery delayed (the mail system is still trying)";
            case "delivered", "relayed", "expanded" -> "Delivery report: " + bounce.action();
            default -> "Delivery status report";
        };
        StringBuilder sb = new StringBuilder(what);
        sb.append(ours ? " for our mail " : " for the mail ").append(bounce.originalMessageId().orElse("(unknown)"));
        if (!bounce.reportingMta().isEmpty()) {
            sb.append(", reported by ").append(bounce.reportingMta());
        }
        sb.append('.');
        List<Bounce.Recipient> shown = bounce.recipients().stream().filter(r -> r.action().equals("failed")
                || r.action().equals("delayed")).toList();
        for (Bounce.Recipient r : shown.isEmpty() ? bounce.recipients() : shown) {
            sb.append("\n- ").append(r.finalRecipient().isEmpty() ? "(recipient unknown)" : r.finalRecipient())
                    .append(": ").append(r.action().isEmpty() ? "unknown" : r.action());
            if (!r.status().isEmpty()) {
                sb.append(' ').append(r.status());
            }
            if (!r.diagnostic().isEmpty()) {
                sb.append(" (").append(r.diagnostic()).append(')');
            }
        }
        return sb.toString();
    }

    private Optional<Match> byToken(DSLContext tx, String subject) {
        Matcher m = ticketToken.matcher(subject);
        while (m.find()) {
            String number = m.groupCount() >= 1 && m.group(1) != null ? m.group(1) : m.group();
            Optional<Long> id = tx.select(TICKET.ID).from(TICKET).where(TICKET.NUMBER.eq(number)).fetchOptional(TICKET.ID);
            if (id.isPresent()) {
                return Optional.of(new Match(id.get(), "token"));
            }
        }
        return Optional.empty();
    }

    /** The ticket of the first of {@code ids} (most telling first) that is a stored Message-ID. */
    private static Optional<Match> byMessageIds(DSLContext tx, List<String> ids) {
        if (ids.isEmpty()) {
            return Optional.empty();
        }
        Set<String> variants = new LinkedHashSet<>(); // stored with or without angle brackets
        for (String id : ids) {
            variants.add(id);
            variants.add(bare(id));
        }
        Map<String, Long> ticketOf = new HashMap<>();
        // our mail's ticket is the one its message is on now (a split moves a message), else the outbox
        // row's; a staff notice (an SLA digest) has no ticket: a reply to it joins none
        tx.select(OUTBOX.MESSAGE_ID, DSL.coalesce(TICKET_MESSAGE.TICKET_ID, OUTBOX.TICKET_ID))
                .from(OUTBOX).leftJoin(TICKET_MESSAGE).on(TICKET_MESSAGE.ID.eq(OUTBOX.TICKET_MESSAGE_ID))
                .where(OUTBOX.MESSAGE_ID.in(variants)).and(OUTBOX.TICKET_ID.isNotNull())
                .forEach(r -> ticketOf.merge(bare(r.value1()), r.value2(), Math::min));
        tx.select(INBOUND_MESSAGE.MESSAGE_ID, TICKET_MESSAGE.TICKET_ID)
                .from(INBOUND_MESSAGE).join(TICKET_MESSAGE).on(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(INBOUND_MESSAGE.ID))
                .where(INBOUND_MESSAGE.MESSAGE_ID.in(variants))
                .forEach(r -> ticketOf.merge(bare(r.value1()), r.value2(), Math::min));
        for (String id : ids) {
            Long ticket = ticketOf.get(bare(id));
            if (ticket != null) {
                return Optional.of(new Match(ticket, "references"));
            }
        }
        return Optional.empty();
    }

    private static String bare(String messageId) {
        String s = messageId.strip();
        return s.startsWith("<") && s.endsWith(">") ? s.substring(1, s.length() - 1) : s;
    }

    /** The requester, or the author of any inbound message on the ticket. */
    private static boolean isParticipant(DSLContext tx, long ticketId, long requesterId, String address) {
        return tx.fetchExists(DSL.selectOne().from(CONTACT)
                .where(CONTACT.EMAIL.eq(address))
                .and(CONTACT.ID.eq(requesterId).or(DSL.exists(DSL.selectOne().from(TICKET_MESSAGE)
                        .where(TICKET_MESSAGE.TICKET_ID.eq(ticketId))
                        .and(TICKET_MESSAGE.KIND.eq(MessageKind.INBOUND.value()))
                        .and(TICKET_MESSAGE.AUTHOR_CONTACT_ID.eq(CONTACT.ID))))));
    }

    private Attached openTicket(DSLContext tx, String mailboxId, long inboundMessageId, ParsedMail mail, Long linkedTo) {
        Tickets.Opened opened = tickets.openFromMail(tx, mailboxId, inboundMessageId, incoming(mail), linkedTo);
        return new Attached(opened.ticketId(), opened.number(), opened.messageId(),
                linkedTo == null ? Route.OPENED : Route.OPENED_LINKED);
    }

    /** What the desk stores of a parsed mail: its sanitised HTML (still with {@code cid:} image sources) and its attachments. */
    private static IncomingMail incoming(ParsedMail mail) {
        return new IncomingMail(mail.fromAddress(), mail.fromName(), mail.subject(), mail.textBody(), mail.htmlBody(),
                mail.attachments().stream()
                        .map(a -> new Attachment(a.filename(), a.contentType(), a.contentId(), a.content()))
                        .toList());
    }
}
