package dev.ticketd.desk;

import dev.ticketd.db.generated.tables.records.TicketRecord;
import dev.ticketd.desk.sla.SlaClocks;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Record1;
import org.jooq.Record2;
import org.jooq.Record3;
import org.jooq.Record4;
import org.jooq.TableField;
import org.jooq.impl.DSL;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Function;

import static dev.ticketd.db.generated.Sequences.TICKET_NUMBER_SEQ;
import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.GROUP_MEMBER;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.STAFF_GROUP;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET_TAG;

/**
 * The one writer of tickets, their messages and attachments, and their requesters
 * ({@code ticket}, {@code ticket_message}, {@code attachment}, {@code contact}); no other module
 * writes these tables (see {@code OnlyTheDeskWritesTicketTablesTest}); merges, splits and links are
 * {@link TicketMerges}, {@link TicketSplits} and {@link TicketLinks} beside it. Each change writes its
 * audit entry through {@link Audit}.
 *
 * <p>Every method works inside the caller's transaction and uses only the {@link DSLContext} passed
 * in; none opens a transaction of its own, so mail intake's exactly-once transaction (the mail, its
 * ticket, its acknowledgement and the reader's cursor) stays one. Deciding which ticket a mail
 * belongs to is the caller's; the caller holds the ticket's row lock where it read the ticket first.
 *
 * <p>Stateless and thread-safe.
 */
public final class Tickets {

    /** A ticket just opened with its first message. */
    public record Opened(long ticketId, String number, long messageId) {
    }

    /** A staff reply just stored. */
    public record Reply(long messageId, OffsetDateTime createdAt, List<Attachment.Stored> attachments) {
    }

    private final Audit audit;
    /** Every change below that starts, pauses or stops an SLA clock moves it in the same transaction. */
    private final SlaClocks sla;
    private final RoundRobin roundRobin;

    public Tickets() {
        this(new Audit());
    }

    public Tickets(Audit audit) {
        this.audit = audit;
        this.sla = new SlaClocks(audit);
        this.roundRobin = new RoundRobin(audit);
    }

    public Audit audit() {
        return audit;
    }

    public SlaClocks sla() {
        return sla;
    }

    /**
     * Opens a ticket for a mail of {@code mailboxId}; a linked one flagged {@code needs_review}
     * when {@code linkedTo} is not null (the mail matched that ticket but its sender is no participant).
     */
    public Opened openFromMail(DSLContext tx, String mailboxId, long inboundMessageId, IncomingMail mail, Long linkedTo) {
        long contactId = MessageRows.requester(tx, mail);
        String subject = mail.subject().isBlank() ? "(no subject)" : mail.subject();
        NewTicket opened = open(tx, mailboxId, subject, contactId, linkedTo);
        long messageId = MessageRows.insertInbound(tx, opened.id(), contactId, inboundMessageId, mail, mail.textBody(), opened.createdAt());
        audit.record(tx, Actor.mailbox(mailboxId), opened.id(), AuditEvent.OpenedFromMail.of(inboundMessageId, linkedTo));
        return new Opened(opened.id(), opened.number(), messageId);
    }

    /** What setting a ticket's status or priority did: {@code from} equals {@code to} when it was already so (nothing written). */
    public record Change<T>(T from, T to) {
        public boolean changed() {
            return !from.equals(to);
        }
    }

    /**
     * Sets a ticket's status, under the ticket's row lock, and audits the change. Setting the status it
     * already has writes nothing, so a repeated request (a double click, a retry after a failover)
     * leaves one audit entry.
     *
     * @return the change, or empty when there is no such ticket
     */
    public Optional<Change<TicketStatus>> setStatus(DSLContext tx, long ticketId, Actor actor, TicketStatus to) {
        Optional<Change<TicketStatus>> change =
                set(tx, ticketId, actor, TICKET.STATUS, TicketStatus::stored, TicketStatus::value, to, AuditEvent.StatusChanged::new);
        change.filter(Change::changed).ifPresent(c -> {
            timers(tx, ticketId, c.to());
            sla.statusChanged(tx, ticketId, c.from(), c.to(), null, now(tx).toInstant());
        });
        return change;
    }

