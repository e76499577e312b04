package dev.ticketd.node.lifecycle;

import dev.ticketd.cluster.DutyLeases;
import dev.ticketd.db.Database;
import dev.ticketd.desk.sla.SlaClocks;
import dev.ticketd.desk.sla.SlaKind;
import org.jooq.Record2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.TICKET_SLA_CLOCK;

/**
 * The SLA escalations, run by the ticket timers' duty ({@link TicketTimers}) under its epoch: every
 * clock due by now and not yet escalated for its due time is escalated, each in its own transaction
 * that checks the epoch first. Exactly once per (ticket, target kind, due time): the escalation row's
 * unique key refuses a second one even if two runners raced (a stale runner's transaction fails at
 * the epoch check before that), and a runner that stopped mid-run leaves the rest to the next runner,
 * which finds them still due (nothing is skipped).
 *
 * <p>Stateless apart from its settings; called from the duty's one thread.
 */
final class SlaEscalations {

    private static final Logger log = LoggerFactory.getLogger(SlaEscalations.class);

    private final Database db;
    private final SlaClocks clocks;
    private final String duty;
    private final String nodeId;
    private final int batch;

    SlaEscalations(Database db, SlaClocks clocks, String duty, String nodeId, int batch) {
        this.db = db;
        this.clocks = clocks;
        this.duty = duty;
        this.nodeId = nodeId;
        this.batch = batch;
    }

    /**
     * Escalates everything due by {@code now}, batch after batch.
     *
     * @return how many escalations this run wrote
     * @throws DutyLeases.StaleDutyEpochException when another runner took the duty
     */
    int run(long epoch, Instant now) {
        int escalated = 0;
        while (true) {
            List<Record2<Long, String>> due = due(now);
            int escalatedNow = 0;
            for (Record2<Long, String> clock : due) {
                long ticketId = clock.value1();
                SlaKind kind = SlaKind.stored(clock.value2());
                Optional<SlaClocks.Escalation> done = db.transactions().write(tx -> {
                    DutyLeases.check(tx, duty, epoch);
                    return clocks.escalateWhenDue(tx, ticketId, kind, now, epoch, nodeId);
                });
                if (done.isPresent()) {
                    escalatedNow++;
                    log.info("sla escalated ticket={} target={} dueAt={} raisedTo={} duty={} epoch={}", ticketId, kind.value(),
                            done.get().dueAt(), done.get().raisedTo() == null ? "-" : done.get().raisedTo().value(), duty, epoch);
                }
            }
            escalated += escalatedNow;
            // each clock of a batch is marked (escalated or found answered), so the next query moves on;
            // a batch that escalated nothing ends the run all the same (the next run looks again)
            if (due.size() < batch || escalatedNow == 0) {
                return escalated;
            }
        }
    }

    /** The earliest due clocks not yet escalated for their due time, at most a batch ({@code ticket_sla_clock_escalation_idx}). */
    private List<Record2<Long, String>> due(Instant now) {
        return db.transactions().write(tx -> tx.select(TICKET_SLA_CLOCK.TICKET_ID, TICKET_SLA_CLOCK.KIND).from(TICKET_SLA_CLOCK)
                .where(TICKET_SLA_CLOCK.DUE_AT.isNotNull())
                .and(TICKET_SLA_CLOCK.ESCALATED_DUE_AT.isDistinctFrom(TICKET_SLA_CLOCK.DUE_AT))
                .and(TICKET_SLA_CLOCK.DUE_AT.le(now.atOffset(ZoneOffset.UTC)))
                .orderBy(TICKET_SLA_CLOCK.DUE_AT).limit(batch).fetch());
    }
}
