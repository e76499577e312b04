package dev.ticketd.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Asks every ZooKeeper server of a connect string whether it serves, with the {@code srvr} four-letter
 * word (the one ZooKeeper allows by default, {@code 4lw.commands.whitelist}). A session shows only the
 * server it is connected to; this shows the ensemble, so a lost server is seen while the quorum still
 * holds and before a second loss stops every leader election. Each server is asked on a fresh socket
 * with a short timeout, and at most {@link #MAX_REPLY} bytes of its answer are read. Thread-safe.
 */
public final class EnsembleProbe {

    static final int MAX_REPLY = 4096;
    private static final int DEFAULT_PORT = 2181;

    private final List<InetSocketAddress> servers;
    private final int timeoutMillis;

    /**
     * One server's answer.
     *
     * @param mode    {@code leader}, {@code follower}, {@code observer}, {@code standalone}; or null when
     *                it did not say (it does not serve, or {@code srvr} is not allowed on it)
     * @param problem why it does not serve, or null when it serves or cannot tell (srvr not allowed)
     */
    public record Server(String address, String mode, String problem) {
        public boolean serving() {
            return problem == null;
        }
    }

    /** @param connectString {@code host:port,host:port[/chroot]}, as the nodes connect */
    public EnsembleProbe(String connectString, Duration timeout) {
        this.servers = servers(connectString);
        this.timeoutMillis = (int) Math.max(100, timeout.toMillis());
    }

    static List<InetSocketAddress> servers(String connectString) {
        String hosts = connectString.contains("/") ? connectString.substring(0, connectString.indexOf('/')) : connectString;
        return Arrays.stream(hosts.split(",")).map(String::strip).filter(h -> !h.isEmpty()).map(h -> {
            int colon = h.lastIndexOf(':');
            return colon < 0 ? InetSocketAddress.createUnresolved(h, DEFAULT_PORT)
                    : InetSocketAddress.createUnresolved(h.substring(0, colon), Integer.parseInt(h.substring(colon + 1)));
        }).toList();
    }

    /** How many servers the connect string names. */
    public int size() {
        return servers.size();
    }

    /** Every server's answer, in the connect string's order. */
    public List<Server> probe() {
        List<Server> out = new ArrayList<>();
        for (InetSocketAddress s : servers) {
            out.add(ask(s));
        }
        return out;
    }

    private Server ask(InetSocketAddress server) {
        String address = server.getHostString() + ":" + server.getPort();
        String reply;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(server.getHostString(), server.getPort()), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            socket.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            reply = read(socket.getInputStream());
        } catch (IOException e) {
            return new Server(address, null, "no answer (" + e.getClass().getSimpleName() + ")");
        }
        return judge(address, reply);
    }

    static Server judge(String address, String reply) {
        for (String line : reply.split("\n")) {
            if (line.startsWith("Mode:")) {
                return new Server(address, line.substring("Mode:".length()).strip(), null);
            }
        }
        if (reply.contains("not in the whitelist")) {
            return new Server(address, null, null); // answers, but may not say more: not held against it
        }
        if (reply.contains("not currently serving")) {
            return new Server(address, null, "answers but does not serve (no quorum with the others)");
        }
        return new Server(address, null, reply.isBlank() ? "closed the connection without an answer"
                : "an answer that is not ZooKeeper's: " + reply.strip().lines().findFirst().orElse(""));
    }

    private static String read(InputStream in) throws IOException {
        byte[] buffer = new byte[MAX_REPLY];
        int total = 0;
        int n;
        while (total < buffer.length && (n = in.read(buffer, total, buffer.length - total)) > 0) {
            total += n;
        }
        return new String(buffer, 0, total, StandardCharsets.US_ASCII);
    }
}
