package dev.ticketd.node.ticket;

import dev.ticketd.node.web.HttpProblem;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How a reply says which version of the ticket it saw: {@code seen} in the body, or {@code If-Match}. */
class HeldReplyApiSeenTest {

    @Test
    void ifMatchCarriesTheVersionInQuotesWeakOrBareAndStarChecksNothing() {
        assertThat(HeldReplyApi.seen(null, "\"1234\"")).isEqualTo(1234L);
        assertThat(HeldReplyApi.seen(null, "W/\"1234\"")).isEqualTo(1234L);
        assertThat(HeldReplyApi.seen(null, " 1234 ")).isEqualTo(1234L);
        assertThat(HeldReplyApi.seen(null, "*")).isNull();
        assertThat(HeldReplyApi.seen(7L, "*")).isEqualTo(7L);
        assertThat(HeldReplyApi.seen(null, null)).isNull();
        assertThat(HeldReplyApi.seen(0L, null)).isZero();
    }

    @Test
    void aMalformedIfMatchOrOneThatContradictsSeenIsRefusedByName() {
        for (String bad : new String[]{"\"1234", "1234\"", "\"abc\"", "\"1\", \"2\"", "yesterday", "\"-1\""}) {
            assertThatThrownBy(() -> HeldReplyApi.seen(null, bad)).as(bad).isInstanceOf(HttpProblem.class)
                    .hasMessageContaining("If-Match must be the ticket's version in quotes");
        }
        assertThatThrownBy(() -> HeldReplyApi.seen(5L, "\"6\"")).isInstanceOf(HttpProblem.class)
                .hasMessage("seen (5) and If-Match (6) disagree; send one of them");
        assertThat(HeldReplyApi.seen(6L, "\"6\"")).isEqualTo(6L);
    }
}
