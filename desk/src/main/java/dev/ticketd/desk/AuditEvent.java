package dev.ticketd.desk;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.SortedSet;

/**
 * What an audit entry records: {@link #auditAction()} goes to {@code audit_log.action}, the record's
 * components (serialised by {@link Audit}) to {@code audit_log.detail}. The action names and the
 * detail keys are read by tests, the web UI and operators' queries: rename none of them.
 *
 * <p>Absent optional components ({@code null}) are left out of the detail unless marked otherwise.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public sealed interface AuditEvent {

    @JsonIgnore
    String auditAction();

    /** A mail opened a ticket; a linked one (flagged for review) when its sender is no participant of the ticket it matched. */
    record OpenedFromMail(long inboundMessageId, Long linkedTicketId, String needsReview) implements AuditEvent {
        public static OpenedFromMail of(long inboundMessageId, Long linkedTicketId) {
            return new OpenedFromMail(inboundMessageId, linkedTicketId,
                    linkedTicketId == null ? null : "sender is not a participant of the linked ticket");
        }

        @Override
        public String auditAction() {
            return "ticket.opened_from_mail";
        }
    }

    /**
     * A mail joined a ticket; {@code by} says how it matched ({@code token} or {@code references});
     * {@code mergedFrom} names the ticket it matched when that was merged into this one (absent otherwise).
     */
    record MailThreaded(long inboundMessageId, long ticketMessageId, String by, String mergedFrom) implements AuditEvent {
        public MailThreaded(long inboundMessageId, long ticketMessageId, String by) {
            this(inboundMessageId, ticketMessageId, by, null);
        }

        @Override
        public String auditAction() {
            return "ticket.mail_threaded";
        }
    }

    /**
     * A member of staff merged this ticket into {@code intoTicketId}: its {@code messages} moved there
     * and it is closed; merge {@code mergeId} may be undone for a while.
     */
    record MergedInto(long mergeId, long intoTicketId, String intoNumber, int messages, TicketStatus statusBefore)
            implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.merged_into";
        }
    }

    /** A member of staff merged {@code fromTicketId} into this ticket: its {@code messages} and the tags this one lacked moved here. */
    record MergedFrom(long mergeId, long fromTicketId, String fromNumber, int messages, SortedSet<String> tagsAdded)
            implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.merged_from";
        }
    }

    /**
     * A member of staff undid merge {@code mergeId} of {@code sourceTicketId} into {@code targetTicketId}:
     * the {@code messages} it moved went back and the source has its status again (written on both tickets).
     */
    record MergeUndone(long mergeId, long sourceTicketId, String sourceNumber, long targetTicketId, String targetNumber,
                       int messages, TicketStatus statusRestored) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.merge_undone";
        }
    }

    /** A member of staff split message {@code ticketMessageId} off this ticket into the new ticket {@code toTicketId}. */
    record MessageSplitOff(long ticketMessageId, long toTicketId, String toNumber) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.message_split_off";
        }
    }

    /** This ticket was opened by a member of staff splitting message {@code ticketMessageId} off {@code fromTicketId}. */
    record SplitFrom(long ticketMessageId, long fromTicketId, String fromNumber) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.split_from";
        }
    }

    /** A member of staff made {@code childTicketId} a child of {@code parentTicketId} (written on both tickets). */
    record Linked(long parentTicketId, String parentNumber, long childTicketId, String childNumber) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.linked";
        }
    }

    /** A member of staff removed the link of parent {@code parentTicketId} and child {@code childTicketId} (written on both). */
    record Unlinked(long parentTicketId, String parentNumber, long childTicketId, String childNumber) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.unlinked";
        }
    }

    /** A member of staff changed the ticket's tags: what was added and what was removed. */
    record TagsChanged(SortedSet<String> added, SortedSet<String> removed) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.tags_changed";
        }
    }

    /**
     * A member of staff applied a macro ({@code macroId}, named {@code name} then) and it changed the
     * ticket; the changes themselves follow as their own entries of the same transaction.
     */
    record MacroApplied(long macroId, String name) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.macro_applied";
        }
    }

    /** A member of staff left an internal note (never mailed). */
    record Note(long ticketMessageId, int attachments) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.note";
        }
    }

    /** A member of staff set the ticket's priority. */
    record PriorityChanged(Priority from, Priority to) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.priority_changed";
        }
    }

    /**
     * A member of staff, or a timer of the system, set the ticket's status. A ticket set pending carries
     * when it stops waiting ({@code pendingUntil}, ISO-8601) and for whom ({@code pendingKind}); a change
     * made by a timer says why ({@code reason}). {@code from} equals {@code to} when only the pending
     * time or kind changed.
     */
    record StatusChanged(TicketStatus from, TicketStatus to, String pendingUntil, PendingKind pendingKind, String reason)
            implements AuditEvent {
        public StatusChanged(TicketStatus from, TicketStatus to) {
            this(from, to, null, null, null);
        }

        @Override
        public String auditAction() {
            return "ticket.status_changed";
        }
    }

    /**
     * A member of staff gave the ticket to an owner, or took it from one ({@code null}: nobody);
     * owners by e-mail address.
     */
    record OwnerChanged(@JsonInclude(JsonInclude.Include.ALWAYS) String from,
                        @JsonInclude(JsonInclude.Include.ALWAYS) String to) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.owner_changed";
        }
    }

    /**
     * A member of staff moved the ticket to another group, by name; {@code ownerRemoved} names the
     * owner who had no full access to the new group and so is its owner no more.
     */
    record GroupChanged(String from, String to, String ownerRemoved) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.group_changed";
        }
    }

    /**
     * A customer wrote to this closed ticket; the mail opened {@code followUpTicketId} (linked to this
     * one) instead of reopening it.
     */
    record FollowUpOpened(long inboundMessageId, long followUpTicketId, String followUpNumber) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.follow_up_opened";
        }
    }

    /**
     * The SLA escalation duty found a ticket's {@code kind} target ({@code first_response}, …) missed:
     * it was due at {@code dueAt} (ISO-8601); {@code raisedTo} is the priority it raised the ticket to
     * (absent: none); {@code epoch} the duty's epoch it wrote under; {@code notifyGroup} true when it
     * waits to be mailed to the ticket's group (absent: not to be mailed).
     */
    record SlaEscalated(String kind, String dueAt, String raisedTo, long epoch, Boolean notifyGroup) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.sla_escalated";
        }
    }

    /**
     * The ticket's escalation ({@code kind}, due at {@code dueAt}) went into the digest mail of group
     * {@code groupId} to {@code recipients} people ({@code 0}: nobody to tell, or no mailbox to send from;
     * {@code reason} says which); {@code epoch}: the escalation duty's epoch it was written under.
     */
    record SlaGroupNotified(String kind, String dueAt, long groupId, int recipients, String reason, long epoch) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.sla_group_notified";
        }
    }

    /** A customer's mail opened a pending, resolved or closed ticket again. */
    record ReopenedByMail(long inboundMessageId, TicketStatus from, TicketStatus to) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.reopened_by_mail";
        }
    }

    /** A delivery status notification joined the ticket of the mail it reports on; {@code action} is the report's own word ({@code failed}, …). */
    record BounceAttached(long inboundMessageId, long ticketMessageId, String action, Long outboxId, boolean outboxFailed)
            implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.bounce_attached";
        }
    }

    /** A copy of a mail stored before (sent to two of our addresses) arrived through {@code mailboxId}. */
    record MailCopy(long inboundMessageId, long copyOfInboundMessageId, String mailboxId) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.mail_copy";
        }
    }

    /** The mail server handed out a stored mail again under other IMAP coordinates. */
    record MailDeliveredAgain(long inboundMessageId, String mailboxId, long uidValidity, long uid) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.mail_delivered_again";
        }
    }

    /** The acknowledgement of a new ticket was queued in the outbox. */
    record AckQueued(long outboxId) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.ack_queued";
        }
    }

    /** No acknowledgement: the loop rules or the rate limit forbade it; {@code reason} is the rule's name. */
    record AckSuppressed(String reason) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.ack_suppressed";
        }
    }

    /** A staff reply was stored (and queued as mail when the ticket has a mailbox). */
    record Reply(long ticketMessageId, boolean mailQueued, int attachments) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.reply";
        }
    }

    /**
     * The stale-reply guard held a staff reply instead of mailing it: the ticket received
     * {@code newMessages} customer messages or other staff replies after the version the author saw
     * ({@code seenMessageId}, 0 for none).
     */
    record ReplyHeld(long heldReplyId, long seenMessageId, int newMessages, int attachments) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.reply_held";
        }
    }

    /** Its author sent a held reply after all ({@code edited} when its text changed); it became message {@code ticketMessageId}. */
    record HeldReplySent(long heldReplyId, long ticketMessageId, boolean mailQueued, boolean edited, int attachments)
            implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.reply_sent_after_hold";
        }
    }

    /** Its author discarded a held reply: it was never mailed. */
    record HeldReplyDiscarded(long heldReplyId) implements AuditEvent {
        @Override
        public String auditAction() {
            return "ticket.reply_discarded";
        }
    }

    /**
     * A member of staff decided on a quarantined mail. The audit action is {@code quarantine.<verb>}; the
     * outcome is stored even when there is none ({@code null}).
     */
    record QuarantineDecision(@JsonIgnore String verb, long inboundMessageId, String result,
                              @JsonInclude(JsonInclude.Include.ALWAYS) String outcome, String ticket) implements AuditEvent {
        @Override
        public String auditAction() {
            return "quarantine." + verb;
        }
    }

    /** A staff login failed (unknown email, wrong password or disabled account); {@code address} is the client's. */
    record LoginFailed(String email, String address) implements AuditEvent {
        @Override
        public String auditAction() {
            return "staff.login_failed";
        }
    }

    /**
     * Too many failed logins: further attempts for this account or from this address are refused for
     * {@code seconds}; {@code lockout} counts the lockouts in a row (each one twice as long).
     */
    record LoginLockedOut(String scope, String email, String address, long seconds, int lockout) implements AuditEvent {
        @Override
        public String auditAction() {
            return "staff.login_locked_out";
        }
    }
}
