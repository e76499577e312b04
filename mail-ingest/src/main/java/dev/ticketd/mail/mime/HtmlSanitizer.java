package dev.ticketd.mail.mime;

import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.parser.Parser;
import org.jsoup.safety.Cleaner;
import org.jsoup.safety.Safelist;
import org.jsoup.select.NodeTraversor;
import org.jsoup.select.NodeVisitor;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Makes mail HTML safe to show to staff, and derives plain text from it. Thread-safe: the
 * {@link Safelist} is built once in the constructor and never changed.
 *
 * <p>What survives: basic formatting, lists, tables, links (http, https, mailto; always
 * {@code rel="nofollow noopener noreferrer" target="_blank"}), inline {@code style} attributes
 * without {@code url()}, expressions, imports, positioning or escapes (the page's CSP blocks inline
 * styles today anyway; this is the second wall). {@code <img>} survives only with a {@code cid:}
 * source, i.e. an image carried in the same mail; remote (http/https) and {@code data:} images are
 * removed, so showing a mail never loads anything from elsewhere. Scripts, event handlers,
 * iframes, forms, objects and {@code javascript:} links do not survive.
 *
 * <p>The output is idempotent: sanitising sanitised HTML returns it unchanged, so the web layer
 * sanitises stored HTML again when rendering (defence in depth) and only then rewrites
 * {@code cid:} sources to attachment URLs ({@link #rewriteCidImages}).
 */
public final class HtmlSanitizer {

    private static final Pattern UNSAFE_STYLE = Pattern.compile(
            "url\\s*\\(|expression|javascript|vbscript|@import|behavior|binding|position|\\\\|/\\*|&#|<",
            Pattern.CASE_INSENSITIVE);
    private static final Set<String> BLOCKS = Set.of("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
            "li", "table", "tr", "blockquote", "pre", "hr", "dl", "dt", "dd", "center");

    private final Safelist safelist;

    public HtmlSanitizer() {
        this.safelist = Safelist.relaxed()
                // add cid before removing http/https: a protocol set that becomes empty means "any protocol"
                .addProtocols("img", "src", "cid")
                .removeProtocols("img", "src", "http", "https")
                .addTags("hr", "s", "del", "ins", "center", "font", "abbr", "mark")
                .addAttributes("font", "color", "face", "size")
                .addAttributes("table", "border", "cellpadding", "cellspacing", "align", "bgcolor", "width")
                .addAttributes("td", "align", "valign", "bgcolor", "height")
                .addAttributes("th", "align", "valign", "bgcolor", "height")
                .addAttributes("tr", "align", "valign", "bgcolor")
                .addAttributes(":all", "style", "dir", "align")
                .addEnforcedAttribute("a", "rel", "nofollow noopener noreferrer")
                .addEnforcedAttribute("a", "target", "_blank");
    }

    /**
     * The most of a mail's HTML that is sanitised and kept, in characters (about 2 MB). A person
     * reads no more than that in a browser; the rest stays in the raw mail, which is stored whole.
     * Cutting before the work bounds the cost of a mail whatever its size.
     */
    public static final int MAX_HTML_CHARS = 2 * 1024 * 1024;

    /**
     * The safe HTML of a mail's HTML body (a body fragment, no {@code <html>}); empty when nothing
     * visible is left. HTML longer than {@link #MAX_HTML_CHARS} is cut there (the parser closes what
     * the cut left open) and ends with a note that says so.
     */
    public String sanitize(String html) {
        return sanitize(html, MAX_HTML_CHARS);
    }

    /**
     * Sanitises HTML that was stored sanitised (at most about {@link #MAX_HTML_CHARS} since intake
     * cuts it), once more before it is shown: defence in depth, not cut again, so "the whole
     * message" is the whole stored message.
     */
    public String sanitizeStored(String storedHtml) {
        return sanitize(storedHtml, Integer.MAX_VALUE);
    }

    private String sanitize(String html, int maxChars) {
        if (html == null || html.isBlank()) {
            return "";
        }
        int cutAt = html.length() <= maxChars ? -1
                : Character.isHighSurrogate(html.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
        Document clean = new Cleaner(safelist).clean(parse(cutAt < 0 ? html : html.substring(0, cutAt)));
        if (cutAt >= 0) {
            clean.body().appendElement("p").appendElement("em").text("[This HTML is " + (html.length() / 1024)
                    + " KB long; the first " + (cutAt / 1024) + " KB are shown. The whole message is in the original mail.]");
        }
        for (Element img : clean.body().select("img")) {
            if (!img.attr("src").regionMatches(true, 0, "cid:", 0, 4)) {
                img.remove(); // a remote or data: image lost its src in the cleaner; drop the empty tag
            }
        }
        for (Element styled : clean.body().select("[style]")) {
            if (UNSAFE_STYLE.matcher(styled.attr("style")).find()) {
                styled.removeAttr("style");
            }
        }
        clean.outputSettings().prettyPrint(false);
        String out = clean.body().html();
        return out.isBlank() || (clean.body().text().isBlank() && clean.body().select("img").isEmpty()) ? "" : out;
    }

    /** Readable plain text of sanitised HTML: block elements become lines, links keep their target. */
    public String toText(String sanitizedHtml) {
        if (sanitizedHtml == null || sanitizedHtml.isBlank()) {
            return "";
        }
        Document doc = parseFragment(sanitizedHtml);
        StringBuilder out = new StringBuilder();
        NodeTraversor.traverse(new NodeVisitor() {
            @Override
            public void head(Node node, int depth) {
                if (node instanceof TextNode t) {
                    boolean pre = t.parent() != null && t.parent().nameIs("pre");
                    String text = pre ? t.getWholeText() : t.text();
                    if (!text.isBlank() || (out.length() > 0 && out.charAt(out.length() - 1) != '\n')) {
                        out.append(text); // whitespace between blocks is no text
                    }
                } else if (node instanceof Element e) {
                    String tag = e.normalName();
                    if (tag.equals("br")) {
                        out.append('\n');
                    } else if (BLOCKS.contains(tag)) {
                        newline(out);
                        if (tag.equals("li")) {
                            out.append("- ");
                        }
                    }
                }
            }

            @Override
            public void tail(Node node, int depth) {
                if (node instanceof Element e) {
                    String tag = e.normalName();
                    if (BLOCKS.contains(tag)) {
                        newline(out);
                    } else if (tag.equals("td") || tag.equals("th")) {
                        out.append(' ');
                    } else if (tag.equals("a")) {
                        String href = e.attr("href");
                        if (!href.isEmpty() && !href.startsWith("mailto:") && !e.text().strip().equals(href)) {
                            out.append(" (").append(href).append(')');
                        }
                    }
                }
            }
        }, doc.body());
        return tidyLines(out.toString().replace('\u00A0', ' '));
    }

    /**
     * Each line without the spaces and tabs around it, at most one empty line in a row, and no
     * empty lines at either end. One pass: the regexes this replaces ({@code [ \t]+\n} and kin)
     * backtrack quadratically on a long run of spaces without a line break, which a
     * {@code <pre>} in a sender's HTML can carry.
     */
    static String tidyLines(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int emptyLines = 0;
        int start = 0;
        while (start <= text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            int from = start;
            int to = end;
            while (from < to && isBlankChar(text.charAt(from))) {
                from++;
            }
            while (to > from && isBlankChar(text.charAt(to - 1))) {
                to--;
            }
            if (from == to) {
                emptyLines++;
            } else {
                if (!out.isEmpty()) {
                    out.append(emptyLines > 0 ? "\n\n" : "\n");
                }
                out.append(text, from, to);
                emptyLines = 0;
            }
            start = end + 1;
        }
        return out.toString();
    }

    private static boolean isBlankChar(char c) {
        return c == ' ' || c == '\t' || c == '\r';
    }

    /**
     * How deep elements may nest; deeper ones are placed at this depth. The HTML parser checks
     * scopes by walking the open elements, so its cost grows with the depth it allows: at jsoup's
     * default (512) a mail of nested table cells costs quadratic time up to that depth. Real mail,
     * Outlook's nested layout tables included, stays far below 100.
     */
    static final int MAX_DEPTH = 100;

    private static Document parse(String html) {
        return Parser.htmlParser().setMaxDepth(MAX_DEPTH).parseInput(html, "");
    }

    private static Document parseFragment(String bodyHtml) {
        Document doc = Document.createShell("");
        doc.body().appendChildren(Parser.htmlParser().setMaxDepth(MAX_DEPTH).parseFragmentInput(bodyHtml, doc.body(), ""));
        return doc;
    }

    private static void newline(StringBuilder out) {
        if (out.length() > 0 && out.charAt(out.length() - 1) != '\n') {
            out.append('\n');
        }
    }

    /**
     * Points every {@code <img src="cid:…">} of sanitised HTML at the URL {@code urlOfContentId}
     * gives for that Content-ID (without angle brackets), and removes images it has none for and
     * any image that is not a {@code cid:} image. The URLs must be the application's own.
     */
    public static String rewriteCidImages(String sanitizedHtml, Function<String, Optional<String>> urlOfContentId) {
        if (sanitizedHtml == null || sanitizedHtml.isEmpty()) {
            return sanitizedHtml;
        }
        Document doc = parseFragment(sanitizedHtml);
        for (Element img : doc.body().select("img")) {
            String src = img.attr("src");
            Optional<String> url = src.regionMatches(true, 0, "cid:", 0, 4)
                    ? urlOfContentId.apply(contentId(src.substring(4)))
                    : Optional.empty();
            if (url.isPresent()) {
                img.attr("src", url.get());
            } else {
                img.remove();
            }
        }
        doc.outputSettings().prettyPrint(false);
        return doc.body().html();
    }

    /** A cid: URL's Content-ID (RFC 2392: URL-encoded, no angle brackets), normalised as stored. */
    private static String contentId(String cidUrl) {
        String id;
        try {
            id = URLDecoder.decode(cidUrl.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            id = cidUrl;
        }
        return normalizeContentId(id);
    }

    /** A Content-ID header value or cid: reference without angle brackets and surrounding space. */
    public static String normalizeContentId(String id) {
        String s = id.strip();
        if (s.startsWith("<") && s.endsWith(">")) {
            s = s.substring(1, s.length() - 1).strip();
        }
        return s;
    }
}
