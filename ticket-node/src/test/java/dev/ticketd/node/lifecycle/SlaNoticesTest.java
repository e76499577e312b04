package dev.ticketd.node.lifecycle;

import dev.ticketd.cluster.DutyLeases;
import dev.ticketd.db.Database;
import dev.ticketd.desk.Tickets;
import dev.ticketd.node.web.TestData;
import dev.ticketd.testing.TestPostgres;
import org.jooq.Record;
import org.jooq.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.GROUP_MEMBER;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.SLA_ESCALATION;
import static dev.ticketd.db.generated.Tables.SLA_POLICY;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The escalation mails, against a real PostgreSQL: a policy that asks for them gets one digest per
 * group in the outbox, to the active members with full access, naming ticket, target, due time and
 * link but nothing anyone wrote; each escalation is mailed once, across runs and a duty handover;
 * digests of a group are spaced out; a storm is one mail per member. Time comes from a clock the
 * test moves. (The outbox's sender delivering a 'notify' row is {@code OutboxSenderTest}'s.)
 */
class SlaNoticesTest {

    private static final String URL = "https://desk.example.test";
    private Database db;
    private TestData data;
    private final Tickets tickets = new Tickets();
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-07T10:00:00Z"));
    private DutyLeases leases;
    private TicketTimers timers;
    private long group;

