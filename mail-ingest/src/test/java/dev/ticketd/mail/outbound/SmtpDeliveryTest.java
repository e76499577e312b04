package dev.ticketd.mail.outbound;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.internet.InternetAddress;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;

import static org.assertj.core.api.Assertions.assertThat;

/** Which SMTP failures give a mail up and which are tried again. */
class SmtpDeliveryTest {

    private static final InternetAddress ANN = address("ann@example.test");

    @Test
    void aRecipientRefusedWith5xxIsPermanent() {
        SMTPAddressFailedException refused = new SMTPAddressFailedException(ANN, "RCPT TO:<ann@example.test>", 550, "550 no such user");
        SendFailedException e = new SendFailedException("Invalid Addresses", refused);

        assertThat(SmtpDelivery.classify(e)).isInstanceOf(SmtpDelivery.Result.Permanent.class);
    }

    @Test
    void aMessageRefusedWith5xxIsPermanent() {
        SMTPSendFailedException e = new SMTPSendFailedException("DATA", 554, "554 message rejected as spam", null, null, null, null);

        assertThat(SmtpDelivery.classify(e)).isInstanceOf(SmtpDelivery.Result.Permanent.class);
    }

    @Test
    void a4xxIsTransientAndKeepsTheConnection() {
        SMTPSendFailedException e = new SMTPSendFailedException("DATA", 451, "451 try again later", null, null, null, null);

        assertThat(SmtpDelivery.classify(e)).isEqualTo(new SmtpDelivery.Result.Transient(
                ((SmtpDelivery.Result.Transient) SmtpDelivery.classify(e)).error(), false));
    }

    @Test
    void aRecipientRefusedWith4xxIsTransient() {
        SMTPAddressFailedException greylisted = new SMTPAddressFailedException(ANN, "RCPT TO:<ann@example.test>", 450, "450 greylisted");

        assertThat(SmtpDelivery.classify(new SendFailedException("Invalid Addresses", greylisted)))
                .isInstanceOf(SmtpDelivery.Result.Transient.class);
    }

    @Test
    void anUnreachableServerARefusedLoginOrARefusedSenderIsTransient() {
        assertThat(SmtpDelivery.classify(new MessagingException("Could not connect", new ConnectException("refused"))))
                .isInstanceOf(SmtpDelivery.Result.Transient.class);
        assertThat(SmtpDelivery.classify(new AuthenticationFailedException("535 bad credentials")))
                .isInstanceOf(SmtpDelivery.Result.Transient.class);
        assertThat(SmtpDelivery.classify(new SendFailedException("sender",
                new SMTPSenderFailedException(ANN, "MAIL FROM", 553, "553 not your address"))))
                .isInstanceOf(SmtpDelivery.Result.Transient.class);
    }

    private static InternetAddress address(String s) {
        try {
            return new InternetAddress(s);
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }
}
