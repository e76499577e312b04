package dev.ticketd.mail;

import dev.ticketd.mail.testing.Eml;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every fixture in {@code eml/} parsed, against its line in {@code eml/expectations.psv}. */
class EmlFixturesTest {

    record Expectation(String file, String outcome, String subject, String text, boolean html, List<String> attachments) {
        @Override
        public String toString() {
            return file;
        }
    }

    private final MailParser parser = new MailParser();

    static Stream<Expectation> expectations() throws IOException {
        try (InputStream in = EmlFixturesTest.class.getResourceAsStream("/eml/expectations.psv")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("#"))
                    .map(l -> Arrays.stream(l.split("\\|", -1)).map(String::strip).toList())
                    .map(f -> new Expectation(f.get(0), f.get(1), f.get(2), f.get(3), f.get(4).equals("yes"),
                            f.get(5).isEmpty() ? List.of() : Arrays.stream(f.get(5).split(";")).map(String::strip).toList()))
                    .toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("expectations")
    void eachFixtureParsesAsExpected(Expectation e) {
        ParseResult result = parser.parse(Eml.load(e.file()));

        if (e.outcome().startsWith("failed:")) {
            assertThat(result).isInstanceOf(ParseResult.Failed.class);
            assertThat(((ParseResult.Failed) result).reason()).startsWith(e.outcome().substring("failed:".length()).strip());
            return;
        }
        assertThat(result).as(result.toString()).isInstanceOf(ParseResult.Parsed.class);
        ParsedMail mail = ((ParseResult.Parsed) result).mail();
        assertThat(mail.subject()).isEqualTo(e.subject());
        assertThat(mail.textBody()).contains(e.text());
        assertThat(mail.htmlBody().isPresent()).as("html body present").isEqualTo(e.html());
        assertThat(mail.attachments()).extracting(MailAttachment::filename).containsExactlyElementsOf(e.attachments());
        mail.htmlBody().ifPresent(html -> assertThat(html).doesNotContainIgnoringCase("<script")
                .doesNotContainPattern("(?i)\\son[a-z]+\\s*="));
    }

    @Test
    void everyFixtureHasAnExpectationAndThereAreAtLeastTwenty() throws IOException, URISyntaxException {
        Path dir = Path.of(EmlFixturesTest.class.getResource("/eml/expectations.psv").toURI()).getParent();
        List<String> files;
        try (Stream<Path> paths = Files.list(dir)) {
            files = paths.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".eml")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(20);
        assertThat(expectations().map(Expectation::file).sorted().toList()).isEqualTo(files);
    }
}
