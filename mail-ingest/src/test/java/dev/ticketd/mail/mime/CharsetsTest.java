package dev.ticketd.mail.mime;

import org.junit.jupiter.api.Test;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class CharsetsTest {

    @Test
    void everyCharsetTheJdkKnowsIsUsedAsDeclared() {
        assertThat(Charsets.decode("Привет".getBytes(Charset.forName("koi8-r")), "KOI8-R")).isEqualTo("Привет");
        assertThat(Charsets.decode("日本語".getBytes(Charset.forName("Shift_JIS")), "\"shift_jis\"")).isEqualTo("日本語");
        assertThat(Charsets.decode("ü".getBytes(StandardCharsets.UTF_8), "utf8")).isEqualTo("ü");
    }

    @Test
    void unknownOrLyingCharsetsFallBackToUtf8WhenValidElseWindows1252() {
        assertThat(Charsets.decode("Größe".getBytes(StandardCharsets.UTF_8), "x-unknown")).isEqualTo("Größe");
        assertThat(Charsets.decode("café €".getBytes(Charsets.WINDOWS_1252), "utf-8")).isEqualTo("café €");
        assertThat(Charsets.decode("café".getBytes(StandardCharsets.UTF_8), "iso-8859-1")).isEqualTo("café");
        assertThat(Charsets.decode("café".getBytes(StandardCharsets.ISO_8859_1), "iso-8859-1")).isEqualTo("café");
        assertThat(Charsets.decode("naïve".getBytes(Charsets.WINDOWS_1252), null)).isEqualTo("naïve");
    }

    @Test
    void raw8BitHeaderTextIsRepairedButProperUnicodeIsLeftAlone() {
        String asJakartaMailReadsIt = new String("Zoë".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        assertThat(Charsets.fix8bit(asJakartaMailReadsIt)).isEqualTo("Zoë");
        assertThat(Charsets.fix8bit("Привет")).isEqualTo("Привет");
        assertThat(Charsets.fix8bit("plain")).isEqualTo("plain");
    }

    @Test
    void encodedWordsJoinSplitCharactersAndSurviveUnknownCharsetsAndGarbage() {
        assertThat(EncodedWords.decode("=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?=")).isEqualTo("café");
        assertThat(EncodedWords.decode("=?x-unknown?B?R3LDtsOfZQ==?=")).isEqualTo("Größe");
        assertThat(EncodedWords.decode("a =?utf-8?Q?broken=ZZ?= b")).isEqualTo("a =?utf-8?Q?broken=ZZ?= b");
        assertThat(EncodedWords.decode("=?ISO-8859-1*de?Q?Gr=FC=DFe?= und")).isEqualTo("Grüße und");
    }
}
