package dev.ticketd.node.web;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The node's one route table, as the composition root builds it, is the list in docs/api.md
 * ("Every route"): same routes, same order, and each with the access the docs promise.
 */
class RouteListTest {

    private static final Pattern ROW = Pattern.compile("^\\| (GET|POST|PATCH|PUT|DELETE) \\| `([^`]+)` \\| (public|staff|admin) \\|$");

    private static WebFixture web;

    @BeforeAll
    static void start() {
        web = new WebFixture();
    }

    @AfterAll
    static void stop() throws Exception {
        web.close();
    }

    @Test
    void theRouteTableIsTheListInTheApiDocs() throws IOException {
        List<String> served = new ArrayList<>();
        for (RouteTable.Route r : web.server.routes()) {
            served.add(r.method() + " " + r.path() + " " + r.access().name().toLowerCase(Locale.ROOT));
        }

        assertThat(served).as("routes served (left) against docs/api.md's table").containsExactlyElementsOf(documented());
    }

    @Test
    void twoFeaturesCannotAddTheSameRoute() {
        RouteTable table = new RouteTable().get("/tickets", ctx -> { }, Access.STAFF);

        assertThatThrownBy(() -> table.get("/tickets", ctx -> { }, Access.PUBLIC))
                .hasMessageContaining("GET /tickets");
    }

    private static List<String> documented() throws IOException {
        List<String> rows = new ArrayList<>();
        boolean inSection = false;
        for (String line : Files.readAllLines(docsApi())) {
            if (line.startsWith("## ")) {
                inSection = line.equals("## Every route");
                continue;
            }
            Matcher m = ROW.matcher(line.strip());
            if (inSection && m.matches()) {
                rows.add(m.group(1) + " " + m.group(2) + " " + m.group(3));
            }
        }
        assertThat(rows).as("rows of the table under '## Every route' in docs/api.md").isNotEmpty();
        return rows;
    }

    private static Path docsApi() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("docs/api.md");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no docs/api.md above " + Path.of("").toAbsolutePath());
    }
}
