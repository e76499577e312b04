package dev.ticketd.mail;

import org.junit.jupiter.api.Test;

import static dev.ticketd.mail.testing.TestMailServer.rfc822;
import static org.assertj.core.api.Assertions.assertThat;

class ContentKeyTest {

    private static final String MAIL = """
            From: Ann <ann@example.test>
            To: support@example.test
            Subject: Printer
             on fire
            Date: Fri, 27 Nov 2026 09:00:00 +0000
            Message-ID: <abc@example.test>

            It is burning.
            """;

    @Test
    void theSameMailWithOtherTraceHeadersAndLineEndingsHasTheSameKey() {
        byte[] original = rfc822(MAIL);
        byte[] relayed = ("Received: from relay.example.test by mx.example.test; Fri, 27 Nov 2026 09:00:01 +0000\n"
                + "Delivered-To: support@example.test\n" + MAIL.replace("Subject: Printer\n on fire", "Subject: Printer on fire"))
                .getBytes();
        assertThat(ContentKey.of(relayed)).isEqualTo(ContentKey.of(original));
        assertThat(ContentKey.rawSha256(relayed)).isNotEqualTo(ContentKey.rawSha256(original));
    }

    @Test
    void aDifferentBodyOrSenderOrMessageIdIsADifferentMail() {
        String key = ContentKey.of(rfc822(MAIL));
        assertThat(ContentKey.of(rfc822(MAIL.replace("It is burning.", "It is fine.")))).isNotEqualTo(key);
        assertThat(ContentKey.of(rfc822(MAIL.replace("ann@example.test", "bob@example.test")))).isNotEqualTo(key);
        assertThat(ContentKey.of(rfc822(MAIL.replace("<abc@", "<abd@")))).isNotEqualTo(key);
    }

    @Test
    void aMailWithoutBodyOrHeadersStillHasAKey() {
        assertThat(ContentKey.of(new byte[0])).hasSize(64);
        assertThat(ContentKey.of("garbage without structure".getBytes())).hasSize(64);
    }

    @Test
    void twoMailsWithoutMessageIdAreKeptApartByTheirBytesButTheSameCopyIsRecognised() {
        String noId = MAIL.replace("Message-ID: <abc@example.test>\n", "");
        byte[] first = ("Received: from a by b; Fri, 27 Nov 2026 09:00:01 +0000\n" + noId).getBytes();
        byte[] second = ("Received: from a by b; Fri, 27 Nov 2026 09:00:02 +0000\n" + noId).getBytes();
        assertThat(ContentKey.of(first)).isNotEqualTo(ContentKey.of(second));
        assertThat(ContentKey.of(first.clone())).isEqualTo(ContentKey.of(first));
    }
}
