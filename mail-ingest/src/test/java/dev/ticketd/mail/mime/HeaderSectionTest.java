package dev.ticketd.mail.mime;

import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class HeaderSectionTest {

    @Test
    void aLineOfSpacesBeforeTheBodyEndsTheHeaderSection() {
        assertThat(repaired("From: a@example.test\r\nSubject: x\r\n \r\nBody text\r\n"))
                .isEqualTo("From: a@example.test\r\nSubject: x\r\n\r\nBody text\r\n");
    }

    @Test
    void aLineOfSpacesBeforeAFieldOrAFoldIsAnEmptyFoldAndDropped() {
        assertThat(repaired("Subject: a\n \n b\nFrom: a@example.test\n\t\nTo: b@example.test\n\nbody\n"))
                .isEqualTo("Subject: a\n b\nFrom: a@example.test\nTo: b@example.test\n\nbody\n");
    }

    @Test
    void whiteSpaceBeforeTheColonOfAFieldNameIsDropped() {
        assertThat(repaired("From  : a@example.test\nSubject\t: hi\n\nbody : text\n"))
                .isEqualTo("From: a@example.test\nSubject: hi\n\nbody : text\n");
    }

    @Test
    void aWellFormedMailIsReturnedAsItIs() {
        byte[] raw = "From: a@example.test\r\nSubject: x\r\n\r\n \r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(HeaderSection.repair(raw)).isSameAs(raw);
    }

    @Test
    void theMboxFromLineIsLeftAlone() {
        assertThat(repaired("From someone  Mon Aug 22 09:45:15 2011\nFrom: a@example.test\n\nbody\n"))
                .isEqualTo("From someone  Mon Aug 22 09:45:15 2011\nFrom: a@example.test\n\nbody\n");
    }

    @Test
    void aMillionBlankFoldsAreMendedInLinearTime() {
        byte[] raw = ("Subject: x\n" + " \n".repeat(1_000_000) + "From: a@example.test\n\nbody\n").getBytes(StandardCharsets.US_ASCII);
        assertTimeoutPreemptively(TestTimeouts.seconds(2), () ->
                assertThat(new String(HeaderSection.repair(raw), StandardCharsets.US_ASCII))
                        .isEqualTo("Subject: x\nFrom: a@example.test\n\nbody\n"));
    }

    private static String repaired(String mail) {
        return new String(HeaderSection.repair(mail.getBytes(StandardCharsets.US_ASCII)), StandardCharsets.US_ASCII);
    }
}