    /** The actor of the changes the ticket timers make (see {@link #reopenWhenDue}, {@link #closeWhenResolvedBefore}). */
    public static final Actor TIMERS = Actor.system("ticket-timers");

    /**
     * Sets a ticket pending until {@code until}, waiting for {@code kind}, under the ticket's row lock,
     * and audits it. When that time passes the ticket timers open it again. Nothing is written when it
     * is pending already with the same time and kind (a repeated request leaves one audit entry).
     *
     * @return the change ({@code from} is pending when only the time or kind changed), or empty when there is no such ticket
     */
    public Optional<Change<TicketStatus>> setPending(DSLContext tx, long ticketId, Actor actor, Instant until, PendingKind kind) {
        Instant stored = until.truncatedTo(ChronoUnit.MICROS); // what timestamptz keeps
        Record3<String, OffsetDateTime, String> current = tx.select(TICKET.STATUS, TICKET.PENDING_UNTIL, TICKET.PENDING_KIND)
                .from(TICKET).where(TICKET.ID.eq(ticketId)).forUpdate().fetchOne();
        if (current == null) {
            return Optional.empty();
        }
        TicketStatus from = TicketStatus.stored(current.value1());
        boolean same = from == TicketStatus.PENDING && current.value2() != null && current.value2().toInstant().equals(stored)
                && kind.value().equals(current.value3());
        if (!same) {
            tx.update(TICKET)
                    .set(TICKET.STATUS, TicketStatus.PENDING.value())
                    .set(TICKET.PENDING_UNTIL, stored.atOffset(ZoneOffset.UTC))
                    .set(TICKET.PENDING_KIND, kind.value())
                    .set(TICKET.RESOLVED_AT, (OffsetDateTime) null)
                    .set(TICKET.UPDATED_AT, now(tx))
                    .where(TICKET.ID.eq(ticketId))
                    .execute();
            audit.record(tx, actor, ticketId, new AuditEvent.StatusChanged(from, TicketStatus.PENDING, stored.toString(), kind, null));
            sla.statusChanged(tx, ticketId, from, TicketStatus.PENDING, kind, now(tx).toInstant());
        }
        return Optional.of(new Change<>(from, TicketStatus.PENDING));
    }

    /**
     * Opens a pending ticket again when its pending time is not after {@code now}: the ticket timers'
     * write. The caller has checked, in this transaction, that it still holds the timers' epoch. The
     * ticket is read again under its row lock, so one that changed since it was found due (a customer
     * wrote, staff set it otherwise, another run was first) is left alone: a ticket reopens once.
     *
     * @return whether the ticket was opened
     */
    public boolean reopenWhenDue(DSLContext tx, long ticketId, Instant now) {
        Record3<String, OffsetDateTime, String> t = tx.select(TICKET.STATUS, TICKET.PENDING_UNTIL, TICKET.PENDING_KIND)
                .from(TICKET).where(TICKET.ID.eq(ticketId)).forUpdate().fetchOne();
        if (t == null || !TicketStatus.PENDING.value().equals(t.value1()) || t.value2() == null || t.value2().toInstant().isAfter(now)) {
            return false;
        }
        tx.update(TICKET)
                .set(TICKET.STATUS, TicketStatus.OPEN.value())
                .set(TICKET.PENDING_UNTIL, (OffsetDateTime) null)
                .set(TICKET.PENDING_KIND, (String) null)
                .set(TICKET.UPDATED_AT, now(tx))
                .where(TICKET.ID.eq(ticketId))
                .execute();
        audit.record(tx, TIMERS, ticketId, new AuditEvent.StatusChanged(TicketStatus.PENDING, TicketStatus.OPEN,
                t.value2().toInstant().toString(), t.value3() == null ? null : PendingKind.stored(t.value3()), "pending time passed"));
        sla.statusChanged(tx, ticketId, TicketStatus.PENDING, TicketStatus.OPEN, null, now(tx).toInstant());
        return true;
    }

