package dev.ticketd.chaos;

import dev.ticketd.mail.testing.TestMailServer;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.jooq.impl.DSL.count;

/**
 * The customers' side of a run: every mail the harness handed to the mail server, by its unique
 * subject, and the final accounting against the database — each accepted mail must be exactly
 * one stored inbound message and one ticket message; anything else is lost, duplicated or unexpected.
 */
public final class MailLedger {

    private static final Logger log = LoggerFactory.getLogger(MailLedger.class);

    /** What the check found; {@code lost + duplicated + unexpected == 0} is a pass. */
    public record Accounting(int sent, int sendFailures, int stored, int ticketMessages, int lost, int duplicated,
                             int unexpected, int leftInInbox, List<String> lostSubjects) {
        public boolean clean() {
            return lost == 0 && duplicated == 0 && unexpected == 0;
        }
    }

    private final String prefix;
    private final TestMailServer mail;
    private final String to;
    private final Map<String, Instant> sent = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicInteger sendFailures = new AtomicInteger();

    public MailLedger(String prefix, TestMailServer mail, String to) {
        this.prefix = prefix;
        this.mail = mail;
        this.to = to;
    }

    /** Sends one uniquely tagged mail over SMTP; a mail the server did not accept is counted apart (not ours to lose). */
    public void sendOne() {
        String subject = prefix + "-" + sequence.incrementAndGet();
        try {
            mail.send(to, List.of(mail.textMail("customer" + (sequence.get() % 17) + "@customers.test", to, subject,
                    "chaos load " + subject)));
            sent.put(subject, Instant.now());
        } catch (RuntimeException e) {
            sendFailures.incrementAndGet();
            log.warn("send failed subject={} error={}", subject, e.toString());
        }
    }

    public int sentCount() {
        return sent.size();
    }

    /** When the mail with this subject was accepted by the mail server. */
    public Instant sentAt(String subject) {
        return sent.get(subject);
    }

    /** Waits (bounded) until every accepted mail has a ticket message, then counts. */
    public Accounting account(DSLContext db, String user, String password, Duration drain) throws InterruptedException {
        try {
            Poll.until("every accepted mail is a ticket message", drain,
                    () -> countTicketMessages(db) >= sent.size());
        } catch (IllegalStateException e) {
            log.warn("{}", e.getMessage()); // the counts below say what is missing
        } catch (RuntimeException e) {
            log.warn("database not answering while draining: {}", e.toString());
        }
        Map<String, Integer> stored = db.select(INBOUND_MESSAGE.SUBJECT, count()).from(INBOUND_MESSAGE)
                .where(INBOUND_MESSAGE.SUBJECT.startsWith(prefix + "-"))
                .groupBy(INBOUND_MESSAGE.SUBJECT).fetchMap(r -> r.value1(), r -> r.value2());
        Map<String, Integer> messages = db.select(INBOUND_MESSAGE.SUBJECT, count()).from(TICKET_MESSAGE)
                .join(INBOUND_MESSAGE).on(INBOUND_MESSAGE.ID.eq(TICKET_MESSAGE.INBOUND_MESSAGE_ID))
                .where(INBOUND_MESSAGE.SUBJECT.startsWith(prefix + "-"))
                .groupBy(INBOUND_MESSAGE.SUBJECT).fetchMap(r -> r.value1(), r -> r.value2());
        List<String> lost = sent.keySet().stream().filter(s -> !messages.containsKey(s)).sorted().toList();
        int duplicated = 0;
        for (Map<String, Integer> m : List.of(stored, messages)) {
            duplicated += m.values().stream().mapToInt(c -> Math.max(0, c - 1)).sum();
        }
        Set<String> unexpected = new HashSet<>(stored.keySet());
        unexpected.addAll(messages.keySet());
        unexpected.removeAll(sent.keySet());
        int inbox = mail.uids(to, password, "INBOX").size();
        return new Accounting(sent.size(), sendFailures.get(), stored.values().stream().mapToInt(Integer::intValue).sum(),
                messages.values().stream().mapToInt(Integer::intValue).sum(), lost.size(), duplicated, unexpected.size(), inbox,
                lost.subList(0, Math.min(20, lost.size())));
    }

    private int countTicketMessages(DSLContext db) {
        return db.fetchCount(db.selectDistinct(INBOUND_MESSAGE.SUBJECT).from(TICKET_MESSAGE)
                .join(INBOUND_MESSAGE).on(INBOUND_MESSAGE.ID.eq(TICKET_MESSAGE.INBOUND_MESSAGE_ID))
                .where(INBOUND_MESSAGE.SUBJECT.startsWith(prefix + "-")));
    }
}
