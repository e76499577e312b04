package dev.ticketd.desk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The audit details keep the action names and keys they had when they were written out by hand:
 * tests, the web UI and operators' queries read them.
 */
class AuditEventTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aTicketOpenedFromMailNamesTheMailAndALinkedTicketOnlyWhenThereIsOne() {
        assertDetail(AuditEvent.OpenedFromMail.of(7, null), "ticket.opened_from_mail", "{\"inboundMessageId\":7}");
        assertDetail(AuditEvent.OpenedFromMail.of(7, 3L), "ticket.opened_from_mail",
                "{\"inboundMessageId\":7,\"linkedTicketId\":3,\"needsReview\":\"sender is not a participant of the linked ticket\"}");
    }

    @Test
    void threadingAndReopeningNameTheMailTheMessageAndTheStatusesByTheirStoredValues() {
        assertDetail(new AuditEvent.MailThreaded(7, 9, "token"), "ticket.mail_threaded",
                "{\"inboundMessageId\":7,\"ticketMessageId\":9,\"by\":\"token\"}");
        assertDetail(new AuditEvent.ReopenedByMail(7, TicketStatus.RESOLVED, TicketStatus.OPEN), "ticket.reopened_by_mail",
                "{\"inboundMessageId\":7,\"from\":\"resolved\",\"to\":\"open\"}");
    }

    @Test
    void aStatusChangeKeepsItsKeysAndAddsThePendingTimeKindAndReasonOnlyWhenThereAreAny() {
        assertDetail(new AuditEvent.StatusChanged(TicketStatus.OPEN, TicketStatus.RESOLVED), "ticket.status_changed",
                "{\"from\":\"open\",\"to\":\"resolved\"}");
        assertDetail(new AuditEvent.StatusChanged(TicketStatus.OPEN, TicketStatus.PENDING, "2026-12-24T09:00:00Z", PendingKind.INTERNAL, null),
                "ticket.status_changed",
                "{\"from\":\"open\",\"to\":\"pending\",\"pendingUntil\":\"2026-12-24T09:00:00Z\",\"pendingKind\":\"internal\"}");
        assertDetail(new AuditEvent.StatusChanged(TicketStatus.RESOLVED, TicketStatus.CLOSED, null, null, "resolved for 7 days"),
                "ticket.status_changed", "{\"from\":\"resolved\",\"to\":\"closed\",\"reason\":\"resolved for 7 days\"}");
        assertDetail(new AuditEvent.FollowUpOpened(7, 12, "T-1012"), "ticket.follow_up_opened",
                "{\"inboundMessageId\":7,\"followUpTicketId\":12,\"followUpNumber\":\"T-1012\"}");
    }

    @Test
    void aBounceNamesItsOutboxRowOnlyWhenItReportsOnOurMail() {
        assertDetail(new AuditEvent.BounceAttached(7, 9, "failed", 4L, true), "ticket.bounce_attached",
                "{\"inboundMessageId\":7,\"ticketMessageId\":9,\"action\":\"failed\",\"outboxId\":4,\"outboxFailed\":true}");
        assertDetail(new AuditEvent.BounceAttached(7, 9, "delayed", null, false), "ticket.bounce_attached",
                "{\"inboundMessageId\":7,\"ticketMessageId\":9,\"action\":\"delayed\",\"outboxFailed\":false}");
    }

    @Test
    void copiesRepeatsAcknowledgementsAndRepliesKeepTheirKeys() {
        assertDetail(new AuditEvent.MailCopy(8, 7, "support"), "ticket.mail_copy",
                "{\"inboundMessageId\":8,\"copyOfInboundMessageId\":7,\"mailboxId\":\"support\"}");
        assertDetail(new AuditEvent.MailDeliveredAgain(7, "support", 12, 40), "ticket.mail_delivered_again",
                "{\"inboundMessageId\":7,\"mailboxId\":\"support\",\"uidValidity\":12,\"uid\":40}");
        assertDetail(new AuditEvent.AckQueued(5), "ticket.ack_queued", "{\"outboxId\":5}");
        assertDetail(new AuditEvent.AckSuppressed("RATE_LIMITED"), "ticket.ack_suppressed", "{\"reason\":\"RATE_LIMITED\"}");
        assertDetail(new AuditEvent.Reply(9, true, 2), "ticket.reply", "{\"ticketMessageId\":9,\"mailQueued\":true,\"attachments\":2}");
    }

    @Test
    void anAppliedMacroNamesItsIdAndItsNameAtTheTime() {
        assertDetail(new AuditEvent.MacroApplied(3, "Refund issued"), "ticket.macro_applied", "{\"macroId\":3,\"name\":\"Refund issued\"}");
    }

    @Test
    void aQuarantineDecisionAlwaysHasAnOutcomeAndATicketOnlyWhenItMadeOne() {
        assertDetail(new AuditEvent.QuarantineDecision("retry", 7, "still-unreadable", null, null), "quarantine.retry",
                "{\"inboundMessageId\":7,\"result\":\"still-unreadable\",\"outcome\":null}");
        assertDetail(new AuditEvent.QuarantineDecision("import", 7, "imported", "imported unread as ticket T-1000", "T-1000"),
                "quarantine.import",
                "{\"inboundMessageId\":7,\"result\":\"imported\",\"outcome\":\"imported unread as ticket T-1000\",\"ticket\":\"T-1000\"}");
    }

    @Test
    void textFromAMailIsEscapedNotPastedIn() throws Exception {
        JsonNode d = JSON.readTree(Audit.detail(new AuditEvent.MailThreaded(7, 9, "a\"b\\c\n}")).data());
        assertThat(d.get("by").asText()).isEqualTo("a\"b\\c\n}");
    }

    @Test
    void aFailedLoginAndALockoutNameTheEmailTriedTheAddressAndTheLockoutsLength() {
        assertDetail(new AuditEvent.LoginFailed("ann@example.test", "10.0.0.1"), "staff.login_failed",
                "{\"email\":\"ann@example.test\",\"address\":\"10.0.0.1\"}");
        assertDetail(new AuditEvent.LoginLockedOut("account", "ann@example.test", "10.0.0.1", 120, 2), "staff.login_locked_out",
                "{\"scope\":\"account\",\"email\":\"ann@example.test\",\"address\":\"10.0.0.1\",\"seconds\":120,\"lockout\":2}");
    }

    private static void assertDetail(AuditEvent event, String action, String json) {
        assertThat(event.auditAction()).isEqualTo(action);
        try {
            assertThat(JSON.readTree(Audit.detail(event).data())).isEqualTo(JSON.readTree(json));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
