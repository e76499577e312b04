package dev.ticketd.node.intake;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay in front of a server that a test can cut like a firewall that drops packets: while
 * cut, it accepts no connection (a client's connect may still complete into the listen backlog, but
 * nothing ever answers it) and passes no byte on either existing connection, which stalls without
 * closing; healed, it carries on. One relay per node gives each node a path of its own to the same
 * server, so that one node alone can be cut off from it.
 *
 * <p>Threading: one accept thread and two pump threads per connection, all daemons; they look at the
 * cut every {@link #TICK_MILLIS}. {@link #close()} closes every socket and so ends them.
 */
final class CuttableRelay implements AutoCloseable {

    private static final int TICK_MILLIS = 50;

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;

    private CuttableRelay(ServerSocket listener, InetSocketAddress target) {
        this.listener = listener;
        this.target = target;
    }

    /** A relay listening on {@code address:port} (port 0: any free one) to {@code 127.0.0.1:targetPort}. */
    static CuttableRelay on(InetAddress address, int port, int targetPort) throws IOException {
        ServerSocket listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(address, port), 50);
        listener.setSoTimeout(TICK_MILLIS);
        CuttableRelay relay = new CuttableRelay(listener, new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
        daemon("relay-accept-" + address.getHostAddress() + ":" + listener.getLocalPort(), relay::acceptLoop);
        return relay;
    }

    int port() {
        return listener.getLocalPort();
    }

    void cut() {
        cut = true;
    }

    void heal() {
        cut = false;
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            if (cut) {
                pause();
                continue;
            }
            Socket client;
            try {
                client = listener.accept();
            } catch (SocketTimeoutException e) {
                continue;
            } catch (IOException e) {
                return; // closed
            }
            Socket server = new Socket();
            sockets.add(client);
            sockets.add(server);
            try {
                server.connect(target, 2_000);
                client.setSoTimeout(TICK_MILLIS);
                server.setSoTimeout(TICK_MILLIS);
            } catch (IOException e) {
                closeQuietly(client);
                closeQuietly(server);
                continue;
            }
            daemon("relay-c2s-" + client.getPort(), () -> pump(client, server));
            daemon("relay-s2c-" + client.getPort(), () -> pump(server, client));
        }
    }

    /** Copies one direction, holding every byte while cut, until either side closes; then closes both. */
    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[8192];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            while (true) {
                if (cut) {
                    pause();
                    continue;
                }
                int n;
                try {
                    n = in.read(buffer);
                } catch (SocketTimeoutException e) {
                    continue;
                }
                if (n < 0) {
                    return;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException ignored) {
            // one side went away; closing both below is what a relay does then
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            sockets.remove(from);
            sockets.remove(to);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(TICK_MILLIS); // a relay's own pacing while cut, not a test waiting for a state
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closeQuietly(listener);
        sockets.forEach(CuttableRelay::closeQuietly);
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
}