    /**
     * Closes a resolved ticket that was resolved at or before {@code resolvedBy}: the ticket timers'
     * write, fenced and re-checked under the row lock like {@link #reopenWhenDue}.
     *
     * @param reason why, for the audit entry ("resolved for 7 days")
     * @return whether the ticket was closed
     */
    public boolean closeWhenResolvedBefore(DSLContext tx, long ticketId, Instant resolvedBy, String reason) {
        Record2<String, OffsetDateTime> t = tx.select(TICKET.STATUS, TICKET.RESOLVED_AT)
                .from(TICKET).where(TICKET.ID.eq(ticketId)).forUpdate().fetchOne();
        if (t == null || !TicketStatus.RESOLVED.value().equals(t.value1()) || t.value2() == null
                || t.value2().toInstant().isAfter(resolvedBy)) {
            return false;
        }
        tx.update(TICKET)
                .set(TICKET.STATUS, TicketStatus.CLOSED.value())
                .set(TICKET.UPDATED_AT, now(tx))
                .where(TICKET.ID.eq(ticketId))
                .execute();
        audit.record(tx, TIMERS, ticketId, new AuditEvent.StatusChanged(TicketStatus.RESOLVED, TicketStatus.CLOSED, null, null, reason));
        sla.statusChanged(tx, ticketId, TicketStatus.RESOLVED, TicketStatus.CLOSED, null, now(tx).toInstant());
        return true;
    }

    /**
     * Opens a new ticket for a customer's mail to a closed ticket, linked to it (not flagged for review:
     * the sender is a participant), and audits it on both: the closed ticket stays closed.
     */
    public Opened openFollowUp(DSLContext tx, String mailboxId, long inboundMessageId, IncomingMail mail, long closedTicketId) {
        long contactId = MessageRows.requester(tx, mail);
        String subject = mail.subject().isBlank() ? "(no subject)" : mail.subject();
        NewTicket opened = open(tx, mailboxId, subject, contactId, closedTicketId);
        long ticketId = opened.id();
        String number = opened.number();
        OffsetDateTime now = opened.createdAt();
        // open() flags a linked ticket for review (its sender is a stranger); a follow-up's is the customer
        tx.update(TICKET).set(TICKET.NEEDS_REVIEW, false).where(TICKET.ID.eq(ticketId)).execute();
        long messageId = MessageRows.insertInbound(tx, ticketId, contactId, inboundMessageId, mail, mail.textBody(), now);
        Actor actor = Actor.mailbox(mailboxId);
        audit.record(tx, actor, ticketId, new AuditEvent.OpenedFromMail(inboundMessageId, closedTicketId, null));
        audit.record(tx, actor, closedTicketId, new AuditEvent.FollowUpOpened(inboundMessageId, ticketId, number));
        return new Opened(ticketId, number, messageId);
    }

    /** A ticket that changed status forgets its pending time, and one just resolved starts counting towards its closing. */
    static void timers(DSLContext tx, long ticketId, TicketStatus to) {
        tx.update(TICKET)
                .set(TICKET.PENDING_UNTIL, (OffsetDateTime) null)
                .set(TICKET.PENDING_KIND, (String) null)
                .set(TICKET.RESOLVED_AT, to == TicketStatus.RESOLVED ? now(tx) : null)
                .where(TICKET.ID.eq(ticketId))
                .execute();
    }

    /** Sets a ticket's priority like {@link #setStatus}: locked, audited, and nothing written when it is already so. */
    public Optional<Change<Priority>> setPriority(DSLContext tx, long ticketId, Actor actor, Priority to) {
        Optional<Change<Priority>> change =
                set(tx, ticketId, actor, TICKET.PRIORITY, Priority::stored, Priority::value, to, AuditEvent.PriorityChanged::new);
        change.filter(Change::changed).ifPresent(c -> sla.retarget(tx, ticketId));
        return change;
    }

    private <T> Optional<Change<T>> set(DSLContext tx, long ticketId, Actor actor, TableField<TicketRecord, String> column,
                                        Function<String, T> stored, Function<T, String> value, T to,
                                        BiFunction<T, T, AuditEvent> event) {
        String current = tx.select(column).from(TICKET).where(TICKET.ID.eq(ticketId)).forUpdate().fetchOne(column);
        if (current == null) {
            return Optional.empty();
        }
        T from = stored.apply(current);
        if (!from.equals(to)) {
            tx.update(TICKET)
                    .set(column, value.apply(to))
                    .set(TICKET.UPDATED_AT, now(tx))
                    .where(TICKET.ID.eq(ticketId))
                    .execute();
            audit.record(tx, actor, ticketId, event.apply(from, to));
        }
        return Optional.of(new Change<>(from, to));
    }

