package dev.ticketd.node.cli;

import dev.ticketd.db.Database;
import dev.ticketd.desk.Tickets;
import dev.ticketd.node.auth.StaffAccounts;
import dev.ticketd.node.auth.StaffUser;
import dev.ticketd.node.ticket.ReplyService;
import dev.ticketd.node.ticket.TicketChanges;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Collectors;

import static dev.ticketd.db.generated.Tables.TICKET;

/**
 * A desk at work for the demo: a handful of customers' mails sent to the support mailbox through the
 * demo's SMTP server, taken in by the node as any mail is, then worked by the two demo agents —
 * taken, answered, parked, moved to Billing, tagged, resolved — through the same services as the
 * pages. So a newcomer opens the desk and sees every view with something in it.
 */
final class DemoDesk {

    /** A customer's mail, and what the demo's staff do with its ticket. */
    private record Story(String fromName, String from, String subject, String body) {
    }

    private static final List<Story> STORIES = List.of(
            new Story("Kim Berger", "kim@berger-bikes.example", "Cannot log in since this morning",
                    "Hello,\n\nsince this morning the login page says my password is wrong. I did not change it.\n\nKim"),
            new Story("Lee Park", "lee@berger-bikes.example", "Invoice 2026-118 charged twice",
                    "Hi,\n\nour card was charged twice for invoice 2026-118 (49.00 EUR each). Please refund one.\n\nLee Park, Berger Bikes"),
            new Story("Mia Novak", "mia.novak@gmail.com", "Feature request: dark mode",
                    "Would love a dark mode for the customer portal. Reading at night hurts!"),
            new Story("Omar Haddad", "omar@haddad-logistics.example", "Website down?",
                    "Your status page is green but the shop has answered 502 for ten minutes. Urgent: we ship at 14:00."),
            new Story("Sara Lind", "sara@lind.example", "Refund for order 1042",
                    "I returned order 1042 two weeks ago (tracking RT123456789SE). When will the refund arrive?"),
            new Story("Tom Weber", "tom@weber-cafe.example", "Thank you!",
                    "Just wanted to say thanks for the quick help last week. Everything works now."));

    private DemoDesk() {
    }

    /**
     * Sends the stories' mails, waits (at most {@code patience}) until the node made their tickets,
     * and works them. Returns how many tickets it made, or throws when the node did not take the
     * mail in time (the demo then says so and runs on, empty).
     */
    static int seed(Database db, int smtpPort, String mailbox, String password, Duration patience) throws MessagingException, InterruptedException {
        String run = UUID.randomUUID().toString().substring(0, 8);
        send(smtpPort, mailbox, run);
        Map<String, Long> ids = awaitTickets(db, patience);
        StaffAccounts accounts = new StaffAccounts(db);
        StaffUser ana = accounts.authenticate(DemoCommand.SUPPORT_AGENT, password).orElseThrow();
        StaffUser ben = accounts.authenticate(DemoCommand.BILLING_AGENT, password).orElseThrow();
        TicketChanges changes = new TicketChanges(db.transactions(), new Tickets());
        ReplyService replies = new ReplyService(db.transactions());

        long login = ids.get("Cannot log in since this morning");
        changes.apply(login, ana, TicketChanges.Wanted.owner("me"));
        replies.reply(login, ana, "Hello Kim,\n\nthree wrong passwords locked the account; it is unlocked now and a reset link is on its way."
                + " Does it work?\n\nAna", "demo-" + run + "-1", List.of());
        changes.apply(login, ana, TicketChanges.Wanted.status("pending",
                Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MINUTES).toString(), "customer"));

        long invoice = ids.get("Invoice 2026-118 charged twice");
        changes.apply(invoice, ana, new TicketChanges.Wanted(Optional.empty(), Optional.of("high"), Optional.of("Billing"), Optional.empty()));
        changes.apply(invoice, ben, TicketChanges.Wanted.owner("me"));
        replies.note(invoice, ben, "Payment provider shows two captures; refund of one started, reference RF-5521.",
                "demo-" + run + "-2", List.of());

        long darkMode = ids.get("Feature request: dark mode");
        changes.apply(darkMode, ana, TicketChanges.Wanted.tags(List.of("feature-request", "portal")));
        changes.apply(darkMode, ana, new TicketChanges.Wanted(Optional.of("resolved"), Optional.of("low"), Optional.empty(), Optional.empty()));

        long down = ids.get("Website down?");
        changes.apply(down, ana, TicketChanges.Wanted.priority("urgent"));

        long refund = ids.get("Refund for order 1042");
        changes.apply(refund, ana, TicketChanges.Wanted.group("Billing"));
        changes.apply(refund, ben, TicketChanges.Wanted.tags(List.of("refund")));

        long thanks = ids.get("Thank you!");
        changes.apply(thanks, ana, TicketChanges.Wanted.status("closed"));
        return ids.size();
    }

    private static void send(int smtpPort, String mailbox, String run) throws MessagingException {
        Properties props = new Properties();
        props.setProperty("mail.smtp.connectiontimeout", "10000");
        props.setProperty("mail.smtp.timeout", "10000");
        props.setProperty("mail.smtp.writetimeout", "10000");
        Session session = Session.getInstance(props);
        try (Transport transport = session.getTransport("smtp")) {
            transport.connect("127.0.0.1", smtpPort, null, null);
            for (Story story : STORIES) {
                MimeMessage m = new MimeMessage(session);
                m.setFrom(new InternetAddress(story.from(), story.fromName(), "UTF-8"));
                m.setRecipient(Message.RecipientType.TO, new InternetAddress(mailbox));
                m.setSubject(story.subject(), "UTF-8");
                m.setSentDate(new Date());
                m.setText(story.body(), "UTF-8");
                m.saveChanges();
                m.setHeader("Message-ID", "<demo-" + run + "-" + Math.abs(story.subject().hashCode()) + "@demo.example>");
                transport.sendMessage(m, m.getAllRecipients());
            }
        } catch (java.io.UnsupportedEncodingException e) {
            throw new IllegalStateException("UTF-8 is always supported", e);
        }
    }

    /** The stories' tickets by subject, once there is one for each (polling the database, bounded by {@code patience}). */
    private static Map<String, Long> awaitTickets(Database db, Duration patience) throws InterruptedException {
        List<String> subjects = STORIES.stream().map(Story::subject).toList();
        Instant deadline = Clock.systemUTC().instant().plus(patience);
        while (true) {
            Map<String, Long> found = db.dsl().select(TICKET.SUBJECT, TICKET.ID).from(TICKET).where(TICKET.SUBJECT.in(subjects))
                    .fetch().stream().collect(Collectors.toMap(r -> r.value1(), r -> r.value2(), (a, b) -> Math.min(a, b)));
            if (found.size() == subjects.size()) {
                return found;
            }
            if (Clock.systemUTC().instant().isAfter(deadline)) {
                throw new IllegalStateException("the node made " + found.size() + " of the demo's " + subjects.size()
                        + " tickets within " + patience.toSeconds() + " s");
            }
            Thread.sleep(250); // polling the database for the node's work: a bounded wait, not synchronisation between threads
        }
    }
}
