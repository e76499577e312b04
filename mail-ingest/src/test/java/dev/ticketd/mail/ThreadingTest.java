package dev.ticketd.mail;

import dev.ticketd.db.Database;
import dev.ticketd.db.generated.tables.records.TicketRecord;
import dev.ticketd.desk.Tickets;
import dev.ticketd.mail.outbound.Acknowledgements;
import dev.ticketd.mail.testing.Eml;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Pattern;

import static dev.ticketd.db.generated.Tables.ATTACHMENT;
import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;
import static dev.ticketd.mail.ThreadingDesk.mail;
import static org.assertj.core.api.Assertions.assertThat;

/** Threading of replies into tickets, through {@link IngestStore} against a real PostgreSQL. */
class ThreadingTest {

    private ThreadingDesk desk;
    private Database db;

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
    void aTicketTokenInTheSubjectJoinsThatTicket() {
        TicketRecord first = desk.ticketOf(desk.ingest(mail("ann@example.test", "VPN drops", "<a1@example.test>", "", "first")));

        long secondMessage = desk.ingest(mail("ann@example.test", "Re: [" + first.getNumber() + "] VPN drops (still)",
                "<a2@example.test>", "", "second"));

        assertThat(desk.ticketOf(secondMessage).getId()).isEqualTo(first.getId());
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(1);
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.TICKET_ID.eq(first.getId()))).isEqualTo(2);
    }

    @Test
    void aTokenForATicketThatDoesNotExistOpensANewTicket() {
        desk.ingest(mail("ann@example.test", "Re: [T-999999] old", "<x1@example.test>", "", "x"));
        assertThat(db.dsl().fetchCount(TICKET)).isEqualTo(1);
    }

    @Test
    void aConfigurableTokenPatternIsUsed() {
        desk.store = new IngestStore(db, new MailParser(), new TicketsFromMail(Pattern.compile("#(T-\\d+)")));
        TicketRecord first = desk.ticketOf(desk.ingest(mail("ann@example.test", "Printer", "<c1@example.test>", "", "1")));

        long reply = desk.ingest(mail("ann@example.test", "About #" + first.getNumber(), "<c2@example.test>", "", "2"));

        assertThat(desk.ticketOf(reply).getId()).isEqualTo(first.getId());
    }

    @Test
    void inReplyToAStoredCustomerMessageIdJoinsItsTicket() {
        TicketRecord first = desk.ticketOf(desk.ingest(mail("ann@example.test", "Printer", "<p1@example.test>", "", "1")));

        long reply = desk.ingest(mail("ann@example.test", "Another subject entirely", "<p2@example.test>",
                "In-Reply-To: <p1@example.test>\n", "2"));

        assertThat(desk.ticketOf(reply).getId()).isEqualTo(first.getId());
    }

    @Test
    void referencesToOurOutboxMessageIdJoinTheTicket() {
        TicketRecord first = desk.ticketOf(desk.ingest(mail("ann@example.test", "Printer", "<r1@example.test>", "", "1")));
        db.dsl().insertInto(OUTBOX).set(OUTBOX.MAILBOX_ID, "support").set(OUTBOX.TICKET_ID, first.getId())
                .set(OUTBOX.MESSAGE_ID, "<reply.42@support.example.test>").set(OUTBOX.TO_ADDRESS, "ann@example.test")
                .set(OUTBOX.SUBJECT, "Re: Printer").set(OUTBOX.BODY_TEXT, "try turning it off").execute();

        long reply = desk.ingest(mail("ann@example.test", "Re: Printer", "<r2@example.test>",
                "References: <unknown@elsewhere.test>\n <reply.42@support.example.test>\n", "did that"));

        assertThat(desk.ticketOf(reply).getId()).isEqualTo(first.getId());
    }

    @Test
    void aReplyToAStaffNoticeOfNoTicketJoinsNoTicket() {
        TicketRecord first = desk.ticketOf(desk.ingest(mail("ann@example.test", "Printer", "<n1@example.test>", "", "1")));
        db.dsl().insertInto(OUTBOX).set(OUTBOX.MAILBOX_ID, "support").set(OUTBOX.KIND, "notify")
                .set(OUTBOX.MESSAGE_ID, "<sla.7@support.example.test>").set(OUTBOX.TO_ADDRESS, "agent@support.example.test")
                .set(OUTBOX.SUBJECT, "SLA missed in Support: 2 tickets").set(OUTBOX.BODY_TEXT, "…").execute();

        long reply = desk.ingest(mail("agent@support.example.test", "Re: SLA missed in Support: 2 tickets", "<n2@example.test>",
                "In-Reply-To: <sla.7@support.example.test>\n", "on it"));

        assertThat(desk.ticketOf(reply).getId()).as("a new ticket, not an error and not someone's ticket").isNotEqualTo(first.getId());
    }

    @Test
    void theRequesterInAnyCaseAndAnyAuthorOfAnInboundMessageOnTheTicketAreParticipants() {
        TicketRecord first = desk.ticketOf(desk.ingest(mail("ann@example.test", "Printer", "<q1@example.test>", "", "1")));
        // bob wrote on this ticket before (e.g. a mail of his was moved here by staff)
        long bobsMessage = desk.ingest(mail("bob@example.test", "Printer too", "<q2@example.test>", "", "me too"));
        db.dsl().update(TICKET_MESSAGE).set(TICKET_MESSAGE.TICKET_ID, first.getId()).where(TICKET_MESSAGE.ID.eq(bobsMessage)).execute();

        long ann = desk.ingest(mail("ANN@Example.test", "Re: [" + first.getNumber() + "]", "<q3@example.test>", "", "again"));
        long bob = desk.ingest(mail("bob@example.test", "Re: [" + first.getNumber() + "]", "<q4@example.test>", "", "and me"));

        assertThat(desk.ticketOf(ann).getId()).isEqualTo(first.getId());
        assertThat(desk.ticketOf(bob).getId()).isEqualTo(first.getId());
        assertThat(desk.ticketOf(bob).getNeedsReview()).isFalse();
    }

    @Test
    void anUnknownSenderWithAValidTokenOpensALinkedFlaggedTicketInsteadOfJoining() {
        TicketRecord first = desk.ticketOf(desk.ingest(mail("ann@example.test", "Account", "<u1@example.test>", "", "1")));

        long stranger = desk.ingest(mail("mallory@evil.test", "Re: [" + first.getNumber() + "] Account",
                "<u2@evil.test>", "In-Reply-To: <u1@example.test>\n", "let me in"));

        TicketRecord linked = desk.ticketOf(stranger);
        assertThat(linked.getId()).isNotEqualTo(first.getId());
        assertThat(linked.getLinkedTicketId()).isEqualTo(first.getId());
        assertThat(linked.getNeedsReview()).isTrue();
        assertThat(desk.ticket(first.getId()).getNeedsReview()).isFalse();
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.TICKET_ID.eq(first.getId()))).isEqualTo(1);
    }

    @Test
    void aReplyToAClosedTicketOpensANewTicketLinkedToItAndBothAuditLogsSaySo() {
        TicketRecord first = desk.ticketOf(desk.ingest(mail("ann@example.test", "Printer", "<f1@example.test>", "", "1")));
        db.dsl().update(TICKET).set(TICKET.STATUS, "closed").where(TICKET.ID.eq(first.getId())).execute();

        long reply = desk.ingest(mail("ann@example.test", "Re: [" + first.getNumber() + "] Printer", "<f2@example.test>", "", "broken again"));

        TicketRecord followUp = desk.ticketOf(reply);
        assertThat(followUp.getId()).isNotEqualTo(first.getId());
        assertThat(followUp.getLinkedTicketId()).isEqualTo(first.getId());
        assertThat(followUp.getNeedsReview()).isFalse();
        assertThat(followUp.getStatus()).isEqualTo("open");
        assertThat(desk.ticket(first.getId()).getStatus()).isEqualTo("closed");
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE, TICKET_MESSAGE.TICKET_ID.eq(first.getId()))).isEqualTo(1);
        assertThat(db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG)
                .where(AUDIT_LOG.TICKET_ID.eq(first.getId())).and(AUDIT_LOG.ACTION.eq("ticket.follow_up_opened"))
                .fetchSingle(AUDIT_LOG.DETAIL).data()).contains("\"followUpNumber\": \"" + followUp.getNumber() + "\"");
        assertThat(db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG)
                .where(AUDIT_LOG.TICKET_ID.eq(followUp.getId())).and(AUDIT_LOG.ACTION.eq("ticket.opened_from_mail"))
                .fetchSingle(AUDIT_LOG.DETAIL).data()).contains("\"linkedTicketId\": " + first.getId()).doesNotContain("needsReview");
        // acknowledged like any new ticket, under the same rules (here the per-sender rate limit: ann had one a moment ago)
        assertThat(db.dsl().fetchCount(AUDIT_LOG, AUDIT_LOG.TICKET_ID.eq(followUp.getId())
                .and(AUDIT_LOG.ACTION.in("ticket.ack_queued", "ticket.ack_suppressed")))).isEqualTo(1);
    }

    @Test
    void aReplyToAClosedTicketReopensItWhenFollowUpsAreOffAndTheAuditLogSaysSo() {
        desk.store = new IngestStore(db, new MailParser(), new TicketsFromMail(TicketsFromMail.DEFAULT_TOKEN,
                Acknowledgements.defaults(), new Tickets(), false));
        TicketRecord first = desk.ticketOf(desk.ingest(mail("ann@example.test", "Printer", "<z1@example.test>", "", "1")));
        db.dsl().update(TICKET).set(TICKET.STATUS, "closed").where(TICKET.ID.eq(first.getId())).execute();

        desk.ingest(mail("ann@example.test", "Re: [" + first.getNumber() + "] Printer", "<z2@example.test>", "", "broken again"));

        TicketRecord after = desk.ticket(first.getId());
        assertThat(after.getStatus()).isEqualTo("open");
        assertThat(after.getLastMessageAt()).isAfter(first.getLastMessageAt());
        assertThat(after.getUpdatedAt()).isAfter(first.getUpdatedAt());
        assertThat(db.dsl().select(AUDIT_LOG.DETAIL).from(AUDIT_LOG)
                .where(AUDIT_LOG.TICKET_ID.eq(first.getId())).and(AUDIT_LOG.ACTION.eq("ticket.reopened_by_mail"))
                .fetchSingle(AUDIT_LOG.DETAIL).data()).contains("\"from\": \"closed\"");
    }

    @Test
    void theSanitisedHtmlAndTheAttachmentsAreStoredWithTheMessage() {
        long message = desk.ingest(Eml.load("05-related-inline-image.eml"));

        String html = db.dsl().select(TICKET_MESSAGE.BODY_HTML).from(TICKET_MESSAGE).where(TICKET_MESSAGE.ID.eq(message))
                .fetchSingle(TICKET_MESSAGE.BODY_HTML);
        assertThat(html).contains("cid:shot1@example.test").doesNotContain("tracker.example.test");
        var attachment = db.dsl().selectFrom(ATTACHMENT).where(ATTACHMENT.TICKET_MESSAGE_ID.eq(message)).fetchSingle();
        assertThat(attachment.getFilename()).isEqualTo("screenshot.png");
        assertThat(attachment.getContentType()).isEqualTo("image/png");
        assertThat(attachment.getContentId()).isEqualTo("shot1@example.test");
        assertThat(attachment.getSizeBytes()).isEqualTo(attachment.getContent().length);
    }

    @Test
    void theSameMailDeliveredTwiceWithOtherTraceHeadersIsStoredOnce() {
        byte[] mail = mail("ann@example.test", "Once", "<once@example.test>", "", "body");
        byte[] first = concat("Received: from relay-a.example.test by mx\r\n", mail);
        byte[] second = concat("Received: from relay-b.example.test by mx\r\nDelivered-To: support@example.test\r\n", mail);

        assertThat(desk.store.ingest(new IngestStore.IncomingMail("support", 1, desk.nextUid(), first), desk.epoch))
                .isEqualTo(IngestStore.Outcome.TICKETED);
        assertThat(desk.store.ingest(new IngestStore.IncomingMail("support", 1, desk.nextUid(), second), desk.epoch))
                .isEqualTo(IngestStore.Outcome.ALREADY_STORED);
        assertThat(db.dsl().fetchCount(TICKET_MESSAGE)).isEqualTo(1);
    }

    private static byte[] concat(String head, byte[] rest) {
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(h, h.length + rest.length);
        System.arraycopy(rest, 0, out, h.length, rest.length);
        return out;
    }




}
