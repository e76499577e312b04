package dev.ticketd.chaos.scenario;

import org.jooq.DSLContext;
import org.jooq.impl.DSL;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static dev.ticketd.db.generated.Tables.CANARY_PROBE;
import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/**
 * The self-watch's canary mails, judged like the customers' mails: every canary its route took
 * (sent long enough before the load ended) was stored exactly once — one stored mail with its
 * Message-ID — and none became a ticket message, so none was shown to staff.
 */
final class CanaryCheck {

    /** A canary sent later than this before the end of the load may still be on its way. */
    static final Duration GRACE = Duration.ofSeconds(60);

    private CanaryCheck() {
    }

    static RunReport.Check check(DSLContext db, Instant loadEnded) {
        int sent = 0;
        int refused = 0;
        int received = 0;
        List<String> problems = new ArrayList<>();
        var stored = DSL.field(DSL.selectCount().from(INBOUND_MESSAGE).where(INBOUND_MESSAGE.MESSAGE_ID.eq(CANARY_PROBE.MESSAGE_ID)))
                .as("stored");
        var ticketed = DSL.field(DSL.selectCount().from(TICKET_MESSAGE).join(INBOUND_MESSAGE)
                .on(INBOUND_MESSAGE.ID.eq(TICKET_MESSAGE.INBOUND_MESSAGE_ID))
                .where(INBOUND_MESSAGE.MESSAGE_ID.eq(CANARY_PROBE.MESSAGE_ID))).as("ticketed");
        for (var r : db.select(CANARY_PROBE.MESSAGE_ID, CANARY_PROBE.SENT_AT, CANARY_PROBE.SEND_ERROR, CANARY_PROBE.RECEIVED_AT, stored, ticketed)
                .from(CANARY_PROBE).orderBy(CANARY_PROBE.ID).fetch()) {
            String id = r.value1();
            int copies = r.value5();
            int tickets = r.value6();
            if (r.value3() != null) {
                refused++;
                if (copies > 0 || tickets > 0) {
                    problems.add(id + " was refused by the route yet stored " + copies + "×");
                }
                continue;
            }
            sent++;
            if (r.value4() != null) {
                received++;
            }
            if (tickets > 0) {
                problems.add(id + " became " + tickets + " ticket message(s)");
            }
            if (copies > 1) {
                problems.add(id + " stored " + copies + "×");
            }
            boolean due = r.value2().toInstant().plus(GRACE).isBefore(loadEnded);
            if (due && (copies == 0 || r.value4() == null)) {
                problems.add(id + " sent at " + r.value2().toInstant() + " never came back");
            }
        }
        return new RunReport.Check("every canary the mail server took was stored exactly once and shown to no one",
                problems.isEmpty() && sent > 0,
                sent + " canaries sent, " + received + " back, " + refused + " refused by the route"
                        + (sent == 0 ? "; no canary was sent: the check proves nothing" : "")
                        + (problems.isEmpty() ? "" : "; " + problems.size() + " problem(s): "
                        + String.join("; ", problems.subList(0, Math.min(10, problems.size())))));
    }
}
