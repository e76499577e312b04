package dev.ticketd.node.ticket;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * One line of the ticket list; also the JSON shape of the API's list. {@code tags} are sorted. {@code owner} (an address) and
 * {@code ownerName} are null for a ticket nobody owns. {@code slaDueAt} is when the earliest running SLA target is due
 * ({@code slaDueKind}: which, e.g. {@code first_response}), {@code slaState} {@code overdue}, {@code due_soon} or null;
 * all three null when no SLA clock runs.
 */
public record TicketSummary(long id, String number, String subject, String status, String priority, String group,
                            String owner, String ownerName, String requester, int messageCount, OffsetDateTime createdAt,
                            List<String> tags, OffsetDateTime slaDueAt, String slaDueKind, String slaState) {

    /** The position of this line in a list sorted {@code sort}: the due time for {@link TicketSort#DUE}, else the creation time. */
    OffsetDateTime key(TicketSort sort) {
        return sort == TicketSort.DUE ? slaDueAt : createdAt;
    }
}
