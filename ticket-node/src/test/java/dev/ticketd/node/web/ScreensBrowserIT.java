package dev.ticketd.node.web;

import dev.ticketd.mail.ContentKey;
import dev.ticketd.node.auth.Role;
import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.Rectangle;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * The screens as a person sees them, in a real browser (headless Chromium, 1280×900): the ticket
 * list with a 300-character unbroken subject, that ticket's page, and the quarantine with
 * 500-character reasons fit the window's width, and every quarantine button is on screen.
 * Screenshots go to {@code target/screens/} for a person to look at.
 *
 * <p>Needs Chromium and its driver ({@code apt-get install chromium chromium-driver}; other paths
 * in {@code TICKETD_CHROMIUM} and {@code TICKETD_CHROMEDRIVER}). Without them the test is skipped,
 * unless {@code TICKETD_REQUIRE_BROWSER=1} (as in CI), when it fails.
 */
class ScreensBrowserIT {

    private static final int WIDTH = 1280;
    private static final int HEIGHT = 900;
    private static final String INSTALL = "apt-get install chromium chromium-driver";
    private static final Path SCREENS = Path.of("target", "screens");
    private static final AtomicLong uids = new AtomicLong(5000);

    static WebFixture web;
    static ChromeDriver browser;
    static String email;
    static long longTicket;

    @BeforeAll
    static void start() {
        Optional<Path> chromium = executable(System.getenv("TICKETD_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser");
        Optional<Path> driver = executable(System.getenv("TICKETD_CHROMEDRIVER"), "/usr/bin/chromedriver", "chromedriver");
        if (chromium.isEmpty() || driver.isEmpty()) {
            String missing = (chromium.isEmpty() ? "chromium " : "") + (driver.isEmpty() ? "chromedriver " : "")
                    + "not found; install with `" + INSTALL + "`";
            if ("1".equals(System.getenv("TICKETD_REQUIRE_BROWSER"))) {
                fail("TICKETD_REQUIRE_BROWSER=1 but " + missing);
            }
            abort("browser check skipped: " + missing); // a machine with only a JDK and Maven: the README says so
        }
        web = new WebFixture();
        email = web.newStaffEmail();
        web.accounts.createUser(email, "Admin Browser", WebFixture.PASSWORD, Role.ADMIN);
        seed();

        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.get().toFile());
        // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=" + WIDTH + "," + HEIGHT);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.get().toFile()).build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(TestTimeouts.seconds(30));
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (web != null) {
            web.close();
        }
    }

    /** A ticket whose subject and requester are single 300- and 120-character words, and quarantined mail with 500-character reasons. */
    private static void seed() {
        String mailbox = web.data.mailbox("screens", "support-screens@example.test");
        web.data.ticket("T-2001", "Printer on floor 3 is out of toner", "open", mailbox, "short@example.test");
        longTicket = web.data.ticket("T-2002", "Subject" + "X".repeat(293), "open", mailbox,
                "r".repeat(100) + "@example-long-domain.test");
        web.data.inbound(longTicket, mailbox, "<screens-1@x>", "r".repeat(100) + "@example-long-domain.test",
                "Body" + "Y".repeat(600), "Subject: x\r\n\r\nx".getBytes(StandardCharsets.US_ASCII));
        String sentence = "The mail could not be read because its MIME structure names a boundary that never occurs in the body, "
                + "so none of its parts can be found; the raw mail is kept exactly as it arrived and can be downloaded. ";
        quarantined("Subject: " + "Z".repeat(300), "R".repeat(500));
        quarantined("Subject: Rechnung f\u00fcr M\u00e4rz", ("unreadable MIME structure: jakarta.mail.MessagingException: "
                + "org.eclipse.angus.mail.util.DecodingException:" + "base64/x".repeat(60)).substring(0, 500));
        quarantined("Subject: " + "short and fine", (sentence + sentence + sentence).substring(0, 500));
    }

    private static void quarantined(String headers, String reason) {
        byte[] raw = ("From: " + "q".repeat(80) + "@example.test\r\n" + headers + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.UTF_8);
        web.db.dsl().insertInto(INBOUND_MESSAGE)
                .set(INBOUND_MESSAGE.MAILBOX_ID, "screens")
                .set(INBOUND_MESSAGE.UIDVALIDITY, 1L)
                .set(INBOUND_MESSAGE.UID, uids.incrementAndGet())
                .set(INBOUND_MESSAGE.CONTENT_KEY, ContentKey.of(raw))
                .set(INBOUND_MESSAGE.RAW_SHA256, ContentKey.rawSha256(raw))
                .set(INBOUND_MESSAGE.RAW, raw)
                .set(INBOUND_MESSAGE.SIZE_BYTES, raw.length)
                .set(INBOUND_MESSAGE.RECEIVED_AT, OffsetDateTime.now())
                .set(INBOUND_MESSAGE.PARSE_STATUS, "failed")
                .set(INBOUND_MESSAGE.PARSE_ERROR, reason)
                .set(INBOUND_MESSAGE.EPOCH, 1L)
                .execute();
    }

