package dev.ticketd.node.ticket;

import dev.ticketd.node.web.WebFixture;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures what one view of a ticket with an 8 MB HTML mail costs: the time and size of
 * {@code GET /tickets/{id}} (and of the whole-message page when the node has one), median of
 * several runs after a warm-up. A program, not a test: timings depend on the machine, so nothing
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
            String html = LongMessageTest.bigHtml(8 * 1024 * 1024);
            LongMessageTest.web = web;
            LongMessageTest.mailbox = mailbox;
            long message = LongMessageTest.htmlMessage(ticket, html, "text");
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
