package dev.ticketd.mail;

import org.junit.jupiter.api.Test;

import static dev.ticketd.mail.testing.TestMailServer.rfc822;
import static org.assertj.core.api.Assertions.assertThat;

class MailParserTest {

    private final MailParser parser = new MailParser();

    @Test
    void readsTheEssentialsOfAPlainMail() {
        ParseResult r = parser.parse(rfc822("""
                From: =?UTF-8?Q?J=C3=BCrgen?= <Juergen@Example.TEST>
                To: support@example.test
                Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=
                Date: Fri, 27 Nov 2026 09:00:00 +0000
                Message-ID: <m1@example.test>
                Content-Type: text/plain; charset=UTF-8

                Hallo.
                """));
        assertThat(r).isInstanceOf(ParseResult.Parsed.class);
        ParsedMail m = ((ParseResult.Parsed) r).mail();
        assertThat(m.fromAddress()).isEqualTo("juergen@example.test");
        assertThat(m.fromName()).isEqualTo("Jürgen");
        assertThat(m.subject()).isEqualTo("Grüße");
        assertThat(m.messageId()).contains("<m1@example.test>");
        assertThat(m.sentAt()).isPresent();
        assertThat(m.textBody().strip()).isEqualTo("Hallo.");
    }

    @Test
    void takesThePlainPartOfAnAlternativeAndTextFromHtmlOnlyMail() {
        ParseResult alt = parser.parse(rfc822("""
                From: a@example.test
                Subject: alt
                MIME-Version: 1.0
                Content-Type: multipart/alternative; boundary="b1"

                --b1
                Content-Type: text/html; charset=UTF-8

                <p>html</p>
                --b1
                Content-Type: text/plain; charset=UTF-8

                plain
                --b1--
                """));
        assertThat(((ParseResult.Parsed) alt).mail().textBody().strip()).isEqualTo("plain");

        ParseResult html = parser.parse(rfc822("""
                From: a@example.test
                Subject: html
                Content-Type: text/html; charset=UTF-8

                <p>Hello <b>there</b></p><script>alert(1)</script>
                """));
        assertThat(((ParseResult.Parsed) html).mail().textBody()).contains("Hello there").doesNotContain("<b>");
    }

    @Test
    void anUnknownCharsetFallsBackInsteadOfFailing() {
        ParseResult r = parser.parse(rfc822("""
                From: a@example.test
                Subject: odd
                Content-Type: text/plain; charset=x-no-such-charset

                text
                """));
        assertThat(((ParseResult.Parsed) r).mail().textBody().strip()).isEqualTo("text");
    }

    @Test
    void aMailWithoutSenderFailsWithAReason() {
        ParseResult r = parser.parse(rfc822("""
                To: support@example.test
                Subject: who am I

                body
                """));
        assertThat(r).isEqualTo(new ParseResult.Failed("no valid From address"));
    }

    @Test
    void aMultipartWithoutItsBoundaryFailsWithAReason() {
        ParseResult r = parser.parse(rfc822("""
                From: a@example.test
                Subject: broken
                Content-Type: multipart/mixed; boundary="never-used"

                no parts at all
                """));
        assertThat(r).isInstanceOf(ParseResult.Failed.class);
        assertThat(((ParseResult.Failed) r).reason()).startsWith("unreadable MIME structure");
    }
}