    /**
     * Locks a ticket that {@code by} is about to change, and checks that they may: a ticket they
     * cannot see does not exist for them, one of a group where their access is read-only is refused.
     *
     * @throws NotFoundException  when there is no such ticket, or {@code by} may not see it
     * @throws ForbiddenException when {@code by} may see the ticket but not change it
     */
    public void lockForChange(DSLContext tx, long ticketId, Viewer by) {
        Field<Boolean> mayChange = DSL.field(by.mayChange()).as("may_change");
        Record ticket = tx.select(TICKET.NUMBER, STAFF_GROUP.NAME, mayChange)
                .from(TICKET).join(STAFF_GROUP).on(STAFF_GROUP.ID.eq(TICKET.GROUP_ID))
                .where(TICKET.ID.eq(ticketId)).and(by.sees())
                .forUpdate().of(TICKET)
                .fetchOne();
        if (ticket == null) {
            throw new NotFoundException("ticket " + ticketId + " does not exist");
        }
        if (!ticket.get(mayChange)) {
            throw new ForbiddenException("you can read but not change the tickets of group " + ticket.get(STAFF_GROUP.NAME)
                    + " (ticket " + ticket.get(TICKET.NUMBER) + "); ask an admin for full access to the group");
        }
    }

    /**
     * {@link #lockForChange}, for work on the ticket itself (a reply, a note, a status, a link): a
     * ticket merged into another is refused, naming the other, where the work belongs.
     *
     * @throws ConflictException when the ticket is merged into another
     */
    public void lockForWork(DSLContext tx, long ticketId, Viewer by) {
        lockForChange(tx, ticketId, by);
        Record merged = tx.select(TICKET.NUMBER, DSL.field(DSL.select(DSL.field(DSL.name("into_ticket", "number"), String.class))
                        .from(TICKET.as("into_ticket")).where(DSL.field(DSL.name("into_ticket", "id"), Long.class).eq(TICKET.MERGED_INTO_ID)))
                        .as("into_number"))
                .from(TICKET).where(TICKET.ID.eq(ticketId)).and(TICKET.MERGED_INTO_ID.isNotNull()).fetchOne();
        if (merged != null) {
            throw new ConflictException(merged.get(TICKET.NUMBER) + " is merged into " + merged.get("into_number", String.class)
                    + "; work on that ticket (or undo the merge)");
        }
    }

    /**
     * Gives a ticket to {@code ownerId}, or to nobody when it is null, under the ticket's row lock.
     * The owner must be an active admin or an agent with full access to the ticket's group. Nothing is
     * written when the ticket already has that owner.
     *
     * @return the change (owners by e-mail address), or empty when there is no such ticket
     * @throws InvalidRequestException when {@code ownerId} cannot own the ticket
     */
    public Optional<Change<Optional<String>>> setOwner(DSLContext tx, long ticketId, Actor actor, Long ownerId) {
        Record ticket = tx.select(TICKET.OWNER_ID, TICKET.GROUP_ID, STAFF_GROUP.NAME)
                .from(TICKET).join(STAFF_GROUP).on(STAFF_GROUP.ID.eq(TICKET.GROUP_ID))
                .where(TICKET.ID.eq(ticketId)).forUpdate().of(TICKET).fetchOne();
        if (ticket == null) {
            return Optional.empty();
        }
        Long current = ticket.get(TICKET.OWNER_ID);
        Optional<String> from = email(tx, current);
        if (Objects.equals(current, ownerId)) {
            return Optional.of(new Change<>(from, from));
        }
        Optional<String> to = Optional.empty();
        if (ownerId != null) {
            to = Optional.of(tx.select(STAFF_USER.EMAIL).from(STAFF_USER)
                    .where(STAFF_USER.ID.eq(ownerId)).and(STAFF_USER.ACTIVE.isTrue())
                    .and(mayWork(ownerId, ticket.get(TICKET.GROUP_ID)))
                    .fetchOptional(STAFF_USER.EMAIL)
                    .orElseThrow(() -> new InvalidRequestException("the owner must be an active admin or an agent with full access "
                            + "to group " + ticket.get(STAFF_GROUP.NAME) + "; staff user " + ownerId + " is not")));
        }
        tx.update(TICKET).set(TICKET.OWNER_ID, ownerId).set(TICKET.UPDATED_AT, now(tx)).where(TICKET.ID.eq(ticketId)).execute();
        audit.record(tx, actor, ticketId, new AuditEvent.OwnerChanged(from.orElse(null), to.orElse(null)));
        return Optional.of(new Change<>(from, to));
    }

