package dev.ticketd.chaos.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No query the desk runs scans a big table: the web bench's plan check on a seeded database of
 * 40,000 tickets and 200,000 messages — the packaged node on a real PostgreSQL with
 * {@code auto_explain}, every request kind of the bench asked once (lists, filters, ticket pages,
 * every kind of search) and the node's background loops (intake, self-watch, ticket timers) running.
 * The full million is {@code chaos-tests/web-bench}'s.
 */
class QueryPlansIT {

    @Test
    void noQueryOfTheDeskOrItsLoopsScansTheTicketMessageOrOutboxTable(@TempDir Path dir) throws Exception {
        // PostgreSQL runs as its own user when the tests run as root: it must be able to enter the folder
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path report = dir.resolve("plans.json");
        int status = WebBench.run(Map.of("--tickets", "40000", "--dir", dir.resolve("data").toString(), "--only", "plans",
                "--out", report.toString()));
        JsonNode r = new ObjectMapper().readTree(Files.readString(report));
        assertThat(r.path("planCheck").path("plansLogged").asInt()).as("plans seen").isGreaterThan(50);
        assertThat(r.path("planCheck").path("bigTableSeqScans")).as("sequential scans of big tables").isEmpty();
        assertThat(r.path("failures")).isEmpty();
        assertThat(status).isZero();
    }
}
