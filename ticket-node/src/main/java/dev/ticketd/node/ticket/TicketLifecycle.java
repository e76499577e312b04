package dev.ticketd.node.ticket;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The time-based part of a ticket's state: how long a pending ticket waits and for whom, when a
 * resolved ticket was resolved (it closes by itself after {@code tickets.close-resolved-after}), and
 * the ticket it is linked to (the closed ticket a follow-up continues, or the ticket a stranger's mail
 * matched). Each is null when it does not apply. {@code sla} lists its SLA targets, earliest due first (paused ones last).
 */
public record TicketLifecycle(OffsetDateTime pendingUntil, String pendingKind, OffsetDateTime resolvedAt, Long linkedTicketId,
                              String linkedTicketNumber, List<SlaTarget> sla) {

    /**
     * One running or paused SLA target of the ticket: {@code kind} ({@code first_response}, {@code next_response},
     * {@code resolution}), when it is due (null: paused while the ticket waits for the customer), its state
     * ({@code overdue}, {@code due_soon} or null) and whether it was escalated for this due time.
     */
    public record SlaTarget(String kind, OffsetDateTime dueAt, String state, boolean escalated) {

        /** How staff read the kind: "first response". */
        public String label() {
            return kind.replace('_', ' ');
        }
    }

    /** The pending time as the status form's {@code datetime-local} input shows it (UTC, to the minute), or "". */
    public String pendingUntilForForm() {
        return pendingUntil == null ? ""
                : pendingUntil.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime().truncatedTo(ChronoUnit.MINUTES).toString();
    }
}
