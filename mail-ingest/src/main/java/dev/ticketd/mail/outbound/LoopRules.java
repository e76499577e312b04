package dev.ticketd.mail.outbound;

import dev.ticketd.mail.ParsedMail;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * When the help desk must not answer a mail automatically (RFC 3834, plus the non-standard signals
 * that mail programs really send), so that two automatic responders can never talk to each other
 * for ever. A pure function of the mail's sender and headers; thread-safe.
 */
public final class LoopRules {

    /** Why a mail gets no automatic answer. */
    public enum Suppression {
        /** The mailbox has acknowledgements switched off. */
        DISABLED,
        /** {@code Auto-Submitted} other than {@code no}: the mail was itself sent by a program. */
        AUTO_SUBMITTED,
        /** {@code Precedence: bulk}, {@code junk} or {@code list}. */
        PRECEDENCE,
        /** A {@code List-Id}: mail from a mailing list. */
        MAILING_LIST,
        /** {@code Return-Path: <>}: a bounce or another automatic notification. */
        EMPTY_RETURN_PATH,
        /** {@code X-Auto-Response-Suppress} asks for no automatic answer. */
        RESPONSE_SUPPRESSED,
        /** {@code X-Autoreply} / {@code X-Autorespond}: a vacation responder that does not speak RFC 3834. */
        AUTO_REPLY_MARKER,
        /** A {@code multipart/report}: a delivery status notification. */
        DELIVERY_REPORT,
        /** The sender is a mail system or a no-reply address (mailer-daemon, postmaster, noreply, ...). */
        ROBOT_SENDER,
        /** The sender is one of the help desk's own addresses. */
        OWN_ADDRESS,
        /** The sender already got as many acknowledgements in the last hour as allowed. */
        RATE_LIMITED
    }

    public static final int DEFAULT_ACKS_PER_SENDER_PER_HOUR = 3;

    private static final Set<String> NO_AUTO_ANSWER_PRECEDENCE = Set.of("bulk", "junk", "list");
    private static final Set<String> SUPPRESS_VALUES = Set.of("all", "autoreply", "oof");
    private static final Set<String> ROBOT_LOCAL_PARTS = Set.of("mailer-daemon", "mailerdaemon", "postmaster",
            "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply", "bounce", "bounces");

    private LoopRules() {
    }

    /**
     * @param fromAddress  the sender's address
     * @param headers      the mail's loop headers
     * @param ownAddresses the help desk's own mailbox addresses (any case)
     * @return why the mail must not be answered automatically, or empty when it may be
     */
    public static Optional<Suppression> check(String fromAddress, ParsedMail.LoopHeaders headers, Set<String> ownAddresses) {
        // any value but "no" marks an automatic mail, a value that is all comment (or an unclosed one) too
        if (!headers.autoSubmitted().isEmpty() && !firstToken(headers.autoSubmitted()).equals("no")) {
            return Optional.of(Suppression.AUTO_SUBMITTED);
        }
        if (NO_AUTO_ANSWER_PRECEDENCE.contains(firstToken(headers.precedence()))) {
            return Optional.of(Suppression.PRECEDENCE);
        }
        if (!headers.listId().isEmpty()) {
            return Optional.of(Suppression.MAILING_LIST);
        }
        if (headers.returnPath().map(LoopRules::isEmptyPath).orElse(false)) {
            return Optional.of(Suppression.EMPTY_RETURN_PATH);
        }
        if (Arrays.stream(headers.autoResponseSuppress().split(","))
                .map(v -> v.strip().toLowerCase(Locale.ROOT)).anyMatch(SUPPRESS_VALUES::contains)) {
            return Optional.of(Suppression.RESPONSE_SUPPRESSED);
        }
        if (headers.autoReplyMarker()) {
            return Optional.of(Suppression.AUTO_REPLY_MARKER);
        }
        if (headers.deliveryReport()) {
            return Optional.of(Suppression.DELIVERY_REPORT);
        }
        String from = fromAddress == null ? "" : fromAddress.strip().toLowerCase(Locale.ROOT);
        if (from.isEmpty() || isRobot(from)) {
            return Optional.of(Suppression.ROBOT_SENDER);
        }
        if (ownAddresses.stream().anyMatch(own -> own.strip().equalsIgnoreCase(from))) {
            return Optional.of(Suppression.OWN_ADDRESS);
        }
        return Optional.empty();
    }

    /** Whether one more acknowledgement to a sender is allowed, given how many it got in the last hour. */
    public static boolean withinRate(int acksInLastHour, int perHourLimit) {
        return acksInLastHour < perHourLimit;
    }

    /** mailer-daemon, postmaster, noreply and kin (a {@code +tag} ignored), list owners and bounce addresses. */
    static boolean isRobot(String address) {
        int at = address.lastIndexOf('@');
        String local = at < 0 ? address : address.substring(0, at);
        int plus = local.indexOf('+');
        if (plus > 0) {
            local = local.substring(0, plus);
        }
        return ROBOT_LOCAL_PARTS.contains(local) || local.startsWith("owner-") || local.endsWith("-request")
                || local.endsWith("-bounces") || local.endsWith("-owner");
    }

    /** {@code <>} (with any whitespace or comment), or nothing at all. */
    private static boolean isEmptyPath(String returnPath) {
        String p = stripComments(returnPath);
        StringBuilder bare = new StringBuilder(Math.min(p.length(), 8));
        for (int i = 0; i < p.length() && bare.length() < 3; i++) {
            if (!Character.isWhitespace(p.charAt(i))) {
                bare.append(p.charAt(i));
            }
        }
        return bare.isEmpty() || bare.toString().equals("<>");
    }

    /** The value's first token, lower case, without parameters ({@code ;...}) or comments ({@code (...)}). */
    private static String firstToken(String value) {
        String v = stripComments(value);
        int semi = v.indexOf(';');
        if (semi >= 0) {
            v = v.substring(0, semi);
        }
        return v.strip().toLowerCase(Locale.ROOT);
    }

    /**
     * The value without its RFC 5322 comments: {@code (…)}, nested, with {@code \\} quoting inside.
     * One pass over the value (a regex for this backtracks quadratically on a long run of
     * {@code (}, which a sender controls); an unclosed comment runs to the end of the value.
     */
    static String stripComments(String value) {
        StringBuilder out = new StringBuilder(value.length());
        int depth = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (depth > 0 && c == '\\') {
                i++; // a quoted character inside a comment, whatever it is
            } else if (c == '(') {
                depth++;
            } else if (c == ')' && depth > 0) {
                depth--;
            } else if (depth == 0) {
                out.append(c);
            }
        }
        return out.toString();
    }
}