    /**
     * Moves a ticket to group {@code groupId}, under the ticket's row lock. An owner who may not
     * work the new group's tickets is no longer the owner (the audit entry names them). Nothing is
     * written when the ticket is in that group already.
     *
     * @return the change (groups by name), or empty when there is no such ticket
     * @throws InvalidRequestException when there is no such group
     */
    public Optional<Change<String>> setGroup(DSLContext tx, long ticketId, Actor actor, long groupId) {
        Record ticket = tx.select(TICKET.OWNER_ID, TICKET.GROUP_ID, STAFF_GROUP.NAME)
                .from(TICKET).join(STAFF_GROUP).on(STAFF_GROUP.ID.eq(TICKET.GROUP_ID))
                .where(TICKET.ID.eq(ticketId)).forUpdate().of(TICKET).fetchOne();
        if (ticket == null) {
            return Optional.empty();
        }
        String from = ticket.get(STAFF_GROUP.NAME);
        String to = tx.select(STAFF_GROUP.NAME).from(STAFF_GROUP).where(STAFF_GROUP.ID.eq(groupId)).fetchOptional(STAFF_GROUP.NAME)
                .orElseThrow(() -> new InvalidRequestException("group " + groupId + " does not exist"));
        if (ticket.get(TICKET.GROUP_ID) == groupId) {
            return Optional.of(new Change<>(from, from));
        }
        Long owner = ticket.get(TICKET.OWNER_ID);
        boolean ownerStays = owner == null || tx.fetchExists(tx.selectOne().from(STAFF_USER)
                .where(STAFF_USER.ID.eq(owner)).and(mayWork(owner, groupId)));
        tx.update(TICKET)
                .set(TICKET.GROUP_ID, groupId)
                .set(TICKET.OWNER_ID, ownerStays ? owner : null)
                .set(TICKET.UPDATED_AT, now(tx))
                .where(TICKET.ID.eq(ticketId))
                .execute();
        audit.record(tx, actor, ticketId, new AuditEvent.GroupChanged(from, to, ownerStays ? null : email(tx, owner).orElse(null)));
        sla.retarget(tx, ticketId);
        return Optional.of(new Change<>(from, to));
    }

    /**
     * Sets a ticket's tags to {@code tags} (already cleaned by {@link Tags#of}), under the ticket's
     * row lock; audited with what was added and removed. Setting the tags it has writes nothing.
     *
     * @return the change, or empty when there is no such ticket
     */
    public Optional<Change<SortedSet<String>>> setTags(DSLContext tx, long ticketId, Actor actor, SortedSet<String> tags) {
        Record1<OffsetDateTime> ticket = tx.select(TICKET.CREATED_AT).from(TICKET).where(TICKET.ID.eq(ticketId)).forUpdate().fetchOne();
        if (ticket == null) {
            return Optional.empty();
        }
        SortedSet<String> from = new TreeSet<>(tx.select(TICKET_TAG.TAG).from(TICKET_TAG).where(TICKET_TAG.TICKET_ID.eq(ticketId))
                .fetch(TICKET_TAG.TAG));
        SortedSet<String> to = new TreeSet<>(tags);
        if (from.equals(to)) {
            return Optional.of(new Change<>(from, to));
        }
        SortedSet<String> added = new TreeSet<>(to);
        added.removeAll(from);
        SortedSet<String> removed = new TreeSet<>(from);
        removed.removeAll(to);
        if (!removed.isEmpty()) {
            tx.deleteFrom(TICKET_TAG).where(TICKET_TAG.TICKET_ID.eq(ticketId)).and(TICKET_TAG.TAG.in(removed)).execute();
        }
        for (String tag : added) {
            // with the ticket's creation time: the tag's list walks its index in the list's order
            tx.insertInto(TICKET_TAG).set(TICKET_TAG.TICKET_ID, ticketId).set(TICKET_TAG.TAG, tag)
                    .set(TICKET_TAG.TICKET_CREATED_AT, ticket.value1()).execute();
        }
        tx.update(TICKET).set(TICKET.UPDATED_AT, now(tx)).where(TICKET.ID.eq(ticketId)).execute();
        audit.record(tx, actor, ticketId, new AuditEvent.TagsChanged(added, removed));
        return Optional.of(new Change<>(from, to));
    }

