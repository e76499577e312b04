package dev.ticketd.mail;

import dev.ticketd.db.Database;
import dev.ticketd.db.generated.tables.records.TicketRecord;
import dev.ticketd.desk.ConflictException;
import dev.ticketd.desk.TicketMerges;
import dev.ticketd.desk.TicketSplits;
import dev.ticketd.desk.Tickets;
import dev.ticketd.desk.Viewer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.mail.ThreadingDesk.mail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Mail to a merged ticket lands in the ticket it was merged into — by its number in the subject, by
 * a reply to a customer's mail or to one of ours — along a chain of merges, through {@link IngestStore}
 * against a real PostgreSQL; and a reply to a message split off into a new ticket lands in that ticket.
 */
class MergedThreadingTest {

    private static final Viewer LEAD = new Viewer(1, "lead@example.test", true);

    private ThreadingDesk desk;
    private Database db;
    private final TicketMerges merges = new TicketMerges(new Tickets());

    @BeforeEach
    void setUp() {
        desk = new ThreadingDesk();
        db = desk.db;
    }

    @AfterEach
    void tearDown() {
        desk.close();
    }

    @Test
    void aReplyToAMergedTicketByTokenByItsMailOrByOursLandsInTheTicketItWasMergedInto() {
        TicketRecord a = desk.ticketOf(desk.ingest(mail("ann@example.test", "VPN drops", "<a1@example.test>", "", "first")));
        TicketRecord b = desk.ticketOf(desk.ingest(mail("ann@example.test", "VPN again", "<b1@example.test>", "", "second")));
        db.dsl().insertInto(OUTBOX).set(OUTBOX.MAILBOX_ID, "support").set(OUTBOX.TICKET_ID, a.getId())
                .set(OUTBOX.MESSAGE_ID, "<ack.a@support.example.test>").set(OUTBOX.TO_ADDRESS, "ann@example.test")
                .set(OUTBOX.SUBJECT, "[" + a.getNumber() + "] VPN drops").set(OUTBOX.BODY_TEXT, "we got it").execute();
        merge(a.getId(), b.getId());

        long byToken = desk.ingest(mail("ann@example.test", "Re: [" + a.getNumber() + "] VPN drops", "<a2@example.test>", "", "token"));
        long byHerMail = desk.ingest(mail("ann@example.test", "Re: VPN drops", "<a3@example.test>", "In-Reply-To: <a1@example.test>\n", "ref"));
        long byOurs = desk.ingest(mail("ann@example.test", "Re: VPN drops", "<a4@example.test>",
                "References: <ack.a@support.example.test>\n", "ours"));

        assertThat(List.of(byToken, byHerMail, byOurs)).allSatisfy(m -> assertThat(desk.ticketOf(m).getId()).isEqualTo(b.getId()));
        assertThat(desk.ticket(a.getId()).getStatus()).as("the merged ticket stays closed: nothing reopens it").isEqualTo("closed");
        assertThat(db.dsl().fetchCount(TICKET)).as("no follow-up of the closed ticket").isEqualTo(2);
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.TICKET_ID.eq(b.getId()))).isEqualTo(5);
        assertThat(db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG).where(AUDIT_LOG.TICKET_ID.eq(b.getId()))
                .and(AUDIT_LOG.ACTION.eq("ticket.mail_threaded")).fetch(r -> r.value1().data()))
                .as("the token and our mail named the merged ticket; her own mail moved to B with the merge")
                .hasSize(3).filteredOn(d -> d.contains("\"mergedFrom\": \"" + a.getNumber() + "\"")).hasSize(2);
    }

    @Test
    void aChainOfMergesIsFollowedToItsEnd() {
        TicketRecord a = desk.ticketOf(desk.ingest(mail("ann@example.test", "One", "<c1@example.test>", "", "1")));
        TicketRecord b = desk.ticketOf(desk.ingest(mail("ann@example.test", "Two", "<c2@example.test>", "", "2")));
        TicketRecord c = desk.ticketOf(desk.ingest(mail("ann@example.test", "Three", "<c3@example.test>", "", "3")));
        merge(a.getId(), b.getId());
        merge(b.getId(), c.getId());

        long reply = desk.ingest(mail("ann@example.test", "Re: [" + a.getNumber() + "] One", "<c4@example.test>",
                "In-Reply-To: <c1@example.test>\n", "still"));

        assertThat(desk.ticketOf(reply).getId()).isEqualTo(c.getId());
        assertThat(desk.ticket(b.getId()).getMergedIntoId()).isEqualTo(c.getId());
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.TICKET_ID.eq(c.getId()))).isEqualTo(4);
    }

    @Test
    void aMergeThatWouldMakeACycleOrMergeAMergedTicketIsRefusedAndWritesNothing() {
        TicketRecord a = desk.ticketOf(desk.ingest(mail("ann@example.test", "One", "<y1@example.test>", "", "1")));
        TicketRecord b = desk.ticketOf(desk.ingest(mail("ann@example.test", "Two", "<y2@example.test>", "", "2")));
        TicketRecord c = desk.ticketOf(desk.ingest(mail("ann@example.test", "Three", "<y3@example.test>", "", "3")));
        merge(a.getId(), b.getId());
        int audited = db.dsl().fetchCount(AUDIT_LOG);

        assertThatThrownBy(() -> merge(b.getId(), a.getId())).isInstanceOf(ConflictException.class)
                .hasMessageContaining(a.getNumber() + " is itself merged");
        assertThatThrownBy(() -> merge(a.getId(), c.getId())).isInstanceOf(ConflictException.class)
                .hasMessageContaining(a.getNumber() + " is merged into another ticket already");

        assertThat(desk.ticket(b.getId()).getMergedIntoId()).isNull();
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.TICKET_ID.eq(b.getId()))).isEqualTo(2);
        assertThat(db.dsl().fetchCount(AUDIT_LOG)).isEqualTo(audited);
    }

    @Test
    void aMailToATicketWhoseMergeWasUndoneLandsInItAgain() {
        TicketRecord a = desk.ticketOf(desk.ingest(mail("ann@example.test", "One", "<u1@example.test>", "", "1")));
        TicketRecord b = desk.ticketOf(desk.ingest(mail("ann@example.test", "Two", "<u2@example.test>", "", "2")));
        merge(a.getId(), b.getId());
        db.transactions().write(tx -> merges.undo(tx, a.getId(), LEAD));

        long reply = desk.ingest(mail("ann@example.test", "Re: One", "<u3@example.test>", "In-Reply-To: <u1@example.test>\n", "back"));

        assertThat(desk.ticketOf(reply).getId()).isEqualTo(a.getId());
        assertThat(desk.ticket(a.getId()).getStatus()).isEqualTo("open");
    }

    @Test
    void repliesToAMessageSplitOffLandInTheNewTicketWhetherTheMessageWasTheCustomersOrOurs() {
        TicketRecord a = desk.ticketOf(desk.ingest(mail("ann@example.test", "Two things", "<s1@example.test>", "", "first")));
        long second = desk.ingest(mail("ann@example.test", "Re: [" + a.getNumber() + "] Two things", "<s2@example.test>", "", "second"));
        long ourReply = db.transactions().write(tx -> new Tickets().addReply(tx, a.getId(), staff(), "about the second", "k-1", List.of()))
                .orElseThrow().messageId();
        db.dsl().insertInto(OUTBOX).set(OUTBOX.MAILBOX_ID, "support").set(OUTBOX.TICKET_ID, a.getId())
                .set(OUTBOX.TICKET_MESSAGE_ID, ourReply).set(OUTBOX.MESSAGE_ID, "<reply.s@support.example.test>")
                .set(OUTBOX.TO_ADDRESS, "ann@example.test").set(OUTBOX.SUBJECT, "Re: Two things").set(OUTBOX.BODY_TEXT, "x").execute();
        TicketSplits splits = new TicketSplits(new Tickets());
        long first = db.transactions().write(tx -> splits.split(tx, a.getId(), second, LEAD)).ticketId();
        long other = db.transactions().write(tx -> splits.split(tx, a.getId(), ourReply, LEAD)).ticketId();

        long toHers = desk.ingest(mail("ann@example.test", "Re: Two things", "<s3@example.test>", "In-Reply-To: <s2@example.test>\n", "a"));
        long toOurs = desk.ingest(mail("ann@example.test", "Re: Two things", "<s4@example.test>",
                "In-Reply-To: <reply.s@support.example.test>\n", "b"));

        assertThat(desk.ticketOf(toHers).getId()).isEqualTo(first);
        assertThat(desk.ticketOf(toOurs).getId()).isEqualTo(other);
        assertThat(desk.ticket(first).getLinkedTicketId()).isEqualTo(a.getId());
    }

    private long staff() {
        return db.dsl().insertInto(STAFF_USER).set(STAFF_USER.EMAIL, "lead@example.test").set(STAFF_USER.DISPLAY_NAME, "Lead")
                .set(STAFF_USER.PASSWORD_HASH, "x").set(STAFF_USER.ROLE, "admin").returning(STAFF_USER.ID).fetchOne(STAFF_USER.ID);
    }

    private void merge(long source, long target) {
        db.transactions().write(tx -> merges.merge(tx, source, target, LEAD));
    }




}
