package dev.ticketd.mail.mime;

import dev.ticketd.testing.TestTimeouts;
import jakarta.mail.internet.MimeUtility;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class LenientHeadersTest {

    @Test
    void unfoldingReadsAsJakartaMailDoesForEveryKindOfFold() {
        for (String folded : new String[]{"plain", "a\r\n b", "a\r\n\t\t b", "a\n b", "a\r b", "a\r\nb", "a\r\n \r\n b",
                "=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "trailing\r\n", "x \r\n  y\r\n\tz", "\r\n a", "a\\\r\n b", "a\r\n\r\n"}) {
            assertThat(LenientHeaders.unfold(folded)).as(folded).isEqualTo(MimeUtility.unfold(folded));
        }
    }

    @Test
    void anUnquotedBoundaryIsReadUpToTheNextParameter() {
        assertThat(LenientHeaders.parameterOf("multipart/mixed;\r\n\tboundary=----=_NextPart_000_0093_01C81419.EB75E850",
                "boundary")).isEqualTo("----=_NextPart_000_0093_01C81419.EB75E850");
        assertThat(LenientHeaders.parameterOf("multipart/mixed; boundary = \"a b\"; charset=x", "boundary")).isEqualTo("a b");
    }

    @Test
    void anUnquotedFileNameKeepsItsSpacesAndItsRawBytes() {
        assertThat(LenientHeaders.parameterOf("attachment;\r\n\tfilename=This is a test.txt", "filename"))
                .isEqualTo("This is a test.txt");
        assertThat(LenientHeaders.parameterOf("text/plain; name=ci\u00c3\u00able.txt", "name")).isEqualTo("ci\u00c3\u00able.txt");
    }

    @Test
    void aParameterNameInsideAnotherIsNotIt() {
        assertThat(LenientHeaders.parameterOf("attachment; xfilename=a.txt; filename*=UTF-8''b.txt", "filename")).isNull();
        assertThat(LenientHeaders.parameterOf("text/plain; filename=a.txt", "name")).isNull();
    }

    @Test
    void fileNamesLoseDirectionOverridesAndControls() {
        assertThat(LenientHeaders.withoutControls("invoice\u202Efdp.exe")).isEqualTo("invoicefdp.exe");
        assertThat(LenientHeaders.withoutControls("a\u2066b\u2069c\u200Ed\u200Fe\u2028f\u0007g")).isEqualTo("abcdefg");
        assertThat(LenientHeaders.withoutControls("Störungen 2026.xlsx")).isEqualTo("Störungen 2026.xlsx");
    }

    @Test
    void hostileHeadersAreScannedInLinearTime() {
        String hostile = "boundary".repeat(2_000) + "filename ".repeat(2_000) + "=".repeat(2_000);
        assertTimeoutPreemptively(TestTimeouts.seconds(2), () -> {
            for (int i = 0; i < 20; i++) {
                LenientHeaders.parameterOf(hostile, "boundary");
                LenientHeaders.parameterOf(hostile, "filename");
            }
        });
    }
}
