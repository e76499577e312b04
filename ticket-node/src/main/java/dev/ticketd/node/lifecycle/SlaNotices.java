package dev.ticketd.node.lifecycle;

import dev.ticketd.cluster.DutyLeases;
import dev.ticketd.db.Database;
import dev.ticketd.desk.Audit;
import dev.ticketd.desk.AuditEvent;
import dev.ticketd.desk.sla.SlaClocks;
import dev.ticketd.desk.sla.SlaKind;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

import static dev.ticketd.db.generated.Tables.GROUP_MEMBER;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.SLA_ESCALATION;
import static dev.ticketd.db.generated.Tables.STAFF_GROUP;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;

/**
 * Mails the escalations that wait for it ({@code sla_escalation.notify_group_id} set, {@code notified_at}
 * not yet) to their group's people, run by the ticket timers' duty after its escalations, under its epoch.
 *
 * <p>One digest per group: a transaction that checks the epoch, takes every waiting escalation of the
 * group, writes one outbox row (kind {@code notify}) per recipient — the active members of the group
 * with full access — marks the escalations notified and audits each ticket. The outbox's sender (the
 * leader of the chosen mailbox) delivers the rows after the commit, with its retries. So an escalation
 * is mailed exactly once: it is marked for the mail in its own transaction, and marked mailed in the
 * transaction that writes the mail; a runner that lost the duty fails at the epoch check and writes
 * neither, and the next runner finds the escalation still waiting.
 *
 * <p>Bounded: at most one digest per group per {@link #GAP} (the first escalation after a quiet
 * spell is mailed at the next run; those that follow within the gap wait for it and share one mail),
 * and a digest lists at most {@value #LISTED} tickets (then says how many more and links the overdue
 * view). A storm of 1,000 escalations in one group is therefore one mail per member, not 1,000.
 *
 * <p>The mail says which ticket (number, subject, link), which target and when it was due; never
 * anything anyone wrote in the ticket beyond its subject. Stateless apart from its settings; called
 * from the duty's one thread.
 */
final class SlaNotices {

