package dev.ticketd.cluster;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

/**
 * The servers of a ZooKeeper connect string that accept a TCP connection now.
 *
 * <p>Why: when a node leads the Helix controller for the first time in its life, Helix 1.4 opens
 * one more ZooKeeper client (its WAGED rebalancer's metadata store, created for every controller
 * whether a resource uses WAGED or not) with a fixed 30 s session timeout, before its first
 * assignment. A ZooKeeper client waits the session timeout divided by the number of servers for
 * a server to answer, so a server whose host is silent (lost, cut off: its packets dropped, no
 * refusal) that happens to come first in the client's shuffled list holds every mailbox's move
 * for 10 s. The three-host scenario saw it behind the longest host-loss gaps. Giving that client
 * only the servers that answer now avoids the wait; a server refused or silent is left out. When
 * none answers, the connect string is returned as it is (the client then waits as before).
 *
 * <p>Each server is tried on its own thread, all at once, each for at most {@code timeout}.
 */
final class ReachableServers {

    private static final Logger log = LoggerFactory.getLogger(ReachableServers.class);

    private ReachableServers() {
    }

    /** @param connectString {@code host:port,host:port[/chroot]}; the chroot is kept */
    static String of(String connectString, Duration timeout) {
        List<InetSocketAddress> servers = EnsembleProbe.servers(connectString);
        String chroot = connectString.contains("/") ? connectString.substring(connectString.indexOf('/')) : "";
        int millis = (int) Math.max(50, timeout.toMillis());
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, servers.size()), r -> {
            Thread t = new Thread(r, "zookeeper-reach");
            t.setDaemon(true);
            return t;
        });
        try {
            List<CompletableFuture<Boolean>> answers = new ArrayList<>();
            for (InetSocketAddress s : servers) {
                answers.add(CompletableFuture.supplyAsync(() -> accepts(s, millis), pool));
            }
            List<String> kept = new ArrayList<>();
            List<String> left = new ArrayList<>();
            for (int i = 0; i < servers.size(); i++) {
                String address = servers.get(i).getHostString() + ":" + servers.get(i).getPort();
                (answers.get(i).join() ? kept : left).add(address);
            }
            if (kept.isEmpty()) {
                log.warn("no ZooKeeper server accepted a connection within {} ms; Helix's client gets them all servers={}", millis, left);
                return connectString;
            }
            if (!left.isEmpty()) {
                log.info("Helix's metadata client gets the ZooKeeper servers that answer now kept={} left out={}", kept, left);
            }
            return kept.stream().collect(Collectors.joining(",")) + chroot;
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean accepts(InetSocketAddress server, int millis) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(server.getHostString(), server.getPort()), millis);
            return true;
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }
}
