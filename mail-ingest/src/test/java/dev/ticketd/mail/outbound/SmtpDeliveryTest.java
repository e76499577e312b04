package dev.ticketd.mail.outbound;

import dev.ticketd.mail.TransportSecurity;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** How a claimed row becomes a mail, and which SMTP failures give a mail up and which are tried again. */
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

    @Test
    void aReplyWithoutFilesIsOnePlainTextPart() throws Exception {
        MimeMessage sent = onTheWire(row("reply", List.of()));

        assertThat(sent.isMimeType("text/plain")).isTrue();
        assertThat(sent.getContent()).isEqualTo("Here you are.");
    }

    @Test
    void aReplyWithFilesIsMultipartMixedTextFirstWithNamesAndBytesIntact() throws Exception {
        byte[] pdf = {'%', 'P', 'D', 'F', 0, (byte) 0xff, '\n', '\r'};
        byte[] notes = "line one\nline two\n".getBytes(StandardCharsets.UTF_8); // bare LF must arrive as LF
        String longName = "Übersicht der Änderungen an der Druckerkonfiguration im zweiten Quartal 2026 (endgültig).pdf";
        MimeMessage sent = onTheWire(row("reply", List.of(
                new OutboxRows.Attachment("Rechnung März.pdf", "application/pdf", pdf),
                new OutboxRows.Attachment("notes.txt", "text/plain", notes),
                new OutboxRows.Attachment(longName, "application/pdf", pdf))));

        assertThat(sent.isMimeType("multipart/mixed")).isTrue();
        Multipart parts = (Multipart) sent.getContent();
        assertThat(parts.getCount()).isEqualTo(4);
        BodyPart text = parts.getBodyPart(0);
        assertThat(text.isMimeType("text/plain")).isTrue();
        assertThat(text.getContent()).isEqualTo("Here you are.");
        assertThat(text.getDisposition()).isNull();
        BodyPart invoice = parts.getBodyPart(1);
        assertThat(invoice.getDisposition()).isEqualTo(Part.ATTACHMENT);
        assertThat(invoice.getFileName()).as("RFC 2231, decoded by the receiving client").isEqualTo("Rechnung März.pdf");
        assertThat(invoice.getHeader("Content-Disposition")[0]).contains("filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf");
        assertThat(invoice.getHeader("Content-Type")[0]).startsWith("application/pdf").contains("name=\"=?UTF-8?B?");
        assertThat(invoice.getHeader("Content-Transfer-Encoding")[0]).isEqualTo("base64");
        assertThat(invoice.getInputStream().readAllBytes()).isEqualTo(pdf);
        BodyPart textFile = parts.getBodyPart(2);
        assertThat(textFile.getFileName()).isEqualTo("notes.txt");
        assertThat(textFile.getHeader("Content-Transfer-Encoding")[0]).isEqualTo("base64");
        assertThat(textFile.getInputStream().readAllBytes()).isEqualTo(notes);
        BodyPart longOne = parts.getBodyPart(3);
        assertThat(longOne.getFileName()).as("a long name in RFC 2231 sections").isEqualTo(longName);
        assertThat(longOne.getHeader("Content-Disposition")[0]).contains("filename*0*=UTF-8''").contains("filename*1*=");
        assertThat(MimeUtility.decodeText(new ContentType(longOne.getContentType()).getParameter("name")))
                .as("and in RFC 2047 words for older clients").isEqualTo(longName);
    }

    @Test
    void aStoredContentTypeThatDoesNotParseIsSentAsOctetStreamRatherThanFailingTheReply() throws Exception {
        MimeMessage sent = onTheWire(row("reply", List.of(new OutboxRows.Attachment("x.bin", "not a type", new byte[]{1}))));

        assertThat(((Multipart) sent.getContent()).getBodyPart(1).isMimeType("application/octet-stream")).isTrue();
    }

    private static OutboxRows.Claimed row(String kind, List<OutboxRows.Attachment> attachments) {
        return new OutboxRows.Claimed(1, kind, "<reply.1@desk.example.test>", "ann@example.test", "Re: Printer [T-1]",
                "Here you are.", Optional.empty(), Optional.empty(), 1, false, attachments);
    }

    /** The mail built for the row, written out as SMTP would send it and read back as a client would. */
    private static MimeMessage onTheWire(OutboxRows.Claimed row) throws Exception {
        SmtpSettings settings = SmtpSettings.of("127.0.0.1", 2525, TransportSecurity.NONE, null, null, "support@desk.example.test", "");
        try (SmtpDelivery delivery = new SmtpDelivery(settings, Date::new)) {
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            delivery.build(row).writeTo(wire);
            return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(wire.toByteArray()));
        }
    }

    private static InternetAddress address(String s) {
        try {
            return new InternetAddress(s);
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }
}
