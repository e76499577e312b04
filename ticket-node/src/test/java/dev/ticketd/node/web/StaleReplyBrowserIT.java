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

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.ticketd.db.generated.Tables.HELD_REPLY;
import static dev.ticketd.db.generated.Tables.OUTBOX;
import static dev.ticketd.db.generated.Tables.TICKET;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stale-reply guard in a real browser (headless Chromium, 1280×900): an agent writes a reply
 * while the customer's next mail arrives; sending holds the reply (nothing in the outbox), the page
 * shows the new mail and the held reply, "Needs attention" lists it, and "Send anyway" mails it once.
 * Screenshots go to {@code target/screens/}. The browser: {@link HeadlessChromium} (skipped without
 * one, unless CI requires it).
 */
class StaleReplyBrowserIT {

    private static WebFixture web;
    private static HeadlessChromium chromium;
    private static String ana;
    private static long ticket;

    @BeforeAll
    static void start() {
        HeadlessChromium.requireBrowser();
        web = new WebFixture();
        web.data.mailbox("stale", "help@stale.example.test", "Support");
        ana = web.staff(Role.AGENT, Map.of("Support", GroupAccess.FULL));
        ticket = web.data.ticket("T-4001", "Router keeps dropping", "open", "stale", "kim@customer.example");
        web.data.inbound(ticket, "stale", "<stale-1@customer.example>", "kim@customer.example",
                "My router drops the connection every hour.",
                "Subject: Router keeps dropping\r\n\r\nMy router\r\n".getBytes(StandardCharsets.US_ASCII));
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
    void aCustomerMailThatArrivesWhileTheAgentWritesHoldsTheReplyUntilTheySendItAnyway() throws IOException {
        var browser = chromium.driver;
        chromium.logIn(ana);
        chromium.go("/tickets/" + ticket);
        chromium.type(By.id("body"), "Please restart the router and tell us if it still drops.");

        customerWrites("Update: it also drops when I restart it.");
        chromium.clickAndWait(By.xpath("//form[@action='/tickets/" + ticket + "/reply']//button[@type='submit']"));

        assertThat(browser.getCurrentUrl()).contains("/tickets/" + ticket + "?held=");
        String main = browser.findElement(By.tagName("main")).getText();
        assertThat(main).contains("Your reply was not sent").contains("Held reply (not sent)")
                .contains("Update: it also drops when I restart it.");
        long heldId = web.db.dsl().select(HELD_REPLY.ID).from(HELD_REPLY).where(HELD_REPLY.TICKET_ID.eq(ticket))
                .fetchSingle(HELD_REPLY.ID);
        assertThat(browser.findElement(By.id("held-body-" + heldId)).getAttribute("value"))
                .isEqualTo("Please restart the router and tell us if it still drops.");
        assertThat(browser.findElement(By.id("held-" + heldId + "-new-" + newestMessage())).isDisplayed()).isTrue();
        assertThat(outboxRows()).as("the held reply is not mailed").isZero();
        chromium.screenshot("stale-reply-held");

        chromium.clickAndWait(By.id("needs-attention"));
        assertThat(browser.findElement(By.id("attention")).getText()).contains("T-4001").contains("Please restart the router");
        chromium.screenshot("stale-reply-needs-attention");
        chromium.clickAndWait(By.linkText("T-4001"));

        chromium.clickAndWait(By.id("held-send-" + heldId));

        assertThat(browser.getCurrentUrl()).endsWith("/tickets/" + ticket + "?sent=mail");
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("Reply saved; it will be emailed to the requester.")
                .contains("Please restart the router and tell us if it still drops.").doesNotContain("Held reply (not sent)");
        assertThat(outboxRows()).as("sent anyway: mailed once").isEqualTo(1);
        assertThat(web.db.dsl().select(OUTBOX.BODY_TEXT).from(OUTBOX).where(OUTBOX.TICKET_ID.eq(ticket)).fetchSingle(OUTBOX.BODY_TEXT))
                .isEqualTo("Please restart the router and tell us if it still drops.");
        chromium.screenshot("stale-reply-sent");
    }

    private static int outboxRows() {
        return web.db.dsl().fetchCount(OUTBOX, OUTBOX.TICKET_ID.eq(ticket));
    }

    private static long newestMessage() {
        return web.db.dsl().select(dev.ticketd.db.generated.Tables.TICKET_MESSAGE.ID.max())
                .from(dev.ticketd.db.generated.Tables.TICKET_MESSAGE)
                .where(dev.ticketd.db.generated.Tables.TICKET_MESSAGE.TICKET_ID.eq(ticket)).fetchSingle(0, Long.class);
    }

    /** The customer's mail as intake stores it: threaded on the ticket by the desk, under its row lock, in one transaction. */
    private static void customerWrites(String text) {
        long inbound = web.data.storedMail("stale", "<stale-2@customer.example>", "kim@customer.example",
                ("Subject: Re: [T-4001] Router keeps dropping\r\n\r\n" + text + "\r\n").getBytes(StandardCharsets.US_ASCII));
        web.db.transactions().write(tx -> {
            TicketStatus status = TicketStatus.of(tx.select(TICKET.STATUS).from(TICKET).where(TICKET.ID.eq(ticket)).forUpdate()
                    .fetchSingle(TICKET.STATUS)).orElseThrow();
            return new Tickets().addMail(tx, "stale", ticket, status, inbound,
                    new IncomingMail("kim@customer.example", "Kim", "Re: [T-4001] Router keeps dropping", text, Optional.empty(),
                            List.of()), "token");
        });
    }
}