    /** The least time between two digests of one group. */
    static final Duration GAP = Duration.ofMinutes(5);
    /** The most tickets one digest lists by name. */
    static final int LISTED = 50;
    private static final Logger log = LoggerFactory.getLogger(SlaNotices.class);
    private static final DateTimeFormatter SHOWN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT);

    private final Database db;
    private final Audit audit;
    private final String duty;
    private final String publicUrl;

    /** @param publicUrl the staff URL the links in the mails start with ({@code http.public-url}) */
    SlaNotices(Database db, Audit audit, String duty, String publicUrl) {
        this.db = db;
        this.audit = audit;
        this.duty = duty;
        this.publicUrl = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
    }

    /**
     * Writes the digest of every group with escalations waiting whose last digest is at least {@link #GAP} old.
     *
     * @return how many escalations went into a digest
     * @throws DutyLeases.StaleDutyEpochException when another runner took the duty
     */
    int run(long epoch, Instant now) {
        List<Long> groups = db.transactions().write(tx -> tx.selectDistinct(SLA_ESCALATION.NOTIFY_GROUP_ID).from(SLA_ESCALATION)
                .where(SLA_ESCALATION.NOTIFY_GROUP_ID.isNotNull()).and(SLA_ESCALATION.NOTIFIED_AT.isNull())
                .fetch(SLA_ESCALATION.NOTIFY_GROUP_ID));
        int notified = 0;
        for (long group : groups) {
            notified += db.transactions().write(tx -> {
                DutyLeases.check(tx, duty, epoch);
                return digest(tx, group, epoch, now);
            });
        }
        return notified;
    }

    private record Waiting(long id, long ticketId, String number, String subject, SlaKind kind, OffsetDateTime dueAt, String mailboxId) {
    }

    private int digest(DSLContext tx, long groupId, long epoch, Instant now) {
        // one digest of a group at a time; "no key update", so tickets that reference the group (a key
        // share lock) are not held up, and a ticket change locking its row cannot deadlock with this
        String groupName = tx.select(STAFF_GROUP.NAME).from(STAFF_GROUP).where(STAFF_GROUP.ID.eq(groupId)).forNoKeyUpdate()
                .fetchSingle(STAFF_GROUP.NAME);
        OffsetDateTime last = tx.select(DSL.max(SLA_ESCALATION.NOTIFIED_AT)).from(SLA_ESCALATION)
                .where(SLA_ESCALATION.NOTIFY_GROUP_ID.eq(groupId)).and(SLA_ESCALATION.NOTIFIED_AT.isNotNull()).fetchOne(0, OffsetDateTime.class);
        if (last != null && last.toInstant().plus(GAP).isAfter(now)) {
            return 0; // the group had its digest lately: these wait for the next one
        }
        List<Waiting> waiting = tx.select(SLA_ESCALATION.ID, SLA_ESCALATION.TICKET_ID, TICKET.NUMBER, TICKET.SUBJECT, SLA_ESCALATION.KIND,
                        SLA_ESCALATION.DUE_AT, TICKET.MAILBOX_ID)
                .from(SLA_ESCALATION).join(TICKET).on(TICKET.ID.eq(SLA_ESCALATION.TICKET_ID))
                .where(SLA_ESCALATION.NOTIFY_GROUP_ID.eq(groupId)).and(SLA_ESCALATION.NOTIFIED_AT.isNull())
                .orderBy(SLA_ESCALATION.DUE_AT, SLA_ESCALATION.ID)
                .fetch(r -> new Waiting(r.value1(), r.value2(), r.value3(), r.value4(), SlaKind.stored(r.value5()), r.value6(), r.value7()));
        if (waiting.isEmpty()) {
            return 0;
        }
        List<String> to = tx.select(STAFF_USER.EMAIL).from(GROUP_MEMBER).join(STAFF_USER).on(STAFF_USER.ID.eq(GROUP_MEMBER.USER_ID))
                .where(GROUP_MEMBER.GROUP_ID.eq(groupId)).and(GROUP_MEMBER.ACCESS.eq("full")).and(STAFF_USER.ACTIVE.isTrue())
                .orderBy(STAFF_USER.EMAIL).fetch(STAFF_USER.EMAIL);
        Optional<Record> mailbox = mailbox(tx, groupId, waiting.get(0).mailboxId());
        String reason = to.isEmpty() ? "the group has no active member with full access"
                : mailbox.isEmpty() ? "no enabled mailbox to send from" : null;
        int recipients = reason == null ? to.size() : 0;
        if (reason == null) {
            String mailboxId = mailbox.get().get(MAILBOX.ID);
            String domain = domainOf(mailbox.get().get(MAILBOX.ADDRESS));
            String subject = subject(groupName, waiting);
            String body = body(groupName, waiting);
            for (String address : to) {
                tx.insertInto(OUTBOX)
                        .set(OUTBOX.MAILBOX_ID, mailboxId)
                        .set(OUTBOX.KIND, "notify")
                        .set(OUTBOX.MESSAGE_ID, "<sla." + UUID.randomUUID() + "@" + domain + ">")
                        .set(OUTBOX.TO_ADDRESS, address)
                        .set(OUTBOX.SUBJECT, subject)
                        .set(OUTBOX.BODY_TEXT, body)
                        .set(OUTBOX.STATUS, "pending")
                        .execute();
            }
        }
        tx.update(SLA_ESCALATION).set(SLA_ESCALATION.NOTIFIED_AT, now.atOffset(ZoneOffset.UTC)).set(SLA_ESCALATION.NOTIFIED_TO, recipients)
                .where(SLA_ESCALATION.ID.in(waiting.stream().map(Waiting::id).toList())).execute();
        for (Waiting w : waiting) {
            audit.record(tx, SlaClocks.ESCALATIONS, w.ticketId(), new AuditEvent.SlaGroupNotified(w.kind().value(),
                    w.dueAt().toInstant().toString(), groupId, recipients, reason, epoch));
        }
        if (reason == null) {
            log.info("sla digest queued group={} escalations={} recipients={} duty={} epoch={}", groupId, waiting.size(), recipients, duty, epoch);
        } else {
            log.warn("sla digest not sent group={} escalations={} reason={} duty={} epoch={}", groupId, waiting.size(), reason, duty, epoch);
        }
        return waiting.size();
    }

    /** The group's first enabled mailbox, else the first ticket's if enabled, else the first enabled one at all. */
    private static Optional<Record> mailbox(DSLContext tx, long groupId, String ticketMailbox) {
        return tx.select(MAILBOX.ID, MAILBOX.ADDRESS).from(MAILBOX).where(MAILBOX.ENABLED.isTrue())
                .orderBy(DSL.when(MAILBOX.GROUP_ID.eq(groupId), 0).when(MAILBOX.ID.eq(DSL.val(ticketMailbox, MAILBOX.ID)), 1).otherwise(2),
                        MAILBOX.ID)
                .limit(1).fetchOptional().map(r -> (Record) r);
    }

    static String subject(String group, List<Waiting> waiting) {
        Waiting first = waiting.get(0);
        return waiting.size() == 1
                ? "SLA missed in " + oneLine(group) + ": " + first.number() + " " + first.kind().label()
                : "SLA missed in " + oneLine(group) + ": " + waiting.size() + " tickets";
    }

    private String body(String group, List<Waiting> waiting) {
        StringBuilder b = new StringBuilder();
        b.append(waiting.size() == 1 ? "A ticket of " : waiting.size() + " tickets of ").append(oneLine(group))
                .append(waiting.size() == 1 ? " missed its service level target:" : " missed service level targets:").append("\n\n");
        for (Waiting w : waiting.subList(0, Math.min(LISTED, waiting.size()))) {
            b.append(w.number()).append("  ").append(w.kind().label()).append(", due ")
                    .append(SHOWN.format(w.dueAt().atZoneSameInstant(ZoneOffset.UTC))).append('\n')
                    .append("  ").append(shorten(oneLine(w.subject()))).append('\n')
                    .append("  ").append(publicUrl).append("/tickets/").append(w.ticketId()).append("\n\n");
        }
        if (waiting.size() > LISTED) {
            b.append("and ").append(waiting.size() - LISTED).append(" more.\n\n");
        }
        b.append("Every ticket that is due soon or overdue: ").append(publicUrl).append("/tickets?view=due\n\n")
                .append("-- \nSent by the help desk because the group's service level policy asks for it.\n")
                .append("Replies to this mail reach the support mailbox, not these tickets.\n");
        return b.toString();
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("[\\r\\n\\t]+", " ").strip();
    }

    private static String shorten(String s) {
        return s.length() <= 120 ? s : s.substring(0, 119) + "…";
    }

    private static String domainOf(String address) {
        int at = address == null ? -1 : address.lastIndexOf('@');
        return at < 0 || at == address.length() - 1 ? "ticketd.invalid" : address.substring(at + 1).strip().replace(">", "");
    }
}
