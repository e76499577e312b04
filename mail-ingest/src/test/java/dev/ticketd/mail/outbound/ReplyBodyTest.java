package dev.ticketd.mail.outbound;

import org.junit.jupiter.api.Test;

import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class ReplyBodyTest {

    private static final OffsetDateTime AT = OffsetDateTime.parse("2026-11-27T09:00:00+01:00");

    @Test
    void theTypedTextIsFollowedByTheSignatureAndThePreviousMessageQuoted() {
        String body = ReplyBody.compose("We are on our way.\n", Optional.of("Help Desk\nexample.test"),
                Optional.of(new ReplyBody.Quoted(AT, "Ann <ann@example.test>", "It is smoking.\n> earlier\n\nHelp!")));

        assertThat(body).isEqualTo("""
                We are on our way.

                -- \n\
                Help Desk
                example.test

                On Fri, 27 Nov 2026 at 09:00 +01:00, Ann <ann@example.test> wrote:
                > It is smoking.
                >> earlier
                >\s
                > Help!
                """);
    }

    @Test
    void withoutSignatureAndPreviousMessageTheTypedTextIsSentAsItIs() {
        assertThat(ReplyBody.compose("Just this.", Optional.empty(), Optional.empty())).isEqualTo("Just this.");
        assertThat(ReplyBody.compose("Just this.", Optional.of("  "), Optional.of(new ReplyBody.Quoted(AT, "x", " "))))
                .isEqualTo("Just this.");
    }

    @Test
    void aSignatureThatBringsItsOwnSeparatorIsNotSeparatedTwice() {
        assertThat(ReplyBody.compose("Hi", Optional.of("-- \nBob"), Optional.empty())).isEqualTo("Hi\n\n-- \nBob\n");
    }

    @Test
    void aLongPreviousMessageIsQuotedOnlyInPart() {
        String longText = IntStream.range(0, 500).mapToObj(i -> "line " + i).collect(Collectors.joining("\n"));
        String body = ReplyBody.compose("Short answer", Optional.empty(), Optional.of(new ReplyBody.Quoted(AT, "a@b.test", longText)));

        assertThat(body.lines().filter(l -> l.startsWith(">")).count()).isEqualTo(ReplyBody.MAX_QUOTED_LINES + 1);
        assertThat(body).contains("> line 0\n").doesNotContain("line 60\n").endsWith("> [...]\n");
        String oneHugeLine = "x".repeat(100_000);
        assertThat(ReplyBody.compose("ok", Optional.empty(), Optional.of(new ReplyBody.Quoted(AT, "a@b.test", oneHugeLine))))
                .hasSizeBetween(ReplyBody.MAX_QUOTED_CHARS, ReplyBody.MAX_QUOTED_CHARS + 100).endsWith("x\n> [...]\n");
    }
}
