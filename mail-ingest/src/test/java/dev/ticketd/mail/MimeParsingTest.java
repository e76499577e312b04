package dev.ticketd.mail;

import dev.ticketd.mail.testing.Eml;
import org.junit.jupiter.api.Test;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The details of the fixtures that a table line cannot say. */
class MimeParsingTest {

    private final MailParser parser = new MailParser();

    private ParsedMail parse(String fixture) {
        ParseResult r = parser.parse(Eml.load(fixture));
        assertThat(r).as(r.toString()).isInstanceOf(ParseResult.Parsed.class);
        return ((ParseResult.Parsed) r).mail();
    }

    @Test
    void anInlineImageKeepsItsContentIdAndTheHtmlKeepsOnlyTheCidReference() {
        ParsedMail m = parse("05-related-inline-image.eml");

        MailAttachment image = m.attachments().get(0);
        assertThat(image.contentType()).isEqualTo("image/png");
        assertThat(image.contentId()).contains("shot1@example.test");
        assertThat(image.content()).startsWith(Base64.getDecoder().decode("iVBORw0KGgo="));
        assertThat(image.size()).isEqualTo(image.content().length).isGreaterThan(60);
        assertThat(m.htmlBody().orElseThrow()).contains("src=\"cid:shot1@example.test\"").doesNotContain("tracker.example.test");
        assertThat(m.textBody()).isEqualTo("This error dialog appears at login.");
    }

    @Test
    void aForwardedMailIsKeptWholeAndItsTextIsUsedOnlyWhenTheOuterMailHasNone() {
        ParsedMail withText = parse("06-nested-rfc822.eml");
        ParsedMail withoutText = parse("07-forward-only-rfc822.eml");

        assertThat(withText.attachments()).singleElement().satisfies(a -> {
            assertThat(a.contentType()).isEqualTo("message/rfc822");
            assertThat(new String(a.content())).contains("Message-ID: <inner-1@example.test>").contains("code 17");
        });
        assertThat(withText.textBody()).doesNotContain("code 17");
        assertThat(withoutText.textBody()).isEqualTo("The backup job failed with code 17.");
        assertThat(withoutText.messageId()).contains("<fwd-2@example.test>");
    }

    @Test
    void htmlOnlyMailGetsAReadablePlainTextVersionWithoutScriptsOrStyles() {
        ParsedMail m = parse("03-html-only.eml");

        assertThat(m.textBody()).isEqualTo("""
                Why was I charged twice?
                - first charge
                - second charge
                See invoice 42 (https://billing.example.test/inv/42)""");
        assertThat(m.htmlBody().orElseThrow()).doesNotContain("script", "steal", "color: red", "onload")
                .contains("<b>twice</b>").contains("rel=\"nofollow noopener noreferrer\"").contains("target=\"_blank\"");
    }

    @Test
    void namesInHeadersAreDecodedFromAnyCharsetAndFromRaw8BitUtf8() {
        assertThat(parse("12-koi8r.eml").fromName()).isEqualTo("Иван");
        ParsedMail eightBit = parse("16-8bit-utf8-headers.eml");
        assertThat(eightBit.fromName()).isEqualTo("Zoë Ångström");
        assertThat(eightBit.fromAddress()).isEqualTo("zoe@example.test");
        assertThat(parse("01-plain-utf8.eml").fromName()).isEqualTo("Jürgen Müller");
    }

    @Test
    void missingDateAndMessageIdAreEmptyAndOfDuplicatesTheFirstUsableWins() {
        ParsedMail bare = parse("17-no-message-id-no-date.eml");
        assertThat(bare.sentAt()).isEmpty();
        assertThat(bare.messageId()).isEmpty();

        ParsedMail dup = parse("18-duplicate-headers.eml");
        assertThat(dup.fromAddress()).isEqualTo("oscar@example.test");
        assertThat(dup.messageId()).contains("<first-id@example.test>");
        assertThat(dup.sentAt()).contains(OffsetDateTime.of(2026, 12, 1, 9, 0, 0, 0, ZoneOffset.UTC));
    }

    @Test
    void inReplyToAndReferencesAreReadInTheOrderThreadingUsesThem() {
        ParsedMail m = parse("22-reply-with-references.eml");

        assertThat(m.inReplyTo()).contains("<reply.abc@support.example.test>");
        assertThat(m.references()).containsExactly("<alt-1@example.test>", "<reply.abc@support.example.test>");
        assertThat(m.repliedToMessageIds()).containsExactly("<reply.abc@support.example.test>", "<alt-1@example.test>");
    }

    @Test
    void winmailDatIsAnOrdinaryAttachment() {
        assertThat(parse("20-winmail-dat.eml").attachments()).singleElement().satisfies(a -> {
            assertThat(a.filename()).isEqualTo("winmail.dat");
            assertThat(a.contentType()).isEqualTo("application/ms-tnef");
            assertThat(a.size()).isPositive();
        });
    }

    @Test
    void theHostileHtmlFixtureKeepsItsTextAndLosesEverythingActiveOrRemote() {
        String html = parse("24-html-attacks.eml").htmlBody().orElseThrow();

        assertThat(html).contains("Hello", "blue text", "style=\"color: blue\"", "href=\"https://example.test/help\"")
                .doesNotContainIgnoringCase("script").doesNotContain("onerror", "onclick", "javascript:", "<iframe",
                        "<form", "<input", "<object", "evil.test", "tracker.example.test", "data:", "url(", "<img");
    }

    @Test
    void aReportedMailCarriesNoBodyHtmlWhenThereIsNone() {
        ParsedMail m = parse("04-mixed-pdf.eml");
        assertThat(m.htmlBody()).isEqualTo(Optional.empty());
        assertThat(m.attachments()).extracting(MailAttachment::contentType).isEqualTo(List.of("application/pdf"));
        assertThat(new String(m.attachments().get(0).content())).isEqualTo("%PDF-1.4 test");
    }
}
