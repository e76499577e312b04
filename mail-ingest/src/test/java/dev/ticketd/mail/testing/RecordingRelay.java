package dev.ticketd.mail.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP relay in front of a server that keeps the lines each side sent, in the order the
 * relay passed them on. A test connects its client to {@link #port()} and waits for a protocol step
 * it can see in {@link #transcript()} (say, an IMAP IDLE the server accepted) instead of sleeping
 * and hoping the step has happened.
 *
 * <p>Ordering: a line is recorded before it is forwarded, so a reply is always recorded after the
 * command that caused it. Threading: one accept thread and two pump threads per connection, all
 * daemons; {@link #close()} closes every socket and so ends them.
 */
public final class RecordingRelay implements AutoCloseable {

    /** One line as it crossed the relay; {@code fromClient} tells the direction. */
    public record Line(boolean fromClient, String text) {
    }

    private final ServerSocket listener;
    private final int targetPort;
    private final List<Line> transcript = new ArrayList<>(); // guarded by itself
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

    private RecordingRelay(ServerSocket listener, int targetPort) {
        this.listener = listener;
        this.targetPort = targetPort;
    }

    /** A relay on a free loopback port to {@code 127.0.0.1:targetPort}, accepting at once. */
    public static RecordingRelay to(int targetPort) {
        try {
            ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            RecordingRelay relay = new RecordingRelay(listener, targetPort);
            daemon("relay-accept-" + listener.getLocalPort(), relay::acceptLoop);
            return relay;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Every complete line so far (without its line ending), both directions, in relay order. */
    public List<Line> transcript() {
        synchronized (transcript) {
            return List.copyOf(transcript);
        }
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                sockets.add(client);
                sockets.add(server);
                server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
                daemon("relay-c2s-" + client.getPort(), () -> pump(client, server, true));
                daemon("relay-s2c-" + client.getPort(), () -> pump(server, client, false));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** Copies one direction until either side closes, then closes both (like a cut cable). */
    private void pump(Socket from, Socket to, boolean fromClient) {
        StringBuilder line = new StringBuilder();
        byte[] buffer = new byte[8192];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                record(line, buffer, n, fromClient);
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // one side went away; closing both below is what a relay does then
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void record(StringBuilder line, byte[] buffer, int n, boolean fromClient) {
        for (int i = 0; i < n; i++) {
            char c = (char) (buffer[i] & 0xff); // ISO-8859-1: one char per byte
            if (c == '\n') {
                String text = line.toString();
                line.setLength(0);
                synchronized (transcript) {
                    transcript.add(new Line(fromClient, text.endsWith("\r") ? text.substring(0, text.length() - 1) : text));
                }
            } else {
                line.append(c);
            }
        }
    }

    @Override
    public void close() {
        closeQuietly(listener);
        sockets.forEach(RecordingRelay::closeQuietly);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is all we want
        }
    }

    private static void daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        for (Line l : transcript()) {
            s.append(l.fromClient() ? "C: " : "S: ").append(l.text()).append('\n');
        }
        return s.toString();
    }
}
