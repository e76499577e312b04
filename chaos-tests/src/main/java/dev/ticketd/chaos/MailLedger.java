package dev.ticketd.chaos;

import dev.ticketd.chaos.db.CommitTimes;
import dev.ticketd.chaos.scenario.check.Checker;
import dev.ticketd.chaos.scenario.check.History;
import dev.ticketd.chaos.scenario.check.History.Kind;
import dev.ticketd.chaos.scenario.check.History.Outcome;
import dev.ticketd.chaos.scenario.check.History.Send;
import dev.ticketd.chaos.scenario.check.History.Stored;
import dev.ticketd.mail.testing.TestMailServer;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/**
 * The customers' side of a run: every mail the harness handed to the mail server, by its unique
 * subject, recorded as an operation that completed ok, fail or unknown ({@link SmtpOutcome}), and
 * the final accounting against the database by the {@link Checker}: each accepted mail must be
 * exactly one stored inbound message and one ticket message, a mail whose send had no observed
 * answer may be there once or not at all; anything else is lost, duplicated or unexpected.
 */
public final class MailLedger {

    private static final Logger log = LoggerFactory.getLogger(MailLedger.class);

    /**
     * What the check found; {@code lost + duplicated + unexpected == 0} is a pass. {@code sent}: mails
     * the server took; {@code sendFailures}: mails it certainly did not take; {@code unknown}: sends
     * whose answer was never seen, {@code unknownStored} of them in the database.
     */
    public record Accounting(int sent, int sendFailures, int unknown, int unknownStored, int stored, int ticketMessages,
                             int lost, int duplicated, int unexpected, int leftInInbox, List<String> lostSubjects) {
        public boolean clean() {
            return lost == 0 && duplicated == 0 && unexpected == 0;
        }
    }

    private final String prefix;
    private final TestMailServer mail;
    private final String to;
    private final Map<String, Send> sends = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();

    public MailLedger(String prefix, TestMailServer mail, String to) {
        this.prefix = prefix;
        this.mail = mail;
        this.to = to;
    }

    /** Sends one uniquely tagged mail over SMTP and records how the send ended. */
    public void sendOne() {
        String subject = prefix + "-" + sequence.incrementAndGet();
        Instant invoked = Instant.now();
        // invoked: a send the run stops in the middle of stays unknown
        sends.put(subject, new Send(subject, Kind.NEW, null, invoked, Outcome.UNKNOWN));
        Outcome outcome;
        try {
            mail.send(to, List.of(mail.textMail("customer" + (sequence.get() % 17) + "@customers.test", to, subject,
                    "chaos load " + subject)));
            outcome = Outcome.OK;
        } catch (RuntimeException e) {
            outcome = SmtpOutcome.of(e);
            log.warn("send failed subject={} outcome={} error={}", subject, outcome.id(), e.toString());
        }
        sends.put(subject, new Send(subject, Kind.NEW, null, invoked, outcome));
    }

    /** Mails the mail server took. */
    public int sentCount() {
        return (int) sends.values().stream().filter(s -> s.outcome() == Outcome.OK).count();
    }

    /** When the mail with this subject was handed to the mail server, if it took it. */
    public Instant sentAt(String subject) {
        Send s = sends.get(subject);
        return s == null || s.outcome() != Outcome.OK ? null : s.invokedAt();
    }

    /** Waits (bounded) until every accepted mail has a ticket message, then counts. */
    public Accounting account(DSLContext db, String user, String password, Duration drain) throws InterruptedException {
        int accepted = sentCount();
        try {
            Poll.until("every accepted mail is a ticket message", drain,
                    () -> countTicketMessages(db) >= accepted);
        } catch (IllegalStateException e) {
            log.warn("{}", e.getMessage()); // the counts below say what is missing
        } catch (RuntimeException e) {
            log.warn("database not answering while draining: {}", e.toString());
        }
        boolean tracked = CommitTimes.tracked(db);
        Field<OffsetDateTime> committedAt = tracked ? CommitTimes.INBOUND_MESSAGE_COMMITTED_AT
                : DSL.castNull(SQLDataType.TIMESTAMPWITHTIMEZONE);
        List<Stored> stored = db.select(INBOUND_MESSAGE.ID, INBOUND_MESSAGE.MAILBOX_ID, INBOUND_MESSAGE.SUBJECT, INBOUND_MESSAGE.EPOCH,
                        committedAt, INBOUND_MESSAGE.RECEIVED_AT, TICKET_MESSAGE.TICKET_ID)
                .from(INBOUND_MESSAGE)
                .leftJoin(TICKET_MESSAGE).on(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(INBOUND_MESSAGE.ID))
                .where(INBOUND_MESSAGE.SUBJECT.startsWith(prefix + "-"))
                .fetch(r -> new Stored(r.value1(), r.value2(), r.value3(), r.value4(),
                        r.value5() == null ? null : r.value5().toInstant(), r.value6().toInstant(), r.value7(),
                        r.value7() == null ? null : r.value7().toString()));
        Checker.Verdicts v = Checker.check(new History(List.copyOf(sends.values()), stored));
        List<String> lost = v.lost().stream().map(Checker.Lost::tag).sorted().toList();
        int inbox = mail.uids(to, password, "INBOX").size();
        return new Accounting(v.accepted(), (int) sends.values().stream().filter(s -> s.outcome() == Outcome.FAIL).count(),
                v.unknowns().sends(), v.unknowns().stored(),
                (int) stored.stream().mapToLong(Stored::inboundId).distinct().count(),
                (int) stored.stream().filter(s -> s.ticketId() != null).count(), lost.size(), v.duplicatedCopies(),
                v.unexpected().size(), inbox, lost.subList(0, Math.min(20, lost.size())));
    }

    private int countTicketMessages(DSLContext db) {
        return db.fetchCount(db.selectDistinct(INBOUND_MESSAGE.SUBJECT).from(TICKET_MESSAGE)
                .join(INBOUND_MESSAGE).on(INBOUND_MESSAGE.ID.eq(TICKET_MESSAGE.INBOUND_MESSAGE_ID))
                .where(INBOUND_MESSAGE.SUBJECT.startsWith(prefix + "-")));
    }
}
