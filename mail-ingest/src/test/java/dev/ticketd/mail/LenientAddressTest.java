package dev.ticketd.mail;

import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class LenientAddressTest {

    @Test
    void commentsAnywhereAreNotPartOfTheAddressOrName() {
        assertThat(LenientAddress.first("Pete(A wonderful \\) chap) <pete(his account)@silly.test(his host)>"))
                .contains(new MailParser.Sender("pete@silly.test", "Pete"));
    }

    @Test
    void obsoleteWhiteSpaceInsideTheAngleBracketsIsDropped() {
        assertThat(LenientAddress.first("John Doe <jdoe@machine(comment).  example>"))
                .contains(new MailParser.Sender("jdoe@machine.example", "John Doe"));
    }

    @Test
    void anUnquotedNameBeforeABareAddressIsTheName() {
        assertThat(LenientAddress.first("Big Bug bb@bug.com")).contains(new MailParser.Sender("bb@bug.com", "Big Bug"));
    }

    @Test
    void ofSeveralBareAddressesTheFirstIsTheSender() {
        assertThat(LenientAddress.first("tim@example.test concierge@example.test"))
                .contains(new MailParser.Sender("tim@example.test", ""));
    }

    @Test
    void aParenthesisInsideAQuotedNameIsNoComment() {
        assertThat(LenientAddress.first("\"Ann (Sales)\" <ann@example.test> (work)"))
                .contains(new MailParser.Sender("ann@example.test", "Ann (Sales)"));
    }

    @Test
    void wordsWithoutAnAddressGiveNoSender() {
        assertThat(LenientAddress.first("me")).isEmpty();
        assertThat(LenientAddress.first("user2 <>")).isEmpty();
        assertThat(LenientAddress.first("a@@b")).isEmpty();
        assertThat(LenientAddress.first("(never closed <ann@example.test>")).isEmpty();
    }

    @Test
    void aValueIsClosedWhenEveryQuoteCommentAndAngleBracketIs() {
        assertThat(LenientAddress.closed("\"Ann (Sales)\" <ann@example.test> (work (home))")).isTrue();
        assertThat(LenientAddress.closed("Pete(A wonderful \\) chap) <pete@silly.test>")).isTrue();
        assertThat(LenientAddress.closed("\"a > b\" <ann@example.test>")).isTrue();
        assertThat(LenientAddress.closed("(never closed <ann@example.test>")).isFalse();
        assertThat(LenientAddress.closed("Ann <ann@example.test")).isFalse();
        assertThat(LenientAddress.closed("\"Ann <ann@example.test>")).isFalse();
        assertThat(LenientAddress.closed("<".repeat(100))).isFalse();
    }

    @Test
    void hostileValuesAreReadInLinearTime() {
        String[] hostile = {"(".repeat(16_384), "<".repeat(16_384), "<a@".repeat(5_000), "\"".repeat(16_384),
                "a ".repeat(8_000) + "@", "\\(".repeat(8_000)};
        assertTimeoutPreemptively(TestTimeouts.seconds(2), () -> {
            for (String value : hostile) {
                for (int i = 0; i < 20; i++) {
                    LenientAddress.first(value);
                }
            }
        });
    }
}
