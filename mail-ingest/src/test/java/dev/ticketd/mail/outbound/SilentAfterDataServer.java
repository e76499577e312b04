package dev.ticketd.mail.outbound;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fault for the outbox: an SMTP server on loopback that answers every command, takes a mail's
 * data, and then never answers the final dot (as when a server or its disk stalls after it may
 * have stored the mail). Counts the mails whose data it received in full. Serves one connection
 * at a time; closed with {@link #close()}.
 */
final class SilentAfterDataServer implements AutoCloseable {

    private final ServerSocket socket;
    private final Thread thread;
    private final AtomicInteger mailsReceived = new AtomicInteger();

    SilentAfterDataServer() {
        try {
            socket = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        thread = new Thread(this::serve, "silent-smtp");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    int mailsReceived() {
        return mailsReceived.get();
    }

    private void serve() {
        while (!socket.isClosed()) {
            try (Socket s = socket.accept()) {
                s.setSoTimeout(30_000);
                converse(s);
            } catch (SocketException closed) {
                return;
            } catch (IOException e) {
                // the client gave up on this connection; take the next one
            }
        }
    }

    private void converse(Socket s) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
        OutputStream out = s.getOutputStream();
        say(out, "220 silent.test ESMTP");
        String line;
        while ((line = in.readLine()) != null) {
            String command = line.length() >= 4 ? line.substring(0, 4).toUpperCase(java.util.Locale.ROOT) : line;
            switch (command) {
                case "EHLO", "HELO" -> say(out, "250 silent.test");
                case "MAIL", "RCPT", "RSET", "NOOP" -> say(out, "250 OK");
                case "QUIT" -> {
                    say(out, "221 bye");
                    return;
                }
                case "DATA" -> {
                    say(out, "354 go ahead");
                    String data;
                    while ((data = in.readLine()) != null && !data.equals(".")) {
                        // the mail's lines; nothing to keep
                    }
                    if (data != null) {
                        mailsReceived.incrementAndGet();
                    }
                    // and now silence: no 250, until the client gives up and hangs up
                    while (in.readLine() != null) {
                        // discard
                    }
                    return;
                }
                default -> say(out, "502 not here");
            }
        }
    }

    private static void say(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
