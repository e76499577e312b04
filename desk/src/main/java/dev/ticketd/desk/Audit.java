package dev.ticketd.desk;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.impl.DSL;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;

/**
 * The one writer of {@code audit_log}. Every entry is written inside the caller's transaction
 * (only the {@link DSLContext} passed in is used), so it commits or rolls back with the change it
 * records. Stateless and thread-safe.
 */
public final class Audit {

    // configured once here and never changed: ObjectMapper is thread-safe for serialising then
    private static final ObjectMapper JSON = new ObjectMapper();

    public void record(DSLContext tx, Actor actor, Long ticketId, AuditEvent event) {
        tx.insertInto(AUDIT_LOG)
                .set(AUDIT_LOG.ACTOR, actor.name())
                .set(AUDIT_LOG.ACTION, event.auditAction())
                .set(AUDIT_LOG.TICKET_ID, ticketId)
                .set(AUDIT_LOG.DETAIL, detail(event))
                .execute();
    }

    /**
     * Records the event unless the ticket has an entry of the same action whose detail contains
     * this event's detail (for a fact that may be observed more than once, such as a repeated delivery).
     *
     * @return whether an entry was written
     */
    public boolean recordOnce(DSLContext tx, Actor actor, long ticketId, AuditEvent event) {
        JSONB detail = detail(event);
        boolean recorded = tx.fetchExists(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(ticketId)
                .and(AUDIT_LOG.ACTION.eq(event.auditAction()))
                .and(DSL.condition("{0} @> {1}", AUDIT_LOG.DETAIL, DSL.val(detail))));
        if (!recorded) {
            record(tx, actor, ticketId, event);
        }
        return !recorded;
    }

    static JSONB detail(AuditEvent event) {
        try {
            return JSONB.valueOf(JSON.writeValueAsString(event));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an audit event of numbers, strings and enums always serialises: " + event, e);
        }
    }
}
