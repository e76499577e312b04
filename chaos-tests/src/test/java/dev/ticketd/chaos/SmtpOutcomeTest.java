package dev.ticketd.chaos;

import dev.ticketd.chaos.scenario.check.History.Outcome;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * How a chaos client classifies a send that threw, on the exceptions Jakarta Mail really throws: a
 * server that refused is a failure, a server whose answer was never seen is an unknown outcome
 * (it may have queued the mail). Against a scripted SMTP server on a local socket.
 */
class SmtpOutcomeTest {

    /** What the scripted server does once it has the whole mail. */
    private enum AfterData { REFUSE, SAY_NOTHING, HANG_UP }

    private ServerSocket server;
    private Thread serving;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (serving != null) {
            serving.join(5_000);
        }
    }

    @Test
    void aServerThatRefusesTheRecipientIsAFailure() throws Exception {
        assertThat(outcomeOfSendingTo(serve(true, AfterData.REFUSE))).isEqualTo(Outcome.FAIL);
    }

    @Test
    void aServerThatRefusesTheDataIsAFailure() throws Exception {
        assertThat(outcomeOfSendingTo(serve(false, AfterData.REFUSE))).isEqualTo(Outcome.FAIL);
    }

    @Test
    void noServerListeningIsAFailure() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertThat(outcomeOfSendingTo(port)).isEqualTo(Outcome.FAIL);
    }

    @Test
    void aServerThatSaysNothingAfterTheDataIsAnUnknownOutcome() throws Exception {
        assertThat(outcomeOfSendingTo(serve(false, AfterData.SAY_NOTHING))).isEqualTo(Outcome.UNKNOWN);
    }

    @Test
    void aServerThatHangsUpAfterTheDataIsAnUnknownOutcome() throws Exception {
        assertThat(outcomeOfSendingTo(serve(false, AfterData.HANG_UP))).isEqualTo(Outcome.UNKNOWN);
    }

    @Test
    void aFailureWrappedByAnotherExceptionIsClassifiedByWhatItWraps() throws Exception {
        int refusing = serve(false, AfterData.REFUSE);
        MessagingException refused = catchThrowableOfType(() -> Transport.send(mail(refusing)), MessagingException.class);

        assertThat(SmtpOutcome.of(new IllegalStateException("SMTP delivery failed", refused))).isEqualTo(Outcome.FAIL);
        assertThat(SmtpOutcome.of(new IllegalStateException("SMTP delivery failed"))).isEqualTo(Outcome.UNKNOWN);
    }

    private static Outcome outcomeOfSendingTo(int port) throws MessagingException {
        MessagingException e = catchThrowableOfType(() -> Transport.send(mail(port)), MessagingException.class);
        assertThat(e).as("the send throws").isNotNull();
        return SmtpOutcome.of(e);
    }

    private static MimeMessage mail(int port) throws MessagingException {
        Properties p = new Properties();
        p.put("mail.smtp.host", InetAddress.getLoopbackAddress().getHostAddress());
        p.put("mail.smtp.port", Integer.toString(port));
        p.put("mail.smtp.connectiontimeout", "2000");
        p.put("mail.smtp.timeout", "1000");
        MimeMessage m = new MimeMessage(Session.getInstance(p));
        m.setFrom(new InternetAddress("customer1@customers.test"));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress("support@desk.test"));
        m.setSubject("cm000001 printer on fire");
        m.setText("chaos load mail cm000001");
        return m;
    }

    /** A one-connection SMTP server on a free local port; returns the port. */
    private int serve(boolean refuseRecipient, AfterData afterData) throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        serving = new Thread(() -> {
            try (Socket s = server.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream out = s.getOutputStream();
                say(out, "220 scripted");
                boolean inData = false;
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (inData) {
                        if (!line.equals(".")) {
                            continue;
                        }
                        inData = false;
                        switch (afterData) {
                            case REFUSE -> say(out, "554 5.7.1 refused");
                            case HANG_UP -> {
                                return;
                            }
                            case SAY_NOTHING -> {
                                // the client times out; keep the connection open until it gives up
                                while (in.readLine() != null) {
                                    // drain whatever it sends (QUIT) without answering
                                }
                                return;
                            }
                        }
                        continue;
                    }
                    String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase(java.util.Locale.ROOT) : line;
                    switch (verb) {
                        case "RCPT" -> say(out, refuseRecipient ? "550 5.1.1 no such user" : "250 ok");
                        case "DATA" -> {
                            say(out, "354 go ahead");
                            inData = true;
                        }
                        case "QUIT" -> {
                            say(out, "221 bye");
                            return;
                        }
                        default -> say(out, "250 ok"); // EHLO, MAIL, RSET, NOOP
                    }
                }
            } catch (IOException e) {
                // the client went away or the test closed the server: nothing left to serve
            }
        }, "scripted-smtp");
        serving.setDaemon(true);
        serving.start();
        return server.getLocalPort();
    }

    private static void say(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }
}
