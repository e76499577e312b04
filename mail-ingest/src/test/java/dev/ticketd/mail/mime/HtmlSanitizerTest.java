package dev.ticketd.mail.mime;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class HtmlSanitizerTest {

    private final HtmlSanitizer sanitizer = new HtmlSanitizer();

    @Test
    void htmlOverTheCapIsCutAndSaysSoWhileStoredHtmlIsShownWhole() {
        String html = "<p>START</p>" + "<p>filler text</p>".repeat(HtmlSanitizer.MAX_HTML_CHARS / 18 + 1000) + "<p>THE-END</p>";

        String stored = sanitizer.sanitize(html);
        assertThat(stored).startsWith("<p>START</p>").doesNotContain("THE-END")
                .contains("KB are shown. The whole message is in the original mail.");
        assertThat(stored.length()).isLessThan(HtmlSanitizer.MAX_HTML_CHARS + 1000);

        assertThat(sanitizer.sanitizeStored(html)).endsWith("<p>THE-END</p>");
    }

    @Test
    void scriptsAndEventHandlersAreRemoved() {
        String out = sanitizer.sanitize("<p onclick=\"x()\">hi</p><script>alert(1)</script><img src=x onerror=alert(2)>"
                + "<body onload=alert(3)><svg onload=alert(4)></svg>");
        assertThat(out).isEqualTo("<p>hi</p>");
    }

    @Test
    void javascriptLinksLoseTheirTargetAndSafeLinksGetNofollowAndABlankTarget() {
        String out = sanitizer.sanitize("<a href=\"javascript:alert(1)\">bad</a> <a href=\"JaVaScRiPt&#58;alert(1)\">worse</a> "
                + "<a href=\"https://example.test/\">good</a>");
        assertThat(out).doesNotContainIgnoringCase("javascript")
                .contains("<a href=\"https://example.test/\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">good</a>");
    }

    @Test
    void remoteAndDataImagesAreRemovedSoShowingAMailLoadsNothingFromElsewhere() {
        String out = sanitizer.sanitize("<p>x</p><img src=\"http://t.test/a.gif\"><img src=\"https://t.test/b.gif\">"
                + "<img src=\"//t.test/c.gif\"><img src=\"data:image/png;base64,AAAA\"><img src=\"cid:ok@x\">");
        assertThat(out).isEqualTo("<p>x</p><img src=\"cid:ok@x\">");
    }

    @Test
    void iframesFormsObjectsAndDangerousStylesAreRemoved() {
        String out = sanitizer.sanitize("<iframe src=\"https://e.test\"></iframe><form action=\"https://e.test\"><input name=p>"
                + "<button>Go</button></form><object data=\"x\"></object><embed src=\"x\">"
                + "<div style=\"background: url(https://e.test/x)\">a</div><div style=\"position:fixed;top:0\">b</div>"
                + "<div style=\"color: red\">c</div>");
        assertThat(out).doesNotContain("iframe", "form", "input", "object", "embed", "url(", "position")
                .contains("<div style=\"color: red\">c</div>");
    }

    @Test
    void sanitisingIsIdempotentSoTheWebLayerCanSanitiseAgain() {
        String once = sanitizer.sanitize("<table border=1><tr><td>a<br>b</td></tr></table><ul><li>x</li></ul>"
                + "<a href=\"mailto:a@b.test\">mail</a><img src=\"cid:i@x\" alt=\"i\">");
        assertThat(sanitizer.sanitize(once)).isEqualTo(once);
    }

    @Test
    void cidImagesAreRewrittenToOurAttachmentUrlsAndUnknownOnesRemoved() {
        String html = sanitizer.sanitize("<p>see</p><img src=\"cid:shot%401@x\" alt=\"s\"><img src=\"cid:missing@x\">");
        Map<String, String> urls = Map.of("shot@1@x", "/attachments/42");

        String out = HtmlSanitizer.rewriteCidImages(html, cid -> Optional.ofNullable(urls.get(cid)));

        assertThat(out).isEqualTo("<p>see</p><img src=\"/attachments/42\" alt=\"s\">");
    }

    @Test
    void nothingVisibleLeftIsNoHtmlAtAll() {
        assertThat(sanitizer.sanitize("<script>x</script><style>p{}</style>")).isEmpty();
        assertThat(sanitizer.sanitize("   ")).isEmpty();
    }

    @Test
    void textOfHtmlHasLinesForBlocksAndKeepsLinkTargets() {
        String text = sanitizer.toText(sanitizer.sanitize("<h1>Title</h1><p>One<br>Two</p><div>Three <a href=\"https://x.test/\">link</a></div>"));
        assertThat(text).isEqualTo("Title\nOne\nTwo\nThree link (https://x.test/)");
    }
}
