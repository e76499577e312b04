package dev.ticketd.node.quarantine;

import java.time.OffsetDateTime;

/**
 * The answer to a quarantine action.
 *
 * @param inboundMessageId the mail
 * @param action           the action that decided it (for a retry that still failed: the retry)
 * @param resolved         whether the mail has left the quarantine (false only for a retry that still cannot read it)
 * @param repeated         true when the mail had already been decided by this same action: this is that first result
 * @param outcome          what happened, for people
 * @param ticketId         the ticket the mail is now on, if any
 * @param ticketNumber     its number, if any
 * @param actor            who decided it
 * @param actedAt          when
 */
public record QuarantineResult(long inboundMessageId, String action, boolean resolved, boolean repeated, String outcome,
                               Long ticketId, String ticketNumber, String actor, OffsetDateTime actedAt) {
}