    @Test
    void theTicketListTheTicketPageAndTheQuarantineFitA1280PixelWindow() throws IOException {
        logIn();

        open("/tickets", "tickets");
        assertThat(browser.findElement(By.linkText("Subject" + "X".repeat(293))).isDisplayed()).isTrue();
        assertFitsTheWindow("the ticket list");
        screenshotWholePage("tickets");

        open("/tickets/" + longTicket, "ticket");
        assertFitsTheWindow("the ticket page");
        screenshotWholePage("ticket");

        open("/quarantine", "quarantine");
        assertFitsTheWindow("the quarantine");
        List<WebElement> buttons = browser.findElements(By.cssSelector("tr.quarantine-row button"));
        assertThat(buttons).hasSize(9);
        long viewport = width("document.documentElement.clientWidth");
        for (WebElement button : buttons) {
            Rectangle box = button.getRect();
            assertThat(button.isDisplayed()).as("button %s is displayed", button.getText()).isTrue();
            assertThat(box.getX()).as("left edge of %s", button.getText()).isGreaterThanOrEqualTo(0);
            assertThat(box.getX() + box.getWidth()).as("right edge of %s", button.getText()).isLessThanOrEqualTo((int) viewport);
        }
        screenshotWholePage("quarantine");
    }

    private static void logIn() {
        browser.get(base() + "/login");
        browser.findElement(By.name("email")).sendKeys(email);
        browser.findElement(By.name("password")).sendKeys(WebFixture.PASSWORD);
        browser.findElement(By.cssSelector("form button[type=submit]")).click();
        new WebDriverWait(browser, TestTimeouts.seconds(15)).until(ExpectedConditions.urlMatches("/tickets$"));
    }

    private static void open(String path, String screenshot) throws IOException {
        browser.get(base() + path);
        new WebDriverWait(browser, TestTimeouts.seconds(15)).until(d -> "complete".equals(
                ((JavascriptExecutor) d).executeScript("return document.readyState")));
        Files.createDirectories(SCREENS);
        Files.write(SCREENS.resolve(screenshot + ".png"), browser.getScreenshotAs(OutputType.BYTES));
    }

    /** The whole page as one picture: the window made as tall as the page (same width), then back to 1280×900. */
    private static void screenshotWholePage(String screenshot) throws IOException {
        Dimension window = browser.manage().window().getSize();
        long chrome = window.getHeight() - width("window.innerHeight");
        long tall = Math.min(6000, width("document.documentElement.scrollHeight") + chrome);
        browser.manage().window().setSize(new Dimension(window.getWidth(), (int) tall));
        try {
            Files.write(SCREENS.resolve(screenshot + "-whole.png"), browser.getScreenshotAs(OutputType.BYTES));
        } finally {
            browser.manage().window().setSize(window);
        }
    }

    private static void assertFitsTheWindow(String screen) {
        long scrollWidth = width("document.documentElement.scrollWidth");
        assertThat(scrollWidth).as("width of %s", screen).isLessThanOrEqualTo(WIDTH)
                .isLessThanOrEqualTo(width("document.documentElement.clientWidth"));
    }

    private static long width(String expression) {
        return ((Number) browser.executeScript("return " + expression + ";")).longValue();
    }

    private static String base() {
        return "http://127.0.0.1:" + web.server.port();
    }

    /**
     * {@code override} when it is set (then nothing else: a wrong path must not silently find
     * another browser), else the first of the paths (absolute) or names (looked up on PATH) that is
     * an executable file.
     */
    private static Optional<Path> executable(String override, String... candidates) {
        if (override != null && !override.isBlank()) {
            return Files.isExecutable(Path.of(override)) ? Optional.of(Path.of(override)) : Optional.empty();
        }
        for (String candidate : candidates) {
            if (candidate.startsWith("/")) {
                if (Files.isExecutable(Path.of(candidate))) {
                    return Optional.of(Path.of(candidate));
                }
                continue;
            }
            for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
                Path p = Path.of(dir, candidate);
                if (!dir.isEmpty() && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }
}
