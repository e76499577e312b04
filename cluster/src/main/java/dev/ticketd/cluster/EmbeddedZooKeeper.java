package dev.ticketd.cluster;

import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A single in-process ZooKeeper server on 127.0.0.1 for the demo (never for production, which runs
 * a three-server ensemble). A tick of 500 ms allows session timeouts from 1 s to 10 s.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {

    private final ZooKeeperServer server;
    private final ServerCnxnFactory connections;

    private EmbeddedZooKeeper(ZooKeeperServer server, ServerCnxnFactory connections) {
        this.server = server;
        this.connections = connections;
    }

    public static EmbeddedZooKeeper start(Path dataDir, int port) throws IOException, InterruptedException {
        Files.createDirectories(dataDir);
        ZooKeeperServer server = new ZooKeeperServer(dataDir.toFile(), dataDir.toFile(), 500);
        ServerCnxnFactory connections = ServerCnxnFactory.createFactory(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        connections.startup(server);
        return new EmbeddedZooKeeper(server, connections);
    }

    public String connectString() {
        return "127.0.0.1:" + connections.getLocalPort();
    }

    @Override
    public void close() {
        connections.shutdown();
        server.shutdown();
    }
}
