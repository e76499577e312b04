package dev.ticketd.chaos.scenario;

import dev.ticketd.chaos.SmtpOutcome;
import dev.ticketd.chaos.scenario.check.History;
import dev.ticketd.chaos.scenario.check.History.Kind;
import dev.ticketd.chaos.scenario.check.History.Outcome;
import dev.ticketd.chaos.scenario.check.History.Send;
import dev.ticketd.mail.testing.Eml;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The customers: a load generator that hands uniquely tagged mail to the mail server over SMTP
 * from many senders. Most mails open a ticket; some reply to an earlier mail's ticket (its ticket
 * token in the subject and {@code In-Reply-To} its Message-ID); some are files from the project's
 * bad-mail corpus with the tag written into their Subject and Message-ID. Each send is recorded as
 * an operation of the {@link History}: ok (the server said 250 to the data), fail (it certainly did
 * not take the mail) or unknown (its answer was never seen).
 */
final class Customers {

    /** Corpus files with nasty shapes; each still has to be taken in exactly once. */
    static final List<String> BAD_MAIL = List.of("13-unknown-charset.eml", "16-8bit-utf8-headers.eml",
            "17-no-message-id-no-date.eml", "18-duplicate-headers.eml", "21-broken-multipart.eml", "24-html-attacks.eml",
            "25-base64-garbage.eml", "26-unknown-transfer-encoding.eml", "27-no-content-type-8bit-1252.eml");

    private static final Logger log = LoggerFactory.getLogger(Customers.class);

    private final Session session;
    private final String to;
    private final Random random;
    private final Function<String, Optional<String>> ticketOfTag;
    private final Map<String, Send> sent = new ConcurrentHashMap<>();
    private final Map<String, String> senderOf = new ConcurrentHashMap<>();
    private final List<String> ticketable = new ArrayList<>();
    private final AtomicInteger sequence = new AtomicInteger();

    /** {@code ticketOfTag}: the ticket number a tagged mail became, if it has yet (for replies). */
    Customers(String smtpHost, int smtpPort, String to, long seed, Function<String, Optional<String>> ticketOfTag) {
        this(smtpHost, smtpPort, to, seed, 1, ticketOfTag);
    }

    /**
     * {@code firstTag}: the number of the first mail's tag, so that a second stream into a mailbox that
     * holds an earlier stream's mails uses tags (and Message-IDs) of its own.
     */
    Customers(String smtpHost, int smtpPort, String to, long seed, int firstTag, Function<String, Optional<String>> ticketOfTag) {
        Properties p = new Properties();
        p.put("mail.smtp.host", smtpHost);
        p.put("mail.smtp.port", Integer.toString(smtpPort));
        p.put("mail.smtp.connectiontimeout", "5000");
        p.put("mail.smtp.timeout", "10000");
        p.put("mail.smtp.writetimeout", "10000");
        this.session = Session.getInstance(p);
        this.to = to;
        this.random = new Random(seed);
        this.ticketOfTag = ticketOfTag;
        this.sequence.set(firstTag - 1);
    }

    static String tag(int n) {
        return String.format("cm%06d", n);
    }

    static String messageId(String tag) {
        return "<" + tag + "@customers.test>";
    }

