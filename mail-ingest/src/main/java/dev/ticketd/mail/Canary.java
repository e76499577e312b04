package dev.ticketd.mail;

import dev.ticketd.mail.quarantine.HeaderPeek;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The canary mail: a tagged mail the self-watch sends to a support mailbox through its real SMTP
 * route, to see it come back through intake. It carries a random token in {@value #HEADER}; intake
 * treats it as a canary only when that token is in {@code canary_probe} for the same mailbox and not
 * yet received, so a customer who copies the header gets an ordinary ticket. Pure and thread-safe.
 */
public final class Canary {

    /** The header that carries the token. */
    public static final String HEADER = "X-Ticketd-Canary";
    private static final Pattern TOKEN = Pattern.compile("[0-9a-f]{32}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private Canary() {
    }

    /** A new unguessable token: 128 random bits in hex. */
    public static String newToken() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** The Message-ID of the canary with {@code token}, in the mailbox's own domain. */
    public static String messageId(String token, String mailboxAddress) {
        int at = mailboxAddress.lastIndexOf('@');
        String domain = at < 0 || at == mailboxAddress.length() - 1 ? "ticketd.invalid" : mailboxAddress.substring(at + 1);
        return "<canary." + token + "@" + domain + ">";
    }

    /**
     * The token a mail claims to carry, when it has the header and the value looks like a token. A
     * claim only: the caller checks it against the probes it sent.
     */
    public static Optional<String> claimedToken(byte[] raw) {
        return HeaderPeek.header(raw, HEADER).map(String::strip).filter(t -> TOKEN.matcher(t).matches());
    }
}