    /** Staff user {@code userId} (a {@code STAFF_USER} row) is an admin or has full access to group {@code groupId}. */
    private static Condition mayWork(long userId, long groupId) {
        return STAFF_USER.ROLE.eq("admin").or(DSL.exists(DSL.selectOne().from(GROUP_MEMBER)
                .where(GROUP_MEMBER.USER_ID.eq(userId))
                .and(GROUP_MEMBER.GROUP_ID.eq(groupId))
                .and(GROUP_MEMBER.ACCESS.eq(GroupAccess.FULL.value()))));
    }

    private static Optional<String> email(DSLContext tx, Long staffId) {
        return staffId == null ? Optional.empty()
                : tx.select(STAFF_USER.EMAIL).from(STAFF_USER).where(STAFF_USER.ID.eq(staffId)).fetchOptional(STAFF_USER.EMAIL);
    }

    /**
     * Adds a participant's mail to a ticket; a ticket that was not open is opened again (and that
     * is audited too).
     *
     * @param status the ticket's status as read under its row lock
     * @param by     how the mail matched the ticket, for the audit entry ({@code token}, {@code references})
     * @return the new ticket message
     */
    public long addMail(DSLContext tx, String mailboxId, long ticketId, TicketStatus status, long inboundMessageId,
                        IncomingMail mail, String by) {
        return addMail(tx, mailboxId, ticketId, status, inboundMessageId, mail, by, null);
    }

    /**
     * The same, for a mail that matched ticket {@code mergedFrom} (its number) and lands here because
     * that ticket was merged into this one ({@link TicketMerges#follow}); null when it matched this one.
     */
    public long addMail(DSLContext tx, String mailboxId, long ticketId, TicketStatus status, long inboundMessageId,
                        IncomingMail mail, String by, String mergedFrom) {
        long contactId = MessageRows.requester(tx, mail);
        OffsetDateTime now = now(tx);
        boolean reopen = status.reopensOnCustomerMail();
        tx.update(TICKET)
                .set(TICKET.STATUS, (reopen ? TicketStatus.OPEN : status).value())
                .set(TICKET.UPDATED_AT, now)
                .set(TICKET.LAST_MESSAGE_AT, now)
                .where(TICKET.ID.eq(ticketId))
                .execute();
        if (reopen) {
            timers(tx, ticketId, TicketStatus.OPEN);
        }
        sla.customerWrote(tx, ticketId, status, now.toInstant());
        long messageId = MessageRows.insertInbound(tx, ticketId, contactId, inboundMessageId, mail, mail.textBody(), now);
        Actor actor = Actor.mailbox(mailboxId);
        audit.record(tx, actor, ticketId, new AuditEvent.MailThreaded(inboundMessageId, messageId, by, mergedFrom));
        if (reopen) {
            audit.record(tx, actor, ticketId, new AuditEvent.ReopenedByMail(inboundMessageId, status, TicketStatus.OPEN));
        }
        return messageId;
    }

