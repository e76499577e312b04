package dev.ticketd.node.cli;

import dev.ticketd.testing.NodeLauncher;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged jar's demo as a newcomer runs it, in a separate process: a mail sent to its SMTP
 * port becomes a ticket in the API (one with raw 8-bit headers too, read as production reads them),
 * and stopping it leaves no process and no folder behind.
 */
class DemoIT {

    /** The API token the demo made and printed (--api-token). */
    private String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process demo;
    private Path log;
    private int httpPort;
    private int smtpPort;

    @TempDir
    Path dir;

    @AfterEach
    void tearDown() throws InterruptedException, IOException {
        if (demo != null && demo.isAlive()) {
            demo.destroy();
            if (!demo.waitFor(30, TimeUnit.SECONDS)) {
                demo.destroyForcibly();
            }
        }
        if (log != null) {
            Files.deleteIfExists(log);
        }
    }

    @Test
    void aMailSentToTheDemoBecomesATicketAndStoppingItLeavesNothingRunning() throws Exception {
        String started = startDemo();
        Path dataDir = dataDirOf(started);
        assertThat(started).contains("6 customers' mails arrived");
        assertThat(get(httpPort, "/api/v1/tickets", token).body()).as("a desk at work, taken in as mail and worked by the demo agents")
                .contains("\"subject\":\"Cannot log in since this morning\"").contains("\"status\":\"pending\"")
                .contains("\"status\":\"resolved\"").contains("\"status\":\"closed\"").contains("\"group\":\"Billing\"")
                .contains("\"owner\":\"ben@example.test\"").contains("\"tags\":[\"refund\"]");

        demoSend("--subject", "Printer on fire", "--from", "ann@example.test");

        await().atMost(TestTimeouts.seconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                assertThat(get(httpPort, "/api/v1/tickets", token).body())
                        .contains("\"subject\":\"Printer on fire\"").contains("\"requester\":\"ann@example.test\""));
        assertThat(get(httpPort, "/api/v1/tickets", null).statusCode()).isEqualTo(401);
        await().atMost(TestTimeouts.seconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                assertThat(get(httpPort, "/api/v1/cluster", token).body())
                        .contains("\"zooKeeper\":\"connected\"")
                        .contains("\"id\":\"demo\",\"httpUrl\":\"http://127.0.0.1:" + httpPort + "/\",\"live\":true")
                        .contains("\"name\":\"demo\",\"address\":\"support@example.test\",\"leader\":\"demo\"")
                        .contains("\"epoch\":1,\"leaseHolder\":\"demo\"")
                        .contains("\"backlog\":0"));
        assertThat(get(httpPort, "/api/v1/cluster", null).statusCode()).isEqualTo(401);
        assertThat(get(httpPort, "/metrics", token).body())
                .as("the demo's six mails and this one").contains("ticketd_mail_ingested_total{mailbox=\"demo\",node=\"demo\",outcome=\"ticketed\"} 7.0")
                .contains("ticketd_leadership_changes_total{change=\"gained\",mailbox=\"demo\",node=\"demo\"} 1.0")
                .contains("ticketd_zookeeper_connected{node=\"demo\"} 1.0");
        assertThat(get(httpPort, "/metrics", null).statusCode()).isEqualTo(401);
        assertThat(get(httpPort, "/login", null).statusCode()).isEqualTo(200);

        demo.destroy(); // SIGTERM, as Ctrl-C: the same shutdown hooks run
        assertThat(demo.waitFor(60, TimeUnit.SECONDS)).as("demo exits").isTrue();
        List<ProcessHandle> leftovers = ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(dataDir.toString())).orElse(false))
                .toList();
        assertThat(leftovers).as("processes still using " + dataDir).isEmpty();
        assertThat(dataDir).doesNotExist();
    }

    @Test
    void aMailWithRaw8BitHeadersSentToTheDemoBecomesATicketWithTheRightCharacters() throws Exception {
        startDemo();
        // the subject as raw ISO-8859-1 bytes, the sender's name as raw UTF-8 bytes
        Path eml = Files.write(dir.resolve("8bit.eml"), DemoMailServerTest.mailWithRaw8BitHeaders());

        demoSend("--eml", eml.toString(), "--from", "zoe@example.test");

        await().atMost(TestTimeouts.seconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                assertThat(get(httpPort, "/api/v1/tickets", token).body())
                        .contains("\"subject\":\"Grüße aus Köln\"").contains("\"requester\":\"zoe@example.test\""));
        Matcher id = Pattern.compile("\"id\":(\\d+)").matcher(get(httpPort, "/api/v1/tickets", token).body());
        assertThat(id.find()).isTrue();
        String ticket = get(httpPort, "/api/v1/tickets/" + id.group(1), token).body();
        assertThat(ticket).contains("\"subject\":\"Grüße aus Köln\"").contains("Zoë Ångström")
                .contains("Der Drucker druckt nur noch Kästchen.").doesNotContain("\uFFFD");
    }

    /**
     * Starts the packaged demo on free ports and waits for the last line it prints once everything runs
     * (its web server included: "ticketd demo is running." comes before the node has started); returns its output.
     */
    private String startDemo() throws IOException {
        httpPort = freePort();
        smtpPort = freePort();
        int imapPort = freePort();
        int zkPort = freePort();
        log = Files.createTempFile("ticketd-demo-it-", ".log");
        demo = java("demo", "--http-port", "" + httpPort, "--smtp-port", "" + smtpPort, "--imap-port", "" + imapPort, "--zk-port", "" + zkPort,
                "--admin-password", "demo-it-password", "--api-token")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();

        await().atMost(TestTimeouts.seconds(90)).pollInterval(Duration.ofMillis(250))
                .until(() -> Files.readString(log).contains("Stop with Ctrl-C.") || !demo.isAlive());
        String started = Files.readString(log);
        assertThat(demo.isAlive()).as("demo is running; its output:%n%s", started).isTrue();
        Matcher printed = Pattern.compile("Bearer (tkd_\\S+)'").matcher(started);
        assertThat(printed.find()).as("demo prints the API token it made; its output:%n%s", started).isTrue();
        token = printed.group(1);
        return started;
    }

    /** {@code ticketd demo send} to the running demo, as a separate process, which must succeed. */
    private void demoSend(String... options) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("demo", "send", "--smtp-port", "" + smtpPort));
        args.addAll(List.of(options));
        Process send = java(args.toArray(String[]::new)).redirectErrorStream(true).start();
        assertThat(send.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(send.exitValue()).as(new String(send.getInputStream().readAllBytes())).isZero();
    }

    private static Path dataDirOf(String output) {
        Matcher m = Pattern.compile("Starting PostgreSQL in (\\S+)/postgres").matcher(output);
        assertThat(m.find()).as("demo names its data folder").isTrue();
        return Path.of(m.group(1));
    }

    private HttpResponse<String> get(int port, String path, String token) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static ProcessBuilder java(String... args) {
        return NodeLauncher.of(Path.of("target", "ticketd.jar")).processBuilder(List.of(), List.of(args));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
