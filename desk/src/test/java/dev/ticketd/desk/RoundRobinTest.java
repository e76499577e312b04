package dev.ticketd.desk;

import dev.ticketd.db.Database;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.GROUP_MEMBER;
import static dev.ticketd.db.generated.Tables.STAFF_GROUP;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.WEB_SESSION;
import static org.assertj.core.api.Assertions.assertThat;

/** Round-robin assignment of new tickets, against a real PostgreSQL (issue 16, item 5). */
class RoundRobinTest {

    private final Tickets tickets = new Tickets();
    private Database db;
    private long support;
    private long uid;

    @BeforeEach
    void setUp() {
        db = DeskRows.databaseWithSupportMailbox();
        support = db.dsl().select(STAFF_GROUP.ID).from(STAFF_GROUP).where(STAFF_GROUP.NAME.eq("Support")).fetchSingle(STAFF_GROUP.ID);
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void aGroupThatDidNotOptInLeavesNewTicketsUnassigned() {
        member("ann@example.test", "full", Duration.ofMinutes(1));

        assertThat(owners(3)).containsExactly(null, null, null);
    }

    @Test
    void newTicketsGoInTurnToOnlineMembersWithFullAccessAndEachAssignmentIsAudited() {
        roundRobin(10);
        member("ann@example.test", "full", Duration.ofMinutes(1));
        member("ben@example.test", "full", Duration.ofMinutes(2));
        member("cat@example.test", "read", Duration.ofMinutes(1));       // may only read the group's tickets
        member("dan@example.test", "full", Duration.ofHours(2));         // last used the desk two hours ago
        member("eve@example.test", "full", null);                        // no session at all

        List<String> owners = owners(4);

        assertThat(owners).containsExactly("ann@example.test", "ben@example.test", "ann@example.test", "ben@example.test");
        assertThat(db.dsl().select(AUDIT_LOG.ACTOR, AUDIT_LOG.ACTION).from(AUDIT_LOG)
                .where(AUDIT_LOG.ACTION.eq("ticket.owner_changed")).fetch(r -> r.value1() + " " + r.value2()))
                .hasSize(4).allMatch(entry -> entry.equals("system:round-robin ticket.owner_changed"));
    }

    @Test
    void anAgentAtTheCapIsPassedByUntilOneOfTheirTicketsIsResolved() {
        roundRobin(2);
        long ann = member("ann@example.test", "full", Duration.ofMinutes(1));
        member("ben@example.test", "full", Duration.ofMinutes(1));

        List<String> owners = owners(5);

        assertThat(owners).containsExactly("ann@example.test", "ben@example.test", "ann@example.test", "ben@example.test", null);

        long annsFirst = db.dsl().select(TICKET.ID).from(TICKET).where(TICKET.OWNER_ID.eq(ann)).orderBy(TICKET.ID).limit(1).fetchSingle(TICKET.ID);
        db.transactions().write(tx -> tickets.setStatus(tx, annsFirst, Actor.staff("ann@example.test"), TicketStatus.RESOLVED));

        assertThat(owners(1)).containsExactly("ann@example.test");
    }

    @Test
    void turningRoundRobinOffStopsAssigning() {
        roundRobin(5);
        member("ann@example.test", "full", Duration.ofMinutes(1));
        assertThat(owners(1)).containsExactly("ann@example.test");

        db.dsl().update(STAFF_GROUP).set(STAFF_GROUP.ROUND_ROBIN_CAP, (Integer) null).where(STAFF_GROUP.ID.eq(support)).execute();

        assertThat(owners(1)).containsExactly((String) null);
    }

    private void roundRobin(int cap) {
        db.dsl().update(STAFF_GROUP).set(STAFF_GROUP.ROUND_ROBIN_CAP, cap)
                .set(STAFF_GROUP.ROUND_ROBIN_ONLINE_MINUTES, 10)
                .where(STAFF_GROUP.ID.eq(support)).execute();
    }

    /** A staff member of Support with {@code access}, whose web session was last used {@code ago} ago (null: no session). */
    private long member(String email, String access, Duration ago) {
        long id = db.dsl().insertInto(STAFF_USER).set(STAFF_USER.EMAIL, email).set(STAFF_USER.DISPLAY_NAME, email)
                .set(STAFF_USER.PASSWORD_HASH, "x").set(STAFF_USER.ROLE, "agent").returning(STAFF_USER.ID).fetchOne(STAFF_USER.ID);
        db.dsl().insertInto(GROUP_MEMBER).set(GROUP_MEMBER.GROUP_ID, support).set(GROUP_MEMBER.USER_ID, id)
                .set(GROUP_MEMBER.ACCESS, access).execute();
        if (ago != null) {
            OffsetDateTime now = db.dsl().select(org.jooq.impl.DSL.currentOffsetDateTime()).fetchSingle().value1();
            db.dsl().insertInto(WEB_SESSION).set(WEB_SESSION.TOKEN_SHA256, "t-" + email).set(WEB_SESSION.USER_ID, id)
                    .set(WEB_SESSION.CSRF_TOKEN, "c").set(WEB_SESSION.EXPIRES_AT, now.plusHours(8))
                    .set(WEB_SESSION.LAST_SEEN_AT, now.minus(ago)).execute();
        }
        return id;
    }

    /** Opens {@code count} tickets from mail, one transaction each, and gives their owners' addresses in order (null: none). */
    private List<String> owners(int count) {
        List<String> owners = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long inbound = inbound();
            Tickets.Opened opened = db.transactions().write(tx -> tickets.openFromMail(tx, "support", inbound,
                    new IncomingMail("cust" + inbound + "@example.test", "Customer", "Question " + inbound, "Hello.",
                            Optional.empty(), List.of()), null));
            owners.add(db.dsl().select(STAFF_USER.EMAIL).from(TICKET).leftJoin(STAFF_USER).on(STAFF_USER.ID.eq(TICKET.OWNER_ID))
                    .where(TICKET.ID.eq(opened.ticketId())).fetchSingle(STAFF_USER.EMAIL));
        }
        return owners;
    }

    private long inbound() {
        return DeskRows.inbound(db.dsl(), ++uid);
    }
}
