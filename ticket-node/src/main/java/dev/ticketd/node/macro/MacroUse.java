package dev.ticketd.node.macro;

import dev.ticketd.db.Database;
import dev.ticketd.desk.AuditEvent;
import dev.ticketd.desk.NotFoundException;
import dev.ticketd.node.auth.StaffUser;
import dev.ticketd.node.ticket.MacroMenu;
import dev.ticketd.node.ticket.TicketChanges;
import org.jooq.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.CONTACT;
import static dev.ticketd.db.generated.Tables.STAFF_GROUP;
import static dev.ticketd.db.generated.Tables.TICKET;

/**
 * Staff applying a macro to a ticket. Its actions go through {@link TicketChanges#apply}, the same path
 * as the ticket page's own controls: in one transaction (all of them or none), under the ticket's row
 * lock, each change audited as the member of staff, with the SLA clocks and live desk events that
 * come with it, and with the same access rule — the caller must be allowed to change the ticket (full
 * access to its group, or admin), even for a macro with only a body, and may move it to a group only
 * as the group control would let them. Its body is not sent: it is filled in for the caller to read
 * and edit, and goes out through the ordinary reply or note path (with its stale-reply guard, CSRF
 * check and idempotency key). Knows nothing of HTTP. Thread-safe.
 */
public final class MacroUse implements MacroMenu {

    /**
     * What applying a macro did: the changes; whether the caller still sees the ticket (the macro may
     * have moved it to a group they are not in); its body filled in (empty when it has none, or the
     * ticket is now out of sight).
     */
    public record Applied(Macro macro, TicketChanges.Applied changes, boolean visible, Optional<Filled> filled) {
    }

    private static final Logger log = LoggerFactory.getLogger(MacroUse.class);

    private final Database db;
    private final Macros macros;
    private final TicketChanges changes;

    public MacroUse(Database db, Macros macros, TicketChanges changes) {
        this.db = db;
        this.macros = macros;
        this.changes = changes;
    }

    /**
     * Applies macro {@code macroId}'s actions to ticket {@code ticketId} as {@code by}.
     *
     * @throws NotFoundException                          when there is no such macro or ticket, or {@code by} may not see the ticket
     * @throws dev.ticketd.desk.ForbiddenException        when {@code by} may see the ticket but not change it
     * @throws dev.ticketd.desk.InvalidRequestException   when an action no longer fits (the macro's tags would pass the
     *                                                    most a ticket may have); nothing is written
     */
    public Applied apply(long ticketId, StaffUser by, long macroId) {
        Macro macro = macros.get(macroId);
        TicketChanges.Wanted wanted = new TicketChanges.Wanted(Optional.ofNullable(macro.status()), Optional.ofNullable(macro.priority()),
                Optional.ofNullable(macro.group()), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                macro.addTags().isEmpty() ? Optional.empty() : Optional.of(macro.addTags()),
                macro.removeTags().isEmpty() ? Optional.empty() : Optional.of(macro.removeTags()));
        // an empty one still locks the ticket and checks that by may change it
        TicketChanges.Applied applied = changes.apply(ticketId, by, wanted, new AuditEvent.MacroApplied(macro.id(), macro.name()));
        log.info("macro applied macro={} ticket={} changed={} staff={}", macroId, ticketId, applied.changed(), by.id());
        boolean visible = db.dsl().fetchExists(TICKET, TICKET.ID.eq(ticketId).and(by.viewer().sees()));
        return new Applied(macro, applied, visible, visible ? fill(by, ticketId, macro) : Optional.empty());
    }

    @Override
    public List<Choice> choices() {
        return macros.list().stream().map(m -> new Choice(m.id(), m.name(), m.actionsText())).toList();
    }

    @Override
    public Optional<Filled> fill(StaffUser by, long ticketId, long macroId) {
        try {
            return fill(by, ticketId, macros.get(macroId));
        } catch (NotFoundException gone) {
            return Optional.empty();
        }
    }

    private Optional<Filled> fill(StaffUser by, long ticketId, Macro macro) {
        if (macro.body().isBlank()) {
            return Optional.empty();
        }
        Record ticket = db.read(dsl -> dsl.select(TICKET.NUMBER, TICKET.SUBJECT, STAFF_GROUP.NAME, CONTACT.EMAIL, CONTACT.DISPLAY_NAME)
                .from(TICKET).join(STAFF_GROUP).on(STAFF_GROUP.ID.eq(TICKET.GROUP_ID))
                .leftJoin(CONTACT).on(CONTACT.ID.eq(TICKET.REQUESTER_ID))
                .where(TICKET.ID.eq(ticketId)).and(by.viewer().sees())
                .fetchOne()).value();
        if (ticket == null) {
            return Optional.empty();
        }
        Map<String, String> values = new HashMap<>();
        String email = ticket.get(CONTACT.EMAIL) == null ? "" : ticket.get(CONTACT.EMAIL);
        String name = ticket.get(CONTACT.DISPLAY_NAME) == null ? "" : ticket.get(CONTACT.DISPLAY_NAME).strip();
        // a customer whose mail named nobody is greeted by address rather than by nothing
        values.put("customer.name", name.isEmpty() ? email : name);
        values.put("customer.email", email);
        values.put("ticket.number", ticket.get(TICKET.NUMBER));
        values.put("ticket.subject", ticket.get(TICKET.SUBJECT));
        values.put("ticket.group", ticket.get(STAFF_GROUP.NAME));
        values.put("agent.name", by.displayName() == null || by.displayName().isBlank() ? by.email() : by.displayName());
        values.put("agent.email", by.email());
        return Optional.of(new Filled(MacroTemplate.fill(macro.body(), values), "note".equals(macro.bodyKind())));
    }
}
