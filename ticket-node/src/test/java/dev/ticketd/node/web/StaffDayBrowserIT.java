package dev.ticketd.node.web;

import dev.ticketd.desk.GroupAccess;
import dev.ticketd.desk.IncomingMail;
import dev.ticketd.desk.TicketStatus;
import dev.ticketd.desk.Tickets;
import dev.ticketd.node.auth.Role;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.AUDIT_LOG;
import static dev.ticketd.db.generated.Tables.MAILBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A staff member's day in a real browser (headless Chromium, 1280×900): log in, open the
 * Unassigned view, open its first ticket and take it by keyboard (j, o, t), reply with a file, leave a note, set it pending until tomorrow; the customer's
 * answer reopens it; resolve it. An agent of another group cannot see it. An admin adds a colleague
 * to that group and a mailbox delivering into it on the admin screens; the colleague sees its
 * tickets. Screenshots go to {@code target/screens/}.
 */
class StaffDayBrowserIT {

    private static WebFixture web;
    private static HeadlessChromium chromium;
    private static String ana;
    private static String ben;
    private static long ticket;

    @BeforeAll
    static void start() {
        HeadlessChromium.requireBrowser();
        web = new WebFixture();
        String mailbox = web.data.mailbox("day", "help@desk.example.test", "Support");
        web.data.group("Billing");
        ana = web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL));
        ben = web.staff(Role.AGENT, Map.of("Billing", GroupAccess.FULL));
        ticket = web.data.ticket("T-3001", "Cannot log in since this morning", "open", mailbox, "kim@customer.example");
        web.data.inbound(ticket, mailbox, "<day-1@customer.example>", "kim@customer.example",
                "Hello, my password stopped working this morning.", "Subject: Cannot log in\r\n\r\nHello\r\n".getBytes(StandardCharsets.US_ASCII));
        long billing = web.data.ticket("T-3002", "Invoice twice", "open", mailbox, "lee@customer.example");
        web.db.dsl().update(TICKET).set(TICKET.GROUP_ID, web.data.group("Billing")).where(TICKET.ID.eq(billing)).execute();
        chromium = HeadlessChromium.open(web.server.port(), 1280, 900);
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

    @Test
    void anAgentWorksATicketFromUnassignedToResolvedAndAnotherTeamNeverSeesIt() throws IOException {
        var browser = chromium.driver;
        chromium.logIn(ana);
        assertThat(browser.findElement(By.tagName("body")).getText()).doesNotContain("Invoice twice");

        chromium.clickAndWait(By.partialLinkText("Unassigned"));
        assertThat(browser.findElement(By.cssSelector("table.tickets")).getText()).contains("T-3001");
        chromium.screenshot("desk-unassigned");

        // by keyboard: the first ticket of the list, opened; the shortcuts' help; "t" takes it
        var list = browser.findElement(By.cssSelector("table.tickets"));
        new Actions(browser).sendKeys("j").sendKeys("o").perform();
        chromium.awaitGone(list);
        chromium.waitUntilLoaded();
        assertThat(browser.getCurrentUrl()).endsWith("/tickets/" + ticket);
        new Actions(browser).sendKeys("?").perform();
        assertThat(browser.findElement(By.id("shortcuts")).isDisplayed()).isTrue();
        new Actions(browser).sendKeys(Keys.ESCAPE).perform();
        var take = browser.findElement(By.id("take"));
        new Actions(browser).sendKeys("t").perform();
        chromium.awaitGone(take);
        chromium.waitUntilLoaded();
        assertThat(browser.findElement(By.id("ticket-owner")).getText()).isEqualTo("Agent " + ana);

        Path file = Files.createTempFile("steps", ".txt");
        Files.writeString(file, "1. Open the login page\n2. Choose 'Forgot password'\n");
        chromium.type(By.id("body"), "Hello Kim, a new password link is on its way; the steps are attached.");
        browser.findElement(By.id("attachments")).sendKeys(file.toAbsolutePath().toString());
        chromium.clickAndWait(By.xpath("//button[text()='Send reply']"));
        assertThat(browser.findElement(By.cssSelector("p.notice")).getText()).contains("Reply saved");
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("a new password link is on its way")
                .contains(file.getFileName().toString());

        chromium.type(By.id("note-body"), "Kim's account was locked by the throttle; unlocked.");
        chromium.clickAndWait(By.xpath("//button[text()='Add note']"));
        assertThat(browser.findElement(By.cssSelector("p.notice")).getText()).contains("Note saved");

        LocalDateTime tomorrow = LocalDateTime.now(ZoneOffset.UTC).plusDays(1).withHour(9).withMinute(0).withSecond(0).withNano(0);
        new Select(browser.findElement(By.id("status"))).selectByValue("pending");
        browser.executeScript("arguments[0].value = arguments[1];", browser.findElement(By.id("pending_until")), tomorrow.toString());
        chromium.clickAndWait(By.xpath("//button[text()='Set status']"));
        assertThat(browser.findElement(By.cssSelector("p.meta")).getText()).contains("status pending");
        assertThat(browser.findElement(By.cssSelector("p.pending")).getText()).contains("Pending until").contains("waiting for the customer");
        assertThat(web.db.dsl().select(TICKET.PENDING_UNTIL).from(TICKET).where(TICKET.ID.eq(ticket)).fetchSingle(TICKET.PENDING_UNTIL)
                .toInstant()).isEqualTo(tomorrow.toInstant(ZoneOffset.UTC));

        customerAnswers("Thanks, the new password works, but I cannot see my invoices.");
        chromium.go("/tickets/" + ticket);
        assertThat(browser.findElement(By.cssSelector("p.meta")).getText()).as("the customer's answer reopened it").contains("status open");
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("I cannot see my invoices");

        new Select(browser.findElement(By.id("status"))).selectByValue("resolved");
        chromium.clickAndWait(By.xpath("//button[text()='Set status']"));
        assertThat(browser.findElement(By.cssSelector("p.meta")).getText()).contains("status resolved");
        chromium.screenshotWholePage("desk-ticket");
        assertThat(web.db.dsl().select(AUDIT_LOG.ACTION).from(AUDIT_LOG).where(AUDIT_LOG.TICKET_ID.eq(ticket)).orderBy(AUDIT_LOG.ID)
                .fetch(AUDIT_LOG.ACTION)).containsExactly("ticket.owner_changed", "ticket.reply", "ticket.note",
                "ticket.status_changed", "ticket.mail_threaded", "ticket.reopened_by_mail", "ticket.status_changed");

        chromium.clickAndWait(By.xpath("//button[text()='Log out']"));
        chromium.logIn(ben);
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("T-3002").doesNotContain("T-3001");
        chromium.go("/tickets/" + ticket);
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("does not exist").doesNotContain("Cannot log in");
        chromium.screenshot("desk-other-team");

        // an admin adds a colleague to Billing and a Billing mailbox, on the admin screens
        chromium.clickAndWait(By.xpath("//button[text()='Log out']"));
        chromium.logIn(web.staff(Role.ADMIN, Map.of()));
        chromium.go("/admin/users");
        String newUser = "form[action='/admin/users'] ";
        browser.findElement(By.cssSelector(newUser + "input[name=email]")).sendKeys("cleo@desk.example");
        browser.findElement(By.cssSelector(newUser + "input[name=displayName]")).sendKeys("Cleo New");
        browser.findElement(By.cssSelector(newUser + "input[name=password]")).sendKeys(WebFixture.PASSWORD);
        new Select(browser.findElement(By.cssSelector(newUser + "select[name='group." + web.data.group("Billing") + "']"))).selectByValue("full");
        chromium.clickAndWait(By.xpath("//form[@action='/admin/users']//button[text()='Add user']"));
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("cleo@desk.example");
        chromium.screenshotWholePage("admin-users");

        chromium.go("/admin/mailboxes");
        String mailboxForm = "form[action='/admin/mailboxes'] ";
        browser.findElement(By.cssSelector(mailboxForm + "input[name=id]")).sendKeys("billing");
        browser.findElement(By.cssSelector(mailboxForm + "input[name=address]")).sendKeys("billing@desk.example");
        browser.findElement(By.cssSelector(mailboxForm + "input[name=imapHost]")).sendKeys("imap.desk.example");
        browser.findElement(By.cssSelector(mailboxForm + "input[name=secretRef]")).sendKeys("billing");
        new Select(browser.findElement(By.cssSelector(mailboxForm + "select[name=group]"))).selectByValue("Billing");
        chromium.clickAndWait(By.xpath("//form[@action='/admin/mailboxes']//button[text()='Save mailbox']"));
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("billing@desk.example");
        assertThat(web.db.dsl().select(MAILBOX.GROUP_ID).from(MAILBOX).where(MAILBOX.ID.eq("billing")).fetchSingle(MAILBOX.GROUP_ID))
                .isEqualTo(web.data.group("Billing"));

        chromium.clickAndWait(By.xpath("//button[text()='Log out']"));
        chromium.logIn("cleo@desk.example");
        assertThat(browser.findElement(By.tagName("main")).getText()).as("the new colleague works Billing's tickets")
                .contains("T-3002").doesNotContain("T-3001");
    }

    /** The customer's reply as mail intake stores it: threaded on the ticket by the desk, in one transaction. */
    private static void customerAnswers(String text) {
        long inbound = web.data.storedMail("day", "<day-2@customer.example>", "kim@customer.example",
                ("Subject: Re: [T-3001] Cannot log in\r\n\r\n" + text + "\r\n").getBytes(StandardCharsets.US_ASCII));
        web.db.transactions().write(tx -> {
            TicketStatus status = TicketStatus.of(tx.select(TICKET.STATUS).from(TICKET).where(TICKET.ID.eq(ticket)).forUpdate()
                    .fetchSingle(TICKET.STATUS)).orElseThrow();
            return new Tickets().addMail(tx, "day", ticket, status, inbound,
                    new IncomingMail("kim@customer.example", "Kim", "Re: [T-3001] Cannot log in", text, Optional.empty(), List.of()),
                    "token");
        });
    }
}