    @BeforeEach
    void setUp() {
        db = TestPostgres.freshDatabase();
        data = new TestData(db);
        data.mailbox("support", "support@desk.example.test");
        group = data.group("Support");
        db.dsl().insertInto(SLA_POLICY).set(SLA_POLICY.GROUP_ID, group).set(SLA_POLICY.PRIORITY, "normal")
                .set(SLA_POLICY.FIRST_RESPONSE_SECONDS, 600L).set(SLA_POLICY.NOTIFY_GROUP, true).execute();
        member("ann@desk.example.test", "full", true);
        member("dan@desk.example.test", "full", true);
        member("bob@desk.example.test", "read", true);      // may only read the group's tickets: not told
        member("cy@desk.example.test", "full", false);      // deactivated: not told
        leases = new DutyLeases(db.transactions(), Duration.ofSeconds(2));
        timers = new TicketTimers(db, leases, tickets, new TicketTimerSettings("node-a", Duration.ofDays(7), Duration.ofHours(1), 2,
                Duration.ofSeconds(1), Duration.ofSeconds(2), URL + "/"), new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        });
    }

    @AfterEach
    void tearDown() {
        timers.close();
        db.close();
    }

    @Test
    void missedTargetsAreMailedOnceInOneDigestToTheGroupsActiveFullMembers() {
        long t1 = opened("T-1", "Printer on fire");
        long t2 = opened("T-2", "Toner low");
        long t3 = opened("T-3", "Paper jam");
        data.inbound(t1, "support", "<m1@example.test>", "t-1@example.test", "my password is hunter2",
                "Subject: x\r\n\r\nmy password is hunter2".getBytes(StandardCharsets.US_ASCII));
        long epoch = leases.acquire(TicketTimers.DUTY, "node-a");
        now.set(now.get().plus(Duration.ofMinutes(11)));

        TicketTimers.Run run = timers.runOnce(epoch);

        assertThat(run.escalated()).isEqualTo(3);
        assertThat(run.notified()).isEqualTo(3);
        Result<Record> mails = notices();
        assertThat(mails.getValues(OUTBOX.TO_ADDRESS)).containsExactly("ann@desk.example.test", "dan@desk.example.test");
        assertThat(mails.getValues(OUTBOX.MAILBOX_ID)).containsOnly("support");
        assertThat(mails.getValues(OUTBOX.STATUS)).containsOnly("pending");
        assertThat(mails.getValues(OUTBOX.TICKET_ID)).containsOnlyNulls();
        assertThat(mails.getValues(OUTBOX.SUBJECT)).containsOnly("SLA missed in Support: 3 tickets");
        String body = mails.get(0).get(OUTBOX.BODY_TEXT);
        assertThat(body).contains("T-1  first response, due 2026-12-07 10:10 UTC", "Printer on fire", URL + "/tickets/" + t1,
                URL + "/tickets/" + t2, URL + "/tickets/" + t3, "Toner low", "Paper jam", URL + "/tickets?view=due");
        assertThat(body).as("nothing anyone wrote beyond the subject").doesNotContain("hunter2");
        assertThat(mails.getValues(OUTBOX.MESSAGE_ID)).doesNotHaveDuplicates().allMatch(id -> id.endsWith("@desk.example.test>"));
        assertThat(db.dsl().fetchCount(SLA_ESCALATION, SLA_ESCALATION.NOTIFIED_AT.isNotNull().and(SLA_ESCALATION.NOTIFIED_TO.eq(2))))
                .isEqualTo(3);
        assertThat(db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.ACTION.eq("ticket.sla_group_notified"))).isEqualTo(3);
        assertThat(timers.notifiedTotal()).isEqualTo(3);

        now.set(now.get().plus(Duration.ofHours(1)));
        assertThat(timers.runOnce(epoch).notified()).as("a later run mails nothing again").isZero();
        assertThat(notices()).hasSize(2);
    }

    @Test
    void aGroupGetsAtMostOneDigestPerGapAndWhatEscalatedMeanwhileWaitsForTheNext() {
        Instant start = now.get();
        opened("T-1", "Printer on fire");                        // due at start + 10 min
        now.set(start.plus(Duration.ofMinutes(3)));
        opened("T-2", "Toner low");                              // due at start + 13 min
        long epoch = leases.acquire(TicketTimers.DUTY, "node-a");

        now.set(start.plus(Duration.ofMinutes(11)));
        assertThat(timers.runOnce(epoch).notified()).isEqualTo(1);
        assertThat(notices().getValues(OUTBOX.SUBJECT)).containsOnly("SLA missed in Support: T-1 first response");

        now.set(start.plus(Duration.ofMinutes(14)));
        assertThat(timers.runOnce(epoch)).as("T-2 escalates 3 minutes after the group's digest: it waits")
                .extracting(TicketTimers.Run::escalated, TicketTimers.Run::notified).containsExactly(1, 0);
        assertThat(notices()).hasSize(2);

        now.set(start.plus(Duration.ofMinutes(11)).plus(SlaNotices.GAP));
        assertThat(timers.runOnce(epoch).notified()).isEqualTo(1);
        assertThat(notices()).hasSize(4);
        assertThat(notices().get(3).get(OUTBOX.SUBJECT)).isEqualTo("SLA missed in Support: T-2 first response");
        assertThat(db.dsl().fetchCount(SLA_ESCALATION, SLA_ESCALATION.NOTIFIED_AT.isNull())).isZero();
    }

    @Test
    void aRunnerThatLostTheDutyMailsNothingAndTheNextRunnerMailsItOnce() {
        opened("T-1", "Printer on fire");
        long first = leases.acquire(TicketTimers.DUTY, "node-a");
        now.set(now.get().plus(Duration.ofMinutes(11)));
        // the escalation committed (marked for the mail), then the runner stopped before the digest
        SlaEscalations escalations = new SlaEscalations(db, tickets.sla(), TicketTimers.DUTY, "node-a", 10);
        assertThat(escalations.run(first, now.get())).isEqualTo(1);
        long second = leases.acquire(TicketTimers.DUTY, "node-b");
        SlaNotices stale = new SlaNotices(db, tickets.audit(), TicketTimers.DUTY, URL);

        assertThatThrownBy(() -> stale.run(first, now.get())).isInstanceOf(DutyLeases.StaleDutyEpochException.class);
        assertThat(notices()).isEmpty();
        assertThat(db.dsl().fetchCount(SLA_ESCALATION, SLA_ESCALATION.NOTIFIED_AT.isNull())).isEqualTo(1);

        assertThat(timers.runOnce(second).notified()).isEqualTo(1);
        assertThat(timers.runOnce(second).notified()).isZero();
        assertThat(notices()).hasSize(2);
        assertThat(db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG).where(AUDIT_LOG.ACTION.eq("ticket.sla_group_notified"))
                .fetchSingle(AUDIT_LOG.DETAIL).data()).contains("\"epoch\": " + second, "\"recipients\": 2");
    }

    @Test
    void aStormOfEscalationsIsOneMailPerMemberListingTheFirstFifty() {
        for (int i = 1; i <= 57; i++) {
            opened("T-" + i, "Outage " + i);
        }
        long epoch = leases.acquire(TicketTimers.DUTY, "node-a");
        now.set(now.get().plus(Duration.ofMinutes(11)));

        TicketTimers.Run run = timers.runOnce(epoch);

        assertThat(run.escalated()).isEqualTo(57);
        assertThat(run.notified()).isEqualTo(57);
        Result<Record> mails = notices();
        assertThat(mails).hasSize(2);
        assertThat(mails.get(0).get(OUTBOX.SUBJECT)).isEqualTo("SLA missed in Support: 57 tickets");
        String body = mails.get(0).get(OUTBOX.BODY_TEXT);
        assertThat(body).contains("and 7 more.", "/tickets?view=due");
        assertThat(body.split("first response, due", -1)).as("tickets listed by name").hasSize(SlaNotices.LISTED + 1);
    }

    @Test
    void aPolicyThatDoesNotAskMailsNobody() {
        db.dsl().update(SLA_POLICY).set(SLA_POLICY.NOTIFY_GROUP, false).execute();
        opened("T-1", "Printer on fire");
        long epoch = leases.acquire(TicketTimers.DUTY, "node-a");
        now.set(now.get().plus(Duration.ofMinutes(11)));

        assertThat(timers.runOnce(epoch)).extracting(TicketTimers.Run::escalated, TicketTimers.Run::notified).containsExactly(1, 0);
        assertThat(notices()).isEmpty();
        assertThat(db.dsl().fetchCount(SLA_ESCALATION, SLA_ESCALATION.NOTIFY_GROUP_ID.isNotNull())).isZero();
    }

    @Test
    void aGroupWithNobodyToTellIsAuditedAndMailsNothing() {
        db.dsl().deleteFrom(GROUP_MEMBER).execute();
        opened("T-1", "Printer on fire");
        long epoch = leases.acquire(TicketTimers.DUTY, "node-a");
        now.set(now.get().plus(Duration.ofMinutes(11)));

        assertThat(timers.runOnce(epoch).notified()).isEqualTo(1);
        assertThat(notices()).isEmpty();
        assertThat(db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG).where(AUDIT_LOG.ACTION.eq("ticket.sla_group_notified"))
                .fetchSingle(AUDIT_LOG.DETAIL).data()).contains("\"recipients\": 0", "no active member with full access");
        assertThat(timers.runOnce(epoch).notified()).as("not tried again").isZero();
    }

    private Result<Record> notices() {
        return db.dsl().select(OUTBOX.TO_ADDRESS, OUTBOX.MAILBOX_ID, OUTBOX.STATUS, OUTBOX.TICKET_ID, OUTBOX.SUBJECT, OUTBOX.BODY_TEXT,
                OUTBOX.MESSAGE_ID).from(OUTBOX).where(OUTBOX.KIND.eq("notify")).orderBy(OUTBOX.ID).fetch().into(OUTBOX.fields());
    }

    private void member(String email, String access, boolean active) {
        long user = db.dsl().insertInto(STAFF_USER).set(STAFF_USER.EMAIL, email).set(STAFF_USER.DISPLAY_NAME, email)
                .set(STAFF_USER.PASSWORD_HASH, "x").set(STAFF_USER.ACTIVE, active).returning(STAFF_USER.ID).fetchOne(STAFF_USER.ID);
        db.dsl().insertInto(GROUP_MEMBER).set(GROUP_MEMBER.GROUP_ID, group).set(GROUP_MEMBER.USER_ID, user)
                .set(GROUP_MEMBER.ACCESS, access).execute();
    }

    private long opened(String number, String subject) {
        long id = data.ticket(number, subject, "open", "support", number.toLowerCase() + "@example.test");
        db.transactions().write(tx -> {
            tickets.sla().opened(tx, id, now.get());
            return null;
        });
        return id;
    }
}
