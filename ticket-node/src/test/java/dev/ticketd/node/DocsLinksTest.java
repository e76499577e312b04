package dev.ticketd.node;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The project's own documentation keeps its links working: every relative link in README.md,
 * chaos-tests/README.md and docs/*.md names a file or folder that exists in the repository, and no
 * page points outside the repository.
 */
class DocsLinksTest {

    /** An inline link or image, {@code [text](target "title")}; the target may be in angle brackets. */
    private static final Pattern INLINE = Pattern.compile("!?\\[[^\\]]*]\\(\\s*<?([^)\\s>]*)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
    /** A reference definition, {@code [name]: target}. */
    private static final Pattern REFERENCE = Pattern.compile("(?m)^ {0,3}\\[[^\\]]+]:\\s*<?(\\S+?)>?(?:\\s.*)?$");
    private static final Pattern FENCE = Pattern.compile("(?ms)^ {0,3}(```|~~~).*?^ {0,3}\\1[^\\n]*$");
    private static final Pattern CODE_SPAN = Pattern.compile("(`+)[^`].*?\\1", Pattern.DOTALL);

    @Test
    void everyRelativeLinkInTheDocsNamesAFileThatExists() throws IOException {
        Path root = repositoryRoot();
        List<Path> pages = pages(root);
        assertThat(pages).as("the pages checked").contains(root.resolve("README.md"));

        List<String> broken = new ArrayList<>();
        for (Path page : pages) {
            broken.addAll(brokenLinks(root, page));
        }
        assertThat(broken).as("broken relative links").isEmpty();
    }

    @Test
    void noPageNamesTheSteeringFolderBesideTheRepository() throws IOException {
        Path root = repositoryRoot();
        for (Path page : pages(root)) {
            assertThat(Files.readString(page, StandardCharsets.UTF_8))
                    .as("%s names ../shared", root.relativize(page))
                    .doesNotContain("../shared");
        }
    }

    @Test
    void theCheckFindsABrokenLinkAndALinkOutOfTheRepository(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("docs/real.md"), "# real\n");
        Path page = root.resolve("README.md");
        Files.writeString(page, """
                [ok](docs/real.md#a-heading) [web](https://example.org/x) [mail](mailto:a@example.org) [here](#top)
                [gone](docs/missing.md) ![picture](docs/missing.png "a title")
                [outside](../elsewhere/README.md)
                `[in code](docs/not-checked.md)`
                ```
                [in a block](docs/not-checked-either.md)
                ```
                [ref]: docs/also-missing.md
                """);

        assertThat(brokenLinks(root, page)).containsExactly(
                "README.md -> docs/missing.md",
                "README.md -> docs/missing.png",
                "README.md -> ../elsewhere/README.md (outside the repository)",
                "README.md -> docs/also-missing.md");
    }

    /** README.md, chaos-tests/README.md and every docs/*.md that exist. */
    private static List<Path> pages(Path root) throws IOException {
        List<Path> pages = new ArrayList<>();
        for (String p : List.of("README.md", "chaos-tests/README.md")) {
            if (Files.isRegularFile(root.resolve(p))) {
                pages.add(root.resolve(p));
            }
        }
        Path docs = root.resolve("docs");
        if (Files.isDirectory(docs)) {
            try (Stream<Path> s = Files.list(docs)) {
                s.filter(f -> f.getFileName().toString().endsWith(".md")).sorted().forEach(pages::add);
            }
        }
        return pages;
    }

    /** Each relative link of {@code page} whose target does not exist, as "page -> target". */
    static List<String> brokenLinks(Path root, Path page) throws IOException {
        String text = Files.readString(page, StandardCharsets.UTF_8);
        text = FENCE.matcher(text).replaceAll("");
        text = CODE_SPAN.matcher(text).replaceAll("");
        List<String> targets = new ArrayList<>();
        for (Pattern p : List.of(INLINE, REFERENCE)) {
            Matcher m = p.matcher(text);
            while (m.find()) {
                targets.add(m.group(1));
            }
        }
        Path from = page.getParent();
        String name = root.relativize(page).toString().replace('\\', '/');
        List<String> broken = new ArrayList<>();
        for (String target : targets) {
            if (target.isEmpty() || target.startsWith("#") || target.startsWith("http:")
                    || target.startsWith("https:") || target.startsWith("mailto:")) {
                continue;
            }
            int hash = target.indexOf('#');
            String file = (hash < 0 ? target : target.substring(0, hash)).replace("%20", " ");
            Path resolved = from.resolve(file).normalize();
            if (file.startsWith("/") || !resolved.startsWith(root.normalize())) {
                broken.add(name + " -> " + target + " (outside the repository)");
            } else if (!Files.exists(resolved)) {
                broken.add(name + " -> " + target);
            }
        }
        return broken;
    }

    /** Walks up from the working directory to the folder whose pom.xml is ticketd-parent itself. */
    private static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path pom = dir.resolve("pom.xml");
            if (Files.isRegularFile(pom) && isParentPom(pom)) {
                return dir;
            }
        }
        throw new IllegalStateException("no pom.xml of ticketd-parent above " + Path.of("").toAbsolutePath());
    }

    /** The modules' poms name ticketd-parent too, but only inside their parent element. */
    private static boolean isParentPom(Path pom) {
        try {
            String xml = Files.readString(pom, StandardCharsets.UTF_8).replaceAll("(?s)<parent>.*?</parent>", "");
            return xml.contains("<artifactId>ticketd-parent</artifactId>");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