    /**
     * Adds a delivery status notification to a ticket as an inbound message with {@code bodyText};
     * the status stays (a bounce is no customer's answer). The caller audits it
     * ({@link AuditEvent.BounceAttached}) once it knows what the bounce did to the outbox.
     *
     * @return the new ticket message
     */
    public long addBounce(DSLContext tx, long ticketId, long inboundMessageId, IncomingMail mail, String bodyText) {
        long contactId = MessageRows.requester(tx, mail);
        OffsetDateTime now = now(tx);
        tx.update(TICKET)
                .set(TICKET.UPDATED_AT, now)
                .set(TICKET.LAST_MESSAGE_AT, now)
                .where(TICKET.ID.eq(ticketId))
                .execute();
        return MessageRows.insertInbound(tx, ticketId, contactId, inboundMessageId, mail, bodyText, now);
    }

    /**
     * Opens a ticket for a quarantined mail that could not be read, imported by a member of staff.
     * The caller audits the decision ({@link AuditEvent.QuarantineDecision}).
     *
     * @param requester the sender's address as far as it could be read
     * @param bodyText  what the message says in place of the unreadable mail
     */
    public Opened importUnreadable(DSLContext tx, String mailboxId, long inboundMessageId, String requester, String subject,
                                   String bodyText) {
        long contactId = tx.insertInto(CONTACT)
                .set(CONTACT.EMAIL, requester)
                .onConflict(CONTACT.EMAIL).doUpdate().set(CONTACT.EMAIL, DSL.excluded(CONTACT.EMAIL))
                .returning(CONTACT.ID)
                .fetchOne(CONTACT.ID);
        NewTicket opened = open(tx, mailboxId, subject, contactId, null);
        long ticketId = opened.id();
        String number = opened.number();
        OffsetDateTime now = opened.createdAt();
        long messageId = tx.insertInto(TICKET_MESSAGE)
                .set(TICKET_MESSAGE.TICKET_ID, ticketId)
                .set(TICKET_MESSAGE.KIND, MessageKind.INBOUND.value())
                .set(TICKET_MESSAGE.AUTHOR_CONTACT_ID, contactId)
                .set(TICKET_MESSAGE.INBOUND_MESSAGE_ID, inboundMessageId)
                .set(TICKET_MESSAGE.BODY_TEXT, bodyText)
                .set(TICKET_MESSAGE.CREATED_AT, now)
                .returning(TICKET_MESSAGE.ID)
                .fetchOne(TICKET_MESSAGE.ID);
        return new Opened(ticketId, number, messageId);
    }

    /**
     * Stores a staff reply with its files, at most once per idempotency key, and moves the ticket's
     * timestamps. The caller has locked the ticket (replies to it are serialised) and queues the mail
     * and audits the reply ({@link AuditEvent.Reply}) in the same transaction.
     *
     * @return empty when {@code idempotencyKey} already made a message (then nothing was written)
     */
    public Optional<Reply> addReply(DSLContext tx, long ticketId, long staffId, String body, String idempotencyKey,
                                    List<Attachment> files) {
        return addStaffMessage(tx, MessageKind.OUTBOUND, ticketId, staffId, body, idempotencyKey, files);
    }

    /**
     * Adds a staff member's internal note, with its files, once per idempotency key (empty when the
     * key was used already). A note is never mailed: the caller queues nothing, and the outbox quotes
     * only inbound and outbound messages. It does not count as the ticket's last message.
     */
    public Optional<Reply> addNote(DSLContext tx, long ticketId, long staffId, String body, String idempotencyKey,
                                   List<Attachment> files) {
        return addStaffMessage(tx, MessageKind.NOTE, ticketId, staffId, body, idempotencyKey, files);
    }

