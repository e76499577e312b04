package dev.ticketd.desk;

import dev.ticketd.db.Database;
import org.jooq.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.GROUP_MEMBER;
import static dev.ticketd.db.generated.Tables.STAFF_GROUP;
import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.STAFF_USER;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TicketsTest {

    private final Tickets tickets = new Tickets();
    private Database db;

    @BeforeEach
    void setUp() {
        db = DeskRows.databaseWithSupportMailbox();
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    @Test
    void aMailOpensAnOpenNormalTicketWithItsMessageAttachmentAndAuditEntryInTheCallersTransaction() {
        long inbound = inbound(1);
        Tickets.Opened opened = db.transactions().write(tx -> tickets.openFromMail(tx, "support", inbound,
                mail("ann@example.test", "Printer on fire"), null));

        Record ticket = db.dsl().selectFrom(TICKET).where(TICKET.ID.eq(opened.ticketId())).fetchSingle();
        assertThat(ticket.get(TICKET.NUMBER)).isEqualTo(opened.number()).startsWith("T-");
        assertThat(ticket.get(TICKET.STATUS)).isEqualTo("open");
        assertThat(ticket.get(TICKET.PRIORITY)).isEqualTo("normal");
        assertThat(ticket.get(TICKET.NEEDS_REVIEW)).isFalse();
        assertThat(db.dsl().select(TICKET_MESSAGE.KIND).from(TICKET_MESSAGE).where(TICKET_MESSAGE.ID.eq(opened.messageId()))
                .fetchSingle(TICKET_MESSAGE.KIND)).isEqualTo("inbound");
        assertThat(db.dsl().fetchCount(ATTACHMENT, ATTACHMENT.TICKET_MESSAGE_ID.eq(opened.messageId()))).isEqualTo(1);
        assertThat(db.dsl().select(AUDIT_LOG.ACTOR, AUDIT_LOG.ACTION).from(AUDIT_LOG).where(AUDIT_LOG.TICKET_ID.eq(opened.ticketId()))
                .fetch(r -> r.value1() + " " + r.value2())).containsExactly("mailbox:support ticket.opened_from_mail");
    }

    @Test
    void aMailOpensItsTicketInTheGroupOfItsMailbox() {
        long billing = db.dsl().insertInto(STAFF_GROUP).set(STAFF_GROUP.NAME, "Billing").returning(STAFF_GROUP.ID).fetchOne(STAFF_GROUP.ID);
        db.dsl().update(MAILBOX).set(MAILBOX.GROUP_ID, billing).where(MAILBOX.ID.eq("support")).execute();

        Tickets.Opened opened = db.transactions().write(tx -> tickets.openFromMail(tx, "support", inbound(1),
                mail("ann@example.test", "Invoice twice"), null));

        assertThat(db.dsl().select(TICKET.GROUP_ID).from(TICKET).where(TICKET.ID.eq(opened.ticketId())).fetchSingle(TICKET.GROUP_ID))
                .isEqualTo(billing);
    }

    @Test
    void movingATicketToAGroupItsOwnerCannotWorkLeavesItWithoutOwnerAndSaysWhoInTheAuditLog() {
        long billing = db.dsl().insertInto(STAFF_GROUP).set(STAFF_GROUP.NAME, "Billing").returning(STAFF_GROUP.ID).fetchOne(STAFF_GROUP.ID);
        long support = db.dsl().select(STAFF_GROUP.ID).from(STAFF_GROUP).where(STAFF_GROUP.NAME.eq("Support")).fetchSingle(STAFF_GROUP.ID);
        long ann = staff("ann@example.test", "agent");
        db.dsl().insertInto(GROUP_MEMBER).set(GROUP_MEMBER.GROUP_ID, support).set(GROUP_MEMBER.USER_ID, ann)
                .set(GROUP_MEMBER.ACCESS, "full").execute();
        long ticket = db.transactions().write(tx -> tickets.openFromMail(tx, "support", inbound(1),
                mail("bob@example.test", "Refund"), null)).ticketId();
        Actor lead = Actor.staff("lead@example.test");

        Tickets.Change<Optional<String>> taken = db.transactions().write(tx -> tickets.setOwner(tx, ticket, lead, ann)).orElseThrow();
        Tickets.Change<String> moved = db.transactions().write(tx -> tickets.setGroup(tx, ticket, lead, billing)).orElseThrow();

        assertThat(taken.to()).contains("ann@example.test");
        assertThat(moved).isEqualTo(new Tickets.Change<>("Support", "Billing"));
        Record row = db.dsl().selectFrom(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle();
        assertThat(row.get(TICKET.GROUP_ID)).isEqualTo(billing);
        assertThat(row.get(TICKET.OWNER_ID)).as("ann has no access to Billing").isNull();
        assertThat(db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG)
                .where(AUDIT_LOG.TICKET_ID.eq(ticket)).and(AUDIT_LOG.ACTION.eq("ticket.group_changed"))
                .fetchSingle(AUDIT_LOG.DETAIL).data())
                .contains("\"from\": \"Support\"").contains("\"to\": \"Billing\"").contains("\"ownerRemoved\": \"ann@example.test\"");
        assertThatThrownBy(() -> db.transactions().write(tx -> tickets.setOwner(tx, ticket, lead, ann)))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("full access to group Billing");
        assertThat(db.transactions().write(tx -> tickets.setGroup(tx, ticket, lead, billing)).orElseThrow().changed())
                .as("moving it where it is writes nothing").isFalse();
        assertThat(db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(ticket).and(AUDIT_LOG.ACTION.eq("ticket.group_changed"))))
                .isEqualTo(1);
    }

    private long staff(String email, String role) {
        return db.dsl().insertInto(STAFF_USER).set(STAFF_USER.EMAIL, email).set(STAFF_USER.DISPLAY_NAME, email)
                .set(STAFF_USER.PASSWORD_HASH, "x").set(STAFF_USER.ROLE, role).returning(STAFF_USER.ID).fetchOne(STAFF_USER.ID);
    }

    @Test
    void whenTheCallersTransactionRollsBackNothingOfTheTicketRemains() {
        long inbound = inbound(1);
        assertThatThrownBy(() -> db.transactions().write(tx -> {
            tickets.openFromMail(tx, "support", inbound, mail("ann@example.test", "Printer on fire"), null);
            throw new IllegalStateException("the caller's own work failed after the ticket was written");
        })).isInstanceOf(IllegalStateException.class);

        assertThat(db.dsl().fetchCount(TICKET)).isZero();
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE)).isZero();
        assertThat(db.dsl().fetchCount(ATTACHMENT)).isZero();
        assertThat(db.dsl().fetchCount(AUDIT_LOG)).isZero();
    }

    @Test
    void aCustomersMailReopensAResolvedTicketAndSaysSoInTheAuditLog() {
        Tickets.Opened opened = db.transactions().write(tx -> tickets.openFromMail(tx, "support", inbound(1),
                mail("ann@example.test", "Printer on fire"), null));
        db.dsl().update(TICKET).set(TICKET.STATUS, TicketStatus.RESOLVED.value()).where(TICKET.ID.eq(opened.ticketId())).execute();

        long second = inbound(2);
        db.transactions().write(tx -> tickets.addMail(tx, "support", opened.ticketId(), TicketStatus.RESOLVED, second,
                mail("ann@example.test", "Re: Printer on fire"), "token"));

        assertThat(db.dsl().select(TICKET.STATUS).from(TICKET).where(TICKET.ID.eq(opened.ticketId())).fetchSingle(TICKET.STATUS))
                .isEqualTo("open");
        assertThat(db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG)
                .where(AUDIT_LOG.ACTION.eq("ticket.reopened_by_mail")).fetchSingle(AUDIT_LOG.DETAIL).data())
                .isEqualTo("{\"to\": \"open\", \"from\": \"resolved\", \"inboundMessageId\": " + second + "}");
    }

    @Test
    void aReplyIsStoredOncePerIdempotencyKey() {
        Tickets.Opened opened = db.transactions().write(tx -> tickets.openFromMail(tx, "support", inbound(1),
                mail("ann@example.test", "Printer on fire"), null));
        long staff = db.dsl().insertInto(STAFF_USER).set(STAFF_USER.EMAIL, "bob@example.test").set(STAFF_USER.DISPLAY_NAME, "Bob")
                .set(STAFF_USER.PASSWORD_HASH, "x").returning(STAFF_USER.ID).fetchOne(STAFF_USER.ID);

        Optional<Tickets.Reply> first = db.transactions().write(tx -> tickets.addReply(tx, opened.ticketId(), staff,
                "Unplug it.", "key-1", List.of()));
        Optional<Tickets.Reply> again = db.transactions().write(tx -> tickets.addReply(tx, opened.ticketId(), staff,
                "Unplug it.", "key-1", List.of()));

        assertThat(first).isPresent();
        assertThat(again).isEmpty();
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.KIND.eq(MessageKind.OUTBOUND.value()))).isEqualTo(1);
    }

    private long inbound(long uid) {
        return DeskRows.inbound(db.dsl(), uid);
    }

    private static IncomingMail mail(String from, String subject) {
        return new IncomingMail(from, "Ann", subject, "It smokes.", Optional.of("<p>It smokes.</p>"),
                List.of(new Attachment("photo.txt", "text/plain", Optional.empty(), "smoke".getBytes(StandardCharsets.UTF_8))));
    }

}
