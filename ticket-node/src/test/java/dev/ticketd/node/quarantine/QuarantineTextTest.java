package dev.ticketd.node.quarantine;

import dev.ticketd.mail.quarantine.HeaderPeek;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** How the quarantine page reads the headers and reasons of refused mail. */
class QuarantineTextTest {

    private static String peek(byte[] raw, String header) {
        return HeaderText.readable(HeaderPeek.header(raw, header).orElseThrow());
    }

    @Test
    void aRawUtf8SubjectIsReadAsUtf8NotAsMojibake() {
        byte[] raw = "From: Jürgen <j@example.test>\r\nSubject: Grüße aus Köln – 東京\r\n\r\nx".getBytes(StandardCharsets.UTF_8);

        assertThat(peek(raw, "Subject")).isEqualTo("Grüße aus Köln – 東京");
        assertThat(peek(raw, "From")).isEqualTo("Jürgen <j@example.test>");
    }

    @Test
    void aRawLatinSubjectIsReadAsWindows1252() {
        byte[] raw = "Subject: caf\u00e9 \u20ac5\r\n\r\nx".getBytes(java.nio.charset.Charset.forName("windows-1252"));

        assertThat(peek(raw, "Subject")).isEqualTo("café €5");
    }

    @Test
    void encodedWordsAreDecodedAndStayAsTheyAre() {
        byte[] raw = "Subject: =?UTF-8?B?R3LDvMOfZQ==?= =?ISO-8859-1?Q?caf=E9?=\r\n\r\nx".getBytes(StandardCharsets.US_ASCII);

        assertThat(peek(raw, "Subject")).isEqualTo("Grüßecafé");
    }

    @Test
    void aUtf8SubjectCutInsideACharacterLosesOnlyThatCharacter() {
        // HeaderPeek keeps 300 chars of one byte each: 299 ASCII, then the first byte of "ü"
        byte[] raw = ("Subject: " + "a".repeat(299) + "ü and more\r\n\r\nx").getBytes(StandardCharsets.UTF_8);

        assertThat(peek(raw, "Subject")).isEqualTo("a".repeat(299));
    }

    @Test
    void properTextAndNullArePassedThrough() {
        assertThat(HeaderText.readable("Grüße 東京")).isEqualTo("Grüße 東京");
        assertThat(HeaderText.readable("plain")).isEqualTo("plain");
        assertThat(HeaderText.readable(null)).isNull();
    }

    @Test
    void aPlainReasonIsShownAsItIs() {
        QuarantineReason reason = QuarantineReason.of("The mail has no sender address, so nobody could be answered.");

        assertThat(reason.plain()).isEqualTo("The mail has no sender address, so nobody could be answered.");
        assertThat(reason.technical()).isNull();
    }

    @Test
    void aRawExceptionTextIsSplitOffAsTechnicalDetail() {
        QuarantineReason reason = QuarantineReason.of("unreadable MIME structure: jakarta.mail.MessagingException: Missing start boundary;\n"
                + "  nested exception is: java.io.IOException: boom");

        assertThat(reason.plain()).isEqualTo("unreadable MIME structure");
        assertThat(reason.technical()).startsWith("jakarta.mail.MessagingException: Missing start boundary").contains("java.io.IOException");
    }

    @Test
    void anExceptionTextAloneGetsAPlainSentence() {
        QuarantineReason reason = QuarantineReason.of("java.lang.IllegalStateException: bad state\n\tat dev.ticketd.mail.MailParser.parse(MailParser.java:95)");

        assertThat(reason.plain()).isEqualTo(QuarantineReason.UNREADABLE);
        assertThat(reason.technical()).startsWith("java.lang.IllegalStateException");
        assertThat(QuarantineReason.of(null).plain()).isEqualTo(QuarantineReason.UNREADABLE);
    }
}
