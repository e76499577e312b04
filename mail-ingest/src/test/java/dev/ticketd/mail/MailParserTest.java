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
    void aMailWithoutSenderFailsWithAReasonStaffUnderstand() {
        ParseResult r = parser.parse(rfc822("""
                To: support@example.test
                Subject: who am I

                body
                """));
        assertThat(r).isEqualTo(new ParseResult.Failed("The mail has no sender address we can read"));
    }

    @Test
    void aMultipartWhoseBoundaryNeverComesIsReadAsTheTextItHolds() {
        ParsedMail m = parsed("""
                From: a@example.test
                Subject: broken
                Content-Type: multipart/mixed; boundary="never-used"

                no parts at all
                """);
        assertThat(m.textBody()).isEqualTo("no parts at all");
    }

    @Test
    void aFromWithCommentsIsReadAsMailProgramsShowIt() {
        ParsedMail m = parsed("""
                From: Pete(A wonderful \\) chap) <pete(his account)@silly.test(his host)>
                Subject: hi

                body
                """);
        assertThat(m.fromAddress()).isEqualTo("pete@silly.test");
        assertThat(m.fromName()).isEqualTo("Pete");
    }

    @Test
    void aFromWithAnUnquotedNameOrTwoAddressesGivesTheFirstAddress() {
        assertThat(parsed("From: Big Bug bb@bug.com\nSubject: x\n\nbody\n").fromAddress()).isEqualTo("bb@bug.com");
        assertThat(parsed("From: tim@example.test concierge@example.test\nSubject: x\n\nbody\n").fromAddress())
                .isEqualTo("tim@example.test");
    }

    @Test
    void anUnquotedBoundaryWithAnEqualsSignIsStillTheBoundary() {
        ParsedMail m = parsed("""
                From: a@example.test
                Subject: outlook express
                Content-Type: multipart/alternative;
                \tboundary=----=_NextPart_000_0093_01C81419.EB75E850

                ------=_NextPart_000_0093_01C81419.EB75E850
                Content-Type: text/plain

                plain words
                ------=_NextPart_000_0093_01C81419.EB75E850--
                """);
        assertThat(m.textBody()).isEqualTo("plain words");
    }

    @Test
    void contentTypeTextWithoutSubtypeIsPlainText() {
        assertThat(parsed("From: a@example.test\nSubject: x\nContent-Type: text\n\nold mailer\n").textBody())
                .isEqualTo("old mailer");
    }

    @Test
    void aNamedInlineTextPartIsShownAndKeptAsAFile() {
        ParsedMail m = parsed("""
                From: a@example.test
                Subject: notes
                Content-Type: multipart/mixed; boundary="b"

                --b
                Content-Type: text/plain

                See my notes.
                --b
                Content-Type: text/plain; name="notes.txt"

                the notes
                --b--
                """);
        assertThat(m.textBody()).contains("See my notes.").contains("the notes");
        assertThat(m.attachments()).extracting(MailAttachment::filename).containsExactly("notes.txt");
    }

    @Test
    void aHeaderSectionEndedByALineOfSpacesKeepsItsBody() {
        ParsedMail m = parsed("From: a@example.test\nSubject: x\n \nThe body begins here.\n");
        assertThat(m.subject()).isEqualTo("x");
        assertThat(m.textBody()).isEqualTo("The body begins here.");
    }

    @Test
    void plainAndHtmlSiblingsOfAMixedAreAllShownInOrder() {
        ParsedMail m = parsed("""
                From: a@example.test
                Subject: mixed
                Content-Type: multipart/mixed; boundary="b"

                --b
                Content-Type: text/plain

                first plain
                --b
                Content-Type: text/html

                <p>then html</p>
                --b
                Content-Type: text/plain

                last plain
                --b--
                """);
        assertThat(m.textBody()).containsSubsequence("first plain", "then html", "last plain");
        assertThat(m.htmlBody()).hasValueSatisfying(html -> assertThat(html).containsSubsequence("first plain", "then html", "last plain"));
    }

    @Test
    void theMessagesOfADigestAreAttachmentsAndTheTextSaysSo() {
        ParsedMail m = parsed("""
                From: list@example.test
                Subject: digest
                Content-Type: multipart/digest; boundary="d"

                --d

                From: a@example.test
                Subject: first

                one
                --d

                From: b@example.test
                Subject: second

                two
                --d--
                """);
        assertThat(m.attachments()).extracting(MailAttachment::filename).containsExactly("first.eml", "second.eml");
        assertThat(m.attachments()).extracting(MailAttachment::contentType).containsOnly("message/rfc822");
        assertThat(m.textBody()).contains("A digest of 2 messages, attached: first.eml, second.eml");
    }

    @Test
    void attachmentNamesLoseTheirDirectionOverrides() {
        ParsedMail m = parsed("""
                From: a@example.test
                Subject: invoice
                Content-Type: multipart/mixed; boundary="b"

                --b
                Content-Type: application/octet-stream
                Content-Disposition: attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe

                MZ
                --b--
                """);
        assertThat(m.attachments()).extracting(MailAttachment::filename).containsExactly("invoicefdp.exe");
    }

    @Test
    void longSubjectsNamesAndTextsAreCutWithANote() {
        ParsedMail m = parsed("From: \"" + "N".repeat(300) + "\" <a@example.test>\nSubject: " + "s".repeat(5000)
                + "\n\n" + "t".repeat(1_000_000 + 10) + "\n");
        assertThat(m.subject()).hasSize(MailParser.MAX_SUBJECT).endsWith("…");
        assertThat(m.fromName()).hasSize(MailParser.MAX_DISPLAY_NAME).endsWith("…");
        assertThat(m.textBody()).endsWith("(the rest of this text is in the original mail)")
                .hasSizeLessThan(1_000_000 + 100);
    }

    @Test
    void aHugeHeaderIsCutBeforeItIsRead() {
        ParsedMail m = parsed("From: a@example.test\nSubject: " + "w ".repeat(200_000) + "\n\nbody\n");
        assertThat(m.subject()).hasSizeLessThanOrEqualTo(MailParser.MAX_SUBJECT);
        assertThat(m.textBody()).isEqualTo("body");
    }

    private ParsedMail parsed(String mail) {
        ParseResult r = parser.parse(rfc822(mail));
        assertThat(r).as(r.toString()).isInstanceOf(ParseResult.Parsed.class);
        return ((ParseResult.Parsed) r).mail();
    }

    @Test
    void aMailOfTwentyThousandNestedMultipartsIsReadTwentyDeepAndTheRestKeptAsOneAttachment() {
        // 1.3 MB: the bounce search once walked every level, quadratic in time, and overflowed the stack
        StringBuilder body = new StringBuilder();
        int depth = 20_000;
        for (int d = 0; d < depth; d++) {
            body.append("--b").append(d).append("\r\nContent-Type: multipart/mixed; boundary=b").append(d + 1).append("\r\n\r\n");
        }
        body.append("--b").append(depth).append("\r\nContent-Type: text/plain\r\n\r\ndeep down\r\n");
        ParseResult r = parser.parse(rfc822("From: deep@example.test\r\nTo: support@example.test\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=b0\r\n\r\n" + body));

        assertThat(r).as(r.toString()).isInstanceOf(ParseResult.Parsed.class);
        ParsedMail m = ((ParseResult.Parsed) r).mail();
        assertThat(m.fromAddress()).isEqualTo("deep@example.test");
        assertThat(m.bounce()).isEmpty();
        assertThat(m.attachments()).singleElement().satisfies(a -> {
            assertThat(a.contentType()).isEqualTo("multipart/mixed");
            assertThat(new String(a.content(), java.nio.charset.StandardCharsets.ISO_8859_1)).contains("deep down");
        });
    }
}
