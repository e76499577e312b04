package dev.ticketd.node.ticket;

import dev.ticketd.node.web.WebFixture;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static dev.ticketd.db.generated.Tables.TICKET_MESSAGE;

/**
 * Measures what one view of a ticket with an 8 MB HTML mail costs: the time and size of
 * {@code GET /tickets/{id}} (and of the whole-message page when the node has one), median of
 * several runs after a warm-up. It uses only what every node version has, so the same program
 * measures before and after a change. A program, not a test: timings depend on the machine, so nothing
 * here asserts them. Run it with the test classpath; it prints its figures on standard output,
 * which is its whole purpose.
 */
public final class ViewCost {

    private ViewCost() {
    }

    public static void main(String[] args) {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        try (WebFixture web = new WebFixture()) {
            WebFixture.Browser browser = web.loggedInBrowser();
            String mailbox = web.data.mailbox("cost", "support-cost@example.test");
            long ticket = web.data.ticket("T-9001", "Huge log", "open", mailbox, "huge@example.test");
            StringBuilder mail = new StringBuilder();
            for (int i = 0; mail.length() < 8 * 1024 * 1024; i++) {
                mail.append("<p>Line ").append(i).append(" of the log the customer pasted: <b>ERROR</b> something failed again.</p>");
            }
            String html = mail.toString();
            long inbound = web.data.inbound(ticket, mailbox, "<cost@x>", "huge@example.test", "text",
                    "Subject: x\r\n\r\nx".getBytes(StandardCharsets.US_ASCII));
            web.db.dsl().update(TICKET_MESSAGE).set(TICKET_MESSAGE.BODY_HTML, html)
                    .where(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(inbound)).execute();
            long message = web.db.dsl().select(TICKET_MESSAGE.ID).from(TICKET_MESSAGE)
                    .where(TICKET_MESSAGE.INBOUND_MESSAGE_ID.eq(inbound)).fetchSingle(TICKET_MESSAGE.ID);
            report("ticket page", browser, "/tickets/" + ticket, runs, html.length());
            if (browser.get("/tickets/" + ticket + "/messages/" + message).statusCode() == 200) {
                report("whole message page", browser, "/tickets/" + ticket + "/messages/" + message, runs, html.length());
            }
        }
    }

    private static void report(String what, WebFixture.Browser browser, String path, int runs, int mailChars) {
        browser.get(path); // warm-up: JIT, template class loading
        List<Long> millis = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            HttpResponse<String> response = browser.get(path);
            millis.add((System.nanoTime() - start) / 1_000_000);
            bytes = response.body().length();
            if (response.statusCode() != 200) {
                throw new IllegalStateException(path + " answered " + response.statusCode());
            }
        }
        List<Long> sorted = millis.stream().sorted().toList();
        System.out.printf("%s with a %,d-character HTML mail: median %d ms of %d runs %s; page %,d characters%n",
                what, mailChars, sorted.get(sorted.size() / 2), runs, millis, bytes);
    }
}
