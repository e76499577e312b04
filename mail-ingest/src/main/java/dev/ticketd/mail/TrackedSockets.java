package dev.ticketd.mail;

import javax.net.SocketFactory;
import javax.net.ssl.SSLSocketFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers the sockets of one IMAP connection so that {@link #abort()} can close them from
 * another thread. Jakarta Mail ignores read timeouts while in IDLE and its own close waits for the
 * IDLE to end, so a server that never answers DONE would otherwise block the reader for good.
 *
 * <p>Two factories share the record: {@link #plain()} for plain and STARTTLS connections (Angus
 * must not see an SSLSocketFactory there, or it would speak TLS from the first byte) and
 * {@link #tls()} for TLS from the first byte.
 */
final class TrackedSockets {

    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

    /** Closes every socket made so far; a read blocked on one of them fails at once. */
    void abort() {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing is all we want; a socket that is already broken is fine
            }
        }
        sockets.clear();
    }

    SocketFactory plain() {
        return new Plain();
    }

    SSLSocketFactory tls() {
        return new Tls();
    }

    private Socket track(Socket s) {
        sockets.add(s);
        return s;
    }

    private final class Plain extends SocketFactory {
        private final SocketFactory d = SocketFactory.getDefault();

        @Override
        public Socket createSocket() throws IOException {
            return track(d.createSocket());
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return track(d.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return track(d.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return track(d.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
            return track(d.createSocket(address, port, localAddress, localPort));
        }
    }

    private final class Tls extends SSLSocketFactory {
        private final SSLSocketFactory d = (SSLSocketFactory) SSLSocketFactory.getDefault();

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return track(d.createSocket(s, host, port, autoClose));
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return track(d.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return track(d.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return track(d.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
            return track(d.createSocket(address, port, localAddress, localPort));
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return d.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return d.getSupportedCipherSuites();
        }
    }
}
