package dev.ticketd.node.web;

import dev.ticketd.mail.ContentKey;
import dev.ticketd.node.auth.Role;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Rectangle;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ticketd.db.generated.Tables.INBOUND_MESSAGE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The screens as a person sees them, in a real browser (headless Chromium, 1280×900): the ticket
 * list with a 300-character unbroken subject, that ticket's page, and the quarantine with
 * 500-character reasons fit the window's width, and every quarantine button is on screen.
 * Screenshots go to {@code target/screens/} for a person to look at. The browser:
 * {@link HeadlessChromium} (skipped without one, unless CI requires it).
 */
class ScreensBrowserIT {

    private static final int WIDTH = 1280;
    private static final int HEIGHT = 900;
    private static final AtomicLong uids = new AtomicLong(5000);

    static WebFixture web;
    static HeadlessChromium chromium;
    static ChromeDriver browser;
    static String email;
    static long longTicket;

    @BeforeAll
    static void start() {
        HeadlessChromium.requireBrowser();
        web = new WebFixture();
        email = web.newStaffEmail();
        web.accounts.createUser(email, "Admin Browser", WebFixture.PASSWORD, Role.ADMIN);
        seed();
        chromium = HeadlessChromium.open(web.server.port(), WIDTH, HEIGHT);
        browser = chromium.driver;
    }

    @AfterAll
    static void stop() {
        if (chromium != null) {
            chromium.close();
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
        chromium.logIn(email);
    }

    private static void open(String path, String screenshot) throws IOException {
        chromium.go(path);
        chromium.screenshot(screenshot);
    }

    private static void screenshotWholePage(String screenshot) throws IOException {
        chromium.screenshotWholePage(screenshot);
    }

    private static void assertFitsTheWindow(String screen) {
        long scrollWidth = width("document.documentElement.scrollWidth");
        assertThat(scrollWidth).as("width of %s", screen).isLessThanOrEqualTo(WIDTH)
                .isLessThanOrEqualTo(width("document.documentElement.clientWidth"));
    }

    private static long width(String expression) {
        return chromium.number(expression);
    }
}
