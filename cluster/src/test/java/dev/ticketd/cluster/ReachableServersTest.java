package dev.ticketd.cluster;

import dev.ticketd.testing.TestTimeouts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Which ZooKeeper servers Helix's extra client gets: those that accept a connection, not one that
 * refuses and not one that is silent (here: a listener whose queue of unaccepted connections is full,
 * so that the kernel drops further connection attempts, as a lost host's does).
 */
class ReachableServersTest {

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    @Test
    void aRefusingAndASilentServerAreLeftOutAndTheChrootKept() throws IOException {
        int live = listener().getLocalPort();
        int refused = closedPort();
        int silent = silentPort();
        String connect = "127.0.0.1:" + silent + ",127.0.0.1:" + live + ",127.0.0.1:" + refused + "/ticketd";

        long started = System.nanoTime();
        String reachable = ReachableServers.of(connect, Duration.ofMillis(500));

        assertThat(reachable).isEqualTo("127.0.0.1:" + live + "/ticketd");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("the servers are tried at once, each for its timeout")
                .isLessThan(TestTimeouts.seconds(5));
    }

    @Test
    void whenNoServerAnswersTheConnectStringIsKeptWhole() throws IOException {
        String connect = "127.0.0.1:" + closedPort() + ",127.0.0.1:" + closedPort();

        assertThat(ReachableServers.of(connect, Duration.ofMillis(300))).isEqualTo(connect);
    }

    private ServerSocket listener() throws IOException {
        ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        open.add(s);
        return s;
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A port whose listener never accepts and whose backlog is full: new connections get no answer. */
    private int silentPort() throws IOException {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        open.add(s);
        for (int i = 0; i < 20; i++) {
            Socket c = new Socket();
            open.add(c);
            try {
                c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()), 300);
            } catch (SocketTimeoutException full) {
                return s.getLocalPort();
            }
        }
        assumeThat(false).as("this kernel answered 20 connections to a listener with a backlog of 1").isTrue();
        return -1;
    }
}