    private Optional<Reply> addStaffMessage(DSLContext tx, MessageKind kind, long ticketId, long staffId, String body,
                                            String idempotencyKey, List<Attachment> files) {
        Record inserted = tx.insertInto(TICKET_MESSAGE)
                .set(TICKET_MESSAGE.TICKET_ID, ticketId)
                .set(TICKET_MESSAGE.KIND, kind.value())
                .set(TICKET_MESSAGE.AUTHOR_STAFF_ID, staffId)
                .set(TICKET_MESSAGE.BODY_TEXT, body)
                .set(TICKET_MESSAGE.IDEMPOTENCY_KEY, idempotencyKey)
                .onConflict(TICKET_MESSAGE.IDEMPOTENCY_KEY).doNothing()
                .returning(TICKET_MESSAGE.ID, TICKET_MESSAGE.CREATED_AT)
                .fetchOne();
        if (inserted == null) {
            return Optional.empty();
        }
        long messageId = inserted.get(TICKET_MESSAGE.ID);
        List<Attachment.Stored> stored = new ArrayList<>(files.size());
        for (Attachment file : files) {
            stored.add(MessageRows.insertAttachment(tx, messageId, file));
        }
        OffsetDateTime createdAt = inserted.get(TICKET_MESSAGE.CREATED_AT);
        if (kind == MessageKind.NOTE) {
            tx.update(TICKET).set(TICKET.UPDATED_AT, DSL.currentOffsetDateTime()).where(TICKET.ID.eq(ticketId)).execute();
        } else {
            tx.update(TICKET)
                    .set(TICKET.UPDATED_AT, DSL.currentOffsetDateTime())
                    .set(TICKET.LAST_MESSAGE_AT, createdAt)
                    .where(TICKET.ID.eq(ticketId))
                    .execute();
            sla.staffReplied(tx, ticketId);
        }
        return Optional.of(new Reply(messageId, createdAt, List.copyOf(stored)));
    }

    /** A ticket just inserted: what the statements after the insert need of it. */
    private record NewTicket(long id, String number, long groupId, OffsetDateTime createdAt) {
    }

    /**
     * A new open ticket of normal priority ({@link #insertTicket}) with its service-level clocks
     * started and, where its group takes part, an owner chosen by round robin.
     */
    private NewTicket open(DSLContext tx, String mailboxId, String subject, long contactId, Long linkedTo) {
        NewTicket t = insertTicket(tx, mailboxId, subject, contactId, linkedTo);
        sla.opened(tx, t.id(), t.groupId(), Priority.NORMAL, t.createdAt().toInstant());
        roundRobin.assign(tx, t.id(), t.groupId(), t.createdAt());
        return t;
    }

    /**
     * A new open ticket of normal priority in the group of its mailbox (without one, in the first
     * group); linked to {@code linkedTo} and flagged for review when that is not null. Its number
     * comes from the sequence and its times are the transaction's start, as {@link #nextNumber} and
     * {@link #now} give them, within the one statement (a mail that opens a ticket is the hot path of
     * intake: every statement counts).
     */
    private static NewTicket insertTicket(DSLContext tx, String mailboxId, String subject, long contactId, Long linkedTo) {
        Field<OffsetDateTime> now = DSL.currentOffsetDateTime();
        Record4<Long, String, Long, OffsetDateTime> t = tx.insertInto(TICKET)
                .set(TICKET.NUMBER, DSL.inline("T-").concat(TICKET_NUMBER_SEQ.nextval()))
                .set(TICKET.MAILBOX_ID, mailboxId)
                .set(TICKET.SUBJECT, subject)
                .set(TICKET.STATUS, TicketStatus.OPEN.value())
                .set(TICKET.PRIORITY, Priority.NORMAL.value())
                .set(TICKET.REQUESTER_ID, contactId)
                .set(TICKET.CREATED_AT, now)
                .set(TICKET.UPDATED_AT, now)
                .set(TICKET.LAST_MESSAGE_AT, now)
                .set(TICKET.LINKED_TICKET_ID, linkedTo)
                .set(TICKET.NEEDS_REVIEW, linkedTo != null)
                .set(TICKET.GROUP_ID, mailboxId == null ? DSL.field("default_group_id()", Long.class)
                        : DSL.field(DSL.select(MAILBOX.GROUP_ID).from(MAILBOX).where(MAILBOX.ID.eq(mailboxId))))
                .returningResult(TICKET.ID, TICKET.NUMBER, TICKET.GROUP_ID, TICKET.CREATED_AT)
                .fetchOne();
        return new NewTicket(t.value1(), t.value2(), t.value3(), t.value4());
    }

    static String nextNumber(DSLContext tx) {
        return "T-" + tx.select(TICKET_NUMBER_SEQ.nextval()).fetchOne(0, Long.class);
    }

    /** The transaction's start time: every row a transaction writes carries the same one. */
    static OffsetDateTime now(DSLContext tx) {
        return tx.select(DSL.currentOffsetDateTime()).fetchOne(0, OffsetDateTime.class);
    }
}
