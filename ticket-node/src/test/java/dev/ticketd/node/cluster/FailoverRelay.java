package dev.ticketd.node.cluster;

import dev.ticketd.testing.TestTimeouts;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The staff entry point of a browser test, as the load balancer is in production: a TCP relay on a
 * port of its own that sends each new connection to the first of its backends that accepts one
 * (a node that was killed refuses, so the next one gets it), and closes the client's side when the
 * backend's side ends. {@link #hold()} makes it refuse every new connection (accepted, then closed at
 * once) until {@link #release()}, so a test can make a change while a browser is certainly cut off.
 *
 * <p>Threads: one accepting, two per relayed connection; all daemons, all ended by {@link #close()}.
 */
final class FailoverRelay implements AutoCloseable {

    private static final int CONNECT_TIMEOUT_MILLIS = (int) TestTimeouts.seconds(1).toMillis();

    private final List<Integer> backends;
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger refused = new AtomicInteger();
    private final ConcurrentHashMap<Integer, AtomicInteger> relayedTo = new ConcurrentHashMap<>();
    private volatile boolean held;

    private FailoverRelay(List<Integer> backends, ServerSocket server) {
        this.backends = List.copyOf(backends);
        this.server = server;
    }

    /** Listens on a free loopback port and relays to the backends' loopback ports, in this order of preference. */
    static FailoverRelay start(List<Integer> backendPorts) throws IOException {
        FailoverRelay relay = new FailoverRelay(backendPorts, new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        Thread acceptor = new Thread(relay::accept, "failover-relay");
        acceptor.setDaemon(true);
        acceptor.start();
        return relay;
    }

    int port() {
        return server.getLocalPort();
    }

    void hold() {
        held = true;
    }

    void release() {
        held = false;
    }

    /** Connections refused while held. */
    int refused() {
        return refused.get();
    }

    /** How many connections went to this backend port. */
    int relayedTo(int backendPort) {
        AtomicInteger n = relayedTo.get(backendPort);
        return n == null ? 0 : n.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (held) {
                refused.incrementAndGet();
                closeQuietly(client);
                continue;
            }
            Socket backend = connect();
            if (backend == null) {
                closeQuietly(client);
                continue;
            }
            open.add(client);
            open.add(backend);
            pipe(client, backend);
            pipe(backend, client);
        }
    }

    private Socket connect() {
        for (int port : backends) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), CONNECT_TIMEOUT_MILLIS);
                relayedTo.computeIfAbsent(port, p -> new AtomicInteger()).incrementAndGet();
                return s;
            } catch (IOException refusedHere) {
                closeQuietly(s);
            }
        }
        return null;
    }

    private void pipe(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side went away: both are closed below
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
            }
        }, "failover-relay-pipe");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // already closed
        }
        open.forEach(FailoverRelay::closeQuietly);
    }
}
