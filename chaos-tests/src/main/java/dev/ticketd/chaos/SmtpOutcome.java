package dev.ticketd.chaos;

import dev.ticketd.chaos.scenario.check.History.Outcome;
import jakarta.mail.MessagingException;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;
import org.eclipse.angus.mail.util.MailConnectException;

import java.net.ConnectException;
import java.net.NoRouteToHostException;

/** What a failed SMTP send says about the mail: the outcome a chaos client records for it. */
public final class SmtpOutcome {

    private SmtpOutcome() {
    }

    /**
     * The mail certainly was not taken when the server refused a command with a 4xx or 5xx reply
     * (MAIL, RCPT or the end of the data) or no connection was made. In every other case the server
     * may have queued it — a time-out or a hang-up while waiting for the reply to the data (Jakarta
     * reports a hang-up as a send failure with return code -1), a failing QUIT after a 250 — so the
     * outcome is unknown. (A time-out before the data went out is classed unknown too: that only
     * weakens the check, never makes it wrong.)
     */
    public static Outcome of(Throwable failure) {
        for (Throwable t = failure; t != null; t = next(t)) {
            if (t instanceof MailConnectException || t instanceof ConnectException || t instanceof NoRouteToHostException) {
                return Outcome.FAIL;
            }
            int code = t instanceof SMTPSendFailedException f ? f.getReturnCode()
                    : t instanceof SMTPAddressFailedException a ? a.getReturnCode()
                    : t instanceof SMTPSenderFailedException f ? f.getReturnCode() : -1;
            if (code >= 400 && code < 600) {
                return Outcome.FAIL;
            }
        }
        return Outcome.UNKNOWN;
    }

    private static Throwable next(Throwable t) {
        if (t instanceof MessagingException m && m.getNextException() != null && m.getNextException() != t) {
            return m.getNextException();
        }
        return t.getCause() == t ? null : t.getCause();
    }
}
