package dev.ticketd.node.ticket;

import dev.ticketd.db.Database;
import dev.ticketd.desk.Viewer;
import dev.ticketd.testing.TestPostgres;
import org.jooq.Query;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stale-reply guard's queries read indexes, not tables, on a database seeded at some scale
 * (20,000 tickets, 200,000 messages, 200,000 held replies of 200 agents, 1 % still held) and
 * analysed, with the planner left to its own choices: "Needs attention" walks
 * {@code held_reply_author_held_idx} (and so does its count on the list page), a ticket page's held replies {@code held_reply_ticket_held_idx},
 * and the guard's "what changed" only the ticket's messages, by an index that leads with the ticket.
 * (The web bench's QueryPlansIT in chaos-tests/ does not ask these routes yet.)
 */
class HeldReplyPlansTest {

    static Database db;
    static long agentId;
    static long groupId;

    @BeforeAll
    static void seed() {
        db = TestPostgres.freshDatabase();
        db.transactions().write(tx -> {
            tx.execute("insert into staff_group (name) values ('Plans') on conflict do nothing");
            tx.execute("insert into contact (email) values ('plans@example.test')");
            tx.execute("insert into staff_user (email, display_name, password_hash, role) "
                    + "select 'agent' || i || '@plans.test', 'Agent ' || i, 'x', 'agent' from generate_series(1, 200) i");
            tx.execute("insert into group_member (group_id, user_id, access) "
                    + "select (select id from staff_group where name = 'Plans'), id, 'full' from staff_user "
                    + "on conflict do nothing");
            tx.execute("insert into ticket (number, subject, status, priority, requester_id, group_id, created_at) "
                    + "select 'T-P' || i, 'Plans ' || i, 'open', 'normal', (select id from contact where email = 'plans@example.test'), "
                    + "(select id from staff_group where name = 'Plans'), now() - i * interval '1 minute' "
                    + "from generate_series(1, 20000) i");
            tx.execute("insert into ticket_message (ticket_id, kind, author_contact_id, body_text, created_at) "
                    + "select t.id, 'inbound', t.requester_id, 'message ' || i, t.created_at + i * interval '1 second' "
                    + "from ticket t, generate_series(1, 10) i");
            tx.execute("insert into held_reply (ticket_id, author_staff_id, body_text, idempotency_key, seen_message_id, status, created_at) "
                    + "select (select min(id) from ticket) + i % 20000, (select min(id) from staff_user) + i % 200, 'reply ' || i, "
                    + "'plans-' || i, 0, case when i % 100 = 0 then 'held' else 'sent' end, now() - i * interval '1 second' "
                    + "from generate_series(1, 200000) i");
            tx.execute("analyze");
            return null;
        });
        agentId = db.dsl().fetchOne("select min(id) from staff_user").get(0, Long.class);
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    private static String plan(Query query) {
        return db.dsl().fetch("explain " + db.dsl().renderInlined(query)).format(10_000);
    }

    @Test
    void needsAttentionWalksTheAuthorsHeldIndexForAnAgentAndAnAdmin() {
        for (boolean admin : new boolean[]{false, true}) {
            String plan = plan(HeldReplies.heldByQuery(db.dsl(), new Viewer(agentId, "agent1@plans.test", admin), HeldReplies.MAX_LISTED));

            assertThat(plan).as("admin=%s:\n%s", admin, plan).contains("held_reply_author_held_idx")
                    .doesNotContain("Seq Scan on held_reply").doesNotContain("Seq Scan on ticket ");
        }
    }

    @Test
    void theListPagesNeedsAttentionCountWalksTheSameIndexAndStopsAt101() {
        for (boolean admin : new boolean[]{false, true}) {
            String plan = plan(HeldReplies.heldCountQuery(db.dsl(), new Viewer(agentId, "agent1@plans.test", admin)));

            assertThat(plan).as("admin=%s:\n%s", admin, plan).contains("held_reply_author_held_idx").contains("Limit")
                    .doesNotContain("Seq Scan on held_reply").doesNotContain("Seq Scan on ticket ");
        }
    }

    @Test
    void whatChangedSinceAVersionReadsOnlyThatTicketsMessages() {
        long ticket = db.dsl().fetchOne("select max(id) from ticket").get(0, Long.class);
        long seen = db.dsl().fetchOne("select min(id) from ticket_message where ticket_id = " + ticket).get(0, Long.class);

        String plan = plan(HeldReplies.newerQuery(db.dsl(), ticket, seen, agentId));

        // one of the indexes that lead with ticket_id (ticket_message_ticket_idx or ticket_message_author_contact_idx)
        assertThat(plan).as(plan).contains("Index Cond: (ticket_id = " + ticket + ")").doesNotContain("Seq Scan on ticket_message");
    }

    @Test
    void aTicketPagesHeldRepliesUseTheTicketsHeldIndex() {
        long ticket = db.dsl().fetchOne("select min(ticket_id) from held_reply where status = 'held'").get(0, Long.class);

        String plan = plan(db.dsl().select(dev.ticketd.db.generated.Tables.HELD_REPLY.ID).from(dev.ticketd.db.generated.Tables.HELD_REPLY)
                .where(dev.ticketd.db.generated.Tables.HELD_REPLY.TICKET_ID.eq(ticket))
                .and(dev.ticketd.db.generated.Tables.HELD_REPLY.STATUS.eq(HeldReplies.HELD))
                .and(dev.ticketd.db.generated.Tables.HELD_REPLY.AUTHOR_STAFF_ID.eq(agentId)));

        assertThat(plan).as(plan).contains("held_reply_ticket_held_idx").doesNotContain("Seq Scan on held_reply");
    }
}
