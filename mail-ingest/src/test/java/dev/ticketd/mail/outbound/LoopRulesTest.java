package dev.ticketd.mail.outbound;

import dev.ticketd.mail.ParsedMail.LoopHeaders;
import dev.ticketd.mail.outbound.LoopRules.Suppression;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class LoopRulesTest {

    private static final Set<String> OWN = Set.of("Support@Desk.example.test", "billing@desk.example.test");
    private static final String ANN = "ann@example.test";

    private static LoopHeaders headers(String autoSubmitted, String precedence, String listId, String returnPath,
                                       String suppress, boolean marker, boolean report) {
        return new LoopHeaders(autoSubmitted, precedence, listId, Optional.ofNullable(returnPath), suppress, marker, report);
    }

    @Test
    void aPersonsMailMayBeAnswered() {
        assertThat(LoopRules.check(ANN, LoopHeaders.NONE, OWN)).isEmpty();
        assertThat(LoopRules.check(ANN, headers("", "", "", "<ann@example.test>", "", false, false), OWN)).isEmpty();
    }

    @Test
    void autoSubmittedNoMayBeAnswered() {
        assertThat(LoopRules.check(ANN, headers("No", "", "", null, "", false, false), OWN)).isEmpty();
        assertThat(LoopRules.check(ANN, headers("no (a person wrote this)", "", "", null, "", false, false), OWN)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"auto-replied", "auto-generated", "Auto-Notified; owner-email=\"x@y\"", "something-new"})
    void anyOtherAutoSubmittedIsNeverAnswered(String value) {
        assertThat(LoopRules.check(ANN, headers(value, "", "", null, "", false, false), OWN)).contains(Suppression.AUTO_SUBMITTED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bulk", "JUNK", " list ", "bulk (newsletter)"})
    void bulkJunkAndListPrecedenceAreNeverAnswered(String value) {
        assertThat(LoopRules.check(ANN, headers("", value, "", null, "", false, false), OWN)).contains(Suppression.PRECEDENCE);
    }

    @Test
    void firstClassPrecedenceMayBeAnswered() {
        assertThat(LoopRules.check(ANN, headers("", "first-class", "", null, "", false, false), OWN)).isEmpty();
    }

    @Test
    void mailFromAMailingListIsNeverAnswered() {
        assertThat(LoopRules.check(ANN, headers("", "", "<users.lists.example.test>", null, "", false, false), OWN))
                .contains(Suppression.MAILING_LIST);
    }

    @ParameterizedTest
    @ValueSource(strings = {"<>", "< >", "", "<> (bounce)"})
    void anEmptyReturnPathIsNeverAnswered(String value) {
        assertThat(LoopRules.check(ANN, headers("", "", "", value, "", false, false), OWN)).contains(Suppression.EMPTY_RETURN_PATH);
    }

    @ParameterizedTest
    @ValueSource(strings = {"All", "OOF", "DR, AutoReply", "oof,rn"})
    void xAutoResponseSuppressIsHonoured(String value) {
        assertThat(LoopRules.check(ANN, headers("", "", "", null, value, false, false), OWN)).contains(Suppression.RESPONSE_SUPPRESSED);
    }

    @Test
    void xAutoResponseSuppressOfOnlyReceiptsMayBeAnswered() {
        assertThat(LoopRules.check(ANN, headers("", "", "", null, "DR, RN, NRN", false, false), OWN)).isEmpty();
    }

    @Test
    void vacationRespondersWithoutRfc3834AndDeliveryReportsAreNeverAnswered() {
        assertThat(LoopRules.check(ANN, headers("", "", "", null, "", true, false), OWN)).contains(Suppression.AUTO_REPLY_MARKER);
        assertThat(LoopRules.check(ANN, headers("", "", "", null, "", false, true), OWN)).contains(Suppression.DELIVERY_REPORT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"MAILER-DAEMON@mx.example.test", "postmaster@example.test", "noreply@shop.example.test",
            "no-reply@shop.example.test", "do-not-reply@bank.example.test", "noreply+12345@shop.example.test",
            "users-bounces@lists.example.test", "owner-users@lists.example.test", "users-request@lists.example.test"})
    void mailSystemsAndNoReplySendersAreNeverAnswered(String from) {
        assertThat(LoopRules.check(from, LoopHeaders.NONE, OWN)).contains(Suppression.ROBOT_SENDER);
    }

    @Test
    void aSenderNamedLikeARobotOnlyInPartIsAPerson() {
        assertThat(LoopRules.check("noreen@example.test", LoopHeaders.NONE, OWN)).isEmpty();
        assertThat(LoopRules.check("postmaster.general@example.test", LoopHeaders.NONE, OWN)).isEmpty();
    }

    @Test
    void ourOwnAddressesAreNeverAnsweredInAnyCase() {
        assertThat(LoopRules.check("support@desk.example.test", LoopHeaders.NONE, OWN)).contains(Suppression.OWN_ADDRESS);
        assertThat(LoopRules.check("BILLING@desk.example.test", LoopHeaders.NONE, OWN)).contains(Suppression.OWN_ADDRESS);
    }

    @Test
    void theRateLimitAllowsExactlyTheLimitPerHour() {
        assertThat(LoopRules.withinRate(0, 3)).isTrue();
        assertThat(LoopRules.withinRate(2, 3)).isTrue();
        assertThat(LoopRules.withinRate(3, 3)).isFalse();
        assertThat(LoopRules.withinRate(0, 0)).isFalse();
    }
}