    /** Sends one mail: 75 % new, 17 % replies (when an earlier mail has a ticket), 8 % bad mail. */
    void sendOne() {
        int n = sequence.incrementAndGet();
        String tag = tag(n);
        String from = "customer" + random.nextInt(40) + "@customers.test";
        int roll = random.nextInt(100);
        Send attempt;
        try {
            if (roll < 8) {
                String file = BAD_MAIL.get(random.nextInt(BAD_MAIL.size()));
                attempt = send(tag, Kind.BAD, null, rewrite(Eml.load(file), tag, from));
            } else if (roll < 25 && !ticketable.isEmpty()) {
                String original = ticketable.get(random.nextInt(ticketable.size()));
                Optional<String> ticket = ticketOfTag.apply(original);
                if (ticket.isPresent()) {
                    from = senderOf.get(original); // a customer answers in their own thread (others open a linked ticket)
                    MimeMessage m = text(from, "Re: [" + ticket.get() + "] " + tag + " follow-up", "more on " + original);
                    m.setHeader("In-Reply-To", messageId(original));
                    m.setHeader("References", messageId(original));
                    m.setHeader("Message-ID", messageId(tag));
                    attempt = send(tag, Kind.REPLY, original, m);
                } else {
                    attempt = send(tag, Kind.NEW, null, newMail(from, tag));
                }
            } else {
                attempt = send(tag, Kind.NEW, null, newMail(from, tag));
            }
        } catch (MessagingException e) {
            attempt = new Send(tag, Kind.NEW, null, Instant.now(), Outcome.FAIL); // never handed to the server
            log.warn("could not build mail {}: {}", tag, e.toString());
        }
        sent.put(tag, attempt);
        senderOf.put(tag, from);
        // only a mail known to be taken is answered: an unknown one may never become a ticket
        if (attempt.outcome() == Outcome.OK && attempt.kind() != Kind.BAD) {
            synchronized (this) {
                ticketable.add(tag);
            }
        }
    }

    private MimeMessage newMail(String from, String tag) throws MessagingException {
        MimeMessage m = text(from, tag + " printer on fire", "chaos load mail " + tag);
        m.setHeader("Message-ID", messageId(tag));
        return m;
    }

    private MimeMessage text(String from, String subject, String body) throws MessagingException {
        MimeMessage m = new MimeMessage(session) {
            @Override
            protected void updateMessageID() {
                // keep the Message-ID we set
            }
        };
        m.setFrom(new InternetAddress(from));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress(to));
        m.setSubject(subject, "UTF-8");
        m.setText(body, "UTF-8");
        return m;
    }

    /** The corpus file with its Subject and Message-ID replaced by tagged ones and From by a customer. */
    private MimeMessage rewrite(byte[] raw, String tag, String from) throws MessagingException {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int headerEnd = text.indexOf("\r\n\r\n");
        String headers = headerEnd < 0 ? text : text.substring(0, headerEnd);
        String body = headerEnd < 0 ? "" : text.substring(headerEnd);
        StringBuilder kept = new StringBuilder();
        boolean skipping = false;
        for (String line : headers.split("\r\n", -1)) {
            boolean continuation = !line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t');
            if (continuation && skipping) {
                continue;
            }
            String lower = line.toLowerCase(java.util.Locale.ROOT);
            skipping = lower.startsWith("subject:") || lower.startsWith("message-id:") || lower.startsWith("to:")
                    || lower.startsWith("from:");
            if (!skipping) {
                kept.append(line).append("\r\n");
            }
        }
        String rebuilt = "Subject: " + tag + " bad mail\r\nMessage-ID: " + messageId(tag) + "\r\nFrom: " + from + "\r\nTo: "
                + to + "\r\n" + kept + body.substring(Math.min(2, body.length()));
        MimeMessage m = new MimeMessage(session, new ByteArrayInputStream(rebuilt.getBytes(StandardCharsets.ISO_8859_1))) {
            @Override
            protected void updateMessageID() {
                // keep the Message-ID we set
            }

            @Override
            protected void updateHeaders() {
                // send the corpus bytes as they are
            }
        };
        return m;
    }

    private Send send(String tag, Kind kind, String replyTo, MimeMessage m) {
        Instant at = Instant.now();
        // invoked: a send the run stops in the middle of stays unknown (the caller records the completion)
        sent.put(tag, new Send(tag, kind, replyTo, at, Outcome.UNKNOWN));
        try {
            Transport.send(m, new jakarta.mail.Address[]{new InternetAddress(to)});
            return new Send(tag, kind, replyTo, at, Outcome.OK);
        } catch (MessagingException e) {
            Outcome outcome = SmtpOutcome.of(e);
            log.warn("mail {} outcome={}: {}", tag, outcome.id(), e.toString());
            return new Send(tag, kind, replyTo, at, outcome);
        }
    }

    Map<String, Send> sent() {
        return Map.copyOf(sent);
    }
}
