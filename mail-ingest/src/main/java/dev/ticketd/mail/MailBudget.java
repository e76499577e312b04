package dev.ticketd.mail;

import java.time.Duration;

/**
 * What one mail may cost before a person has to look at it instead.
 *
 * @param parseTimeout    the longest parsing, sanitising and deriving text of one mail may take (all of it
 *                        before the mail's transaction); a mail that takes longer is stored raw in the
 *                        quarantine and the mails behind it go on
 * @param maxFailedPasses how many passes over the INBOX may fail on the same mail before it is stored raw
 *                        in the quarantine instead of being tried again
 */
public record MailBudget(Duration parseTimeout, int maxFailedPasses) {

    public static final Duration DEFAULT_PARSE_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_FAILED_PASSES = 3;
    public static final MailBudget DEFAULT = new MailBudget(DEFAULT_PARSE_TIMEOUT, DEFAULT_MAX_FAILED_PASSES);

    public MailBudget {
        if (parseTimeout.toMillis() < 100) {
            throw new IllegalArgumentException("the parse timeout must be at least 100 ms, was " + parseTimeout);
        }
        if (maxFailedPasses < 1) {
            throw new IllegalArgumentException("the failed passes allowed per mail must be at least 1, was " + maxFailedPasses);
        }
    }

    /** "10 s", "1.5 s", "500 ms": for reasons a person reads. */
    String parseTimeoutText() {
        long ms = parseTimeout.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms >= 1000 ? String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0) : ms + " ms";
    }
}
