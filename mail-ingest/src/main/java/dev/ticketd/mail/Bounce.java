package dev.ticketd.mail;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A delivery status notification (RFC 3464: {@code multipart/report; report-type=delivery-status}),
 * as far as the help desk needs it: which mail it reports on, and what became of it for whom.
 *
 * @param originalMessageId the Message-ID of the reported mail, from its returned headers
 *                          ({@code message/rfc822} or {@code text/rfc822-headers} part), when present
 * @param reportingMta      the Reporting-MTA field without its type ({@code mx.example.test}), or empty
 * @param recipients        the per-recipient reports, in the order of the report (possibly none)
 * @param nested            the report is not the mail itself but a {@code message/rfc822} part of it (a
 *                          forwarded bounce); it counts as a bounce only when it reports on a mail we know
 */
public record Bounce(Optional<String> originalMessageId, String reportingMta, List<Recipient> recipients, boolean nested) {

    /** A report that is the mail itself. */
    public Bounce(Optional<String> originalMessageId, String reportingMta, List<Recipient> recipients) {
        this(originalMessageId, reportingMta, recipients, false);
    }

    /** The same report, found inside another mail. */
    public Bounce asNested() {
        return nested ? this : new Bounce(originalMessageId, reportingMta, recipients, true);
    }

    /**
     * One per-recipient report. Values are unfolded and stripped; the address types
     * ({@code rfc822;}, {@code smtp;}) are removed from the recipients but kept in the diagnostic.
     *
     * @param finalRecipient the Final-Recipient address (or Original-Recipient when that is missing)
     * @param action         Action, lower case: {@code failed}, {@code delayed}, {@code delivered}, {@code relayed}, {@code expanded}
     * @param status         Status, e.g. {@code 5.1.1}, or empty
     * @param diagnostic     Diagnostic-Code, e.g. {@code smtp; 550 5.1.1 user unknown}, or empty
     */
    public record Recipient(String finalRecipient, String action, String status, String diagnostic) {
        public Recipient {
            finalRecipient = finalRecipient == null ? "" : finalRecipient.strip();
            action = action == null ? "" : action.strip().toLowerCase(Locale.ROOT);
            status = status == null ? "" : status.strip();
            diagnostic = diagnostic == null ? "" : diagnostic.strip();
        }
    }

    public Bounce {
        originalMessageId = originalMessageId == null ? Optional.empty() : originalMessageId;
        reportingMta = reportingMta == null ? "" : reportingMta.strip();
        recipients = List.copyOf(recipients);
    }

    /** Whether delivery failed for good for at least one recipient (Action: failed). */
    public boolean failed() {
        return recipients.stream().anyMatch(r -> r.action().equals("failed"));
    }

    /** The recipients whose delivery failed. */
    public List<Recipient> failedRecipients() {
        return recipients.stream().filter(r -> r.action().equals("failed")).toList();
    }

    /**
     * The report that matters most: the first failed recipient, else the first delayed one, else the
     * first of any kind.
     */
    public Optional<Recipient> principal() {
        return recipients.stream().filter(r -> r.action().equals("failed")).findFirst()
                .or(() -> recipients.stream().filter(r -> r.action().equals("delayed")).findFirst())
                .or(() -> recipients.stream().findFirst());
    }

    /** The principal Action ({@code failed}, {@code delayed}, ...), or {@code unknown} without recipients. */
    public String action() {
        return principal().map(Recipient::action).filter(a -> !a.isEmpty()).orElse("unknown");
    }
}
