package dev.ticketd.mail.quarantine;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Headers of mail the parser refused, read as a person would: whatever the bytes' charset. */
class HeaderPeekTest {

    @Test
    void rawUtf8HeaderBytesAreReadAsUtf8() {
        byte[] raw = mail("Subject: Grüße aus Köln".getBytes(StandardCharsets.UTF_8));
        assertThat(HeaderPeek.header(raw, "Subject")).contains("Grüße aus Köln");
    }

    @Test
    void rawLatin1HeaderBytesAreReadAsWindows1252() {
        byte[] raw = mail("Subject: Grüße – 10 €".getBytes(java.nio.charset.Charset.forName("windows-1252")));
        assertThat(HeaderPeek.header(raw, "Subject")).contains("Grüße – 10 €");
    }

    @Test
    void encodedWordsAreDecodedAsBefore() {
        byte[] raw = mail("Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= und mehr".getBytes(StandardCharsets.US_ASCII));
        assertThat(HeaderPeek.header(raw, "Subject")).contains("Grüße und mehr");
    }

    private static byte[] mail(byte[] subjectLine) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("From: ann@example.test\r\n".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(subjectLine);
        out.writeBytes("\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
