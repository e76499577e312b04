package dev.ticketd.chaos.net;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * What a TCP connect says about the path to an address, which is how every fault is confirmed.
 * A refused connect counts as {@link #ANSWERED}: the packets went both ways, so no listener is
 * needed to probe a host.
 */
public enum Reach {
    /** Connected, or refused with a reset: the path works both ways. */
    ANSWERED,
    /** Nothing came back before the probe gave up: packets are silently lost, as with a dead hypervisor. */
    SILENT,
    /** The sender's own kernel said no route, network unreachable or host unreachable (link down, ARP failed). */
    UNREACHABLE;

    /** How long a probe waits for an answer; a bridge answers in microseconds, the margin is for a loaded machine. */
    static final int PROBE_SECONDS = 2;

    /** A connect from a process inside a namespace, optionally as another user (for owner-matched rules). */
    record Probe(String ns, Integer uid, String address, int port) {
        List<String> command() {
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
            if (uid != null) {
                // only the uid matters to the owner match; the group is set so setpriv accepts the change
                cmd.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups"));
            }
            cmd.addAll(List.of("timeout", String.valueOf(PROBE_SECONDS), "bash", "-c",
                    "exec 3<>\"/dev/tcp/$0/$1\"", address, String.valueOf(port)));
            return cmd;
        }

        @Override
        public String toString() {
            return ns + (uid == null ? "" : " uid " + uid) + " -> " + address + ":" + port;
        }
    }

    /** A connect from the harness, in the root namespace. */
    static Reach fromHarness(String address, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), PROBE_SECONDS * 1000);
            return ANSWERED;
        } catch (NoRouteToHostException e) {
            return UNREACHABLE;
        } catch (ConnectException e) {
            String m = String.valueOf(e.getMessage());
            return m.contains("refused") ? ANSWERED : m.contains("unreachable") ? UNREACHABLE : fail(address, port, e);
        } catch (SocketTimeoutException e) {
            return SILENT;
        } catch (IOException e) {
            return fail(address, port, e);
        }
    }

    private static Reach fail(String address, int port, IOException e) {
        throw new IllegalStateException("probe harness -> " + address + ":" + port + " ended unexpectedly: " + e, e);
    }

    /** Runs the probes side by side (each may take {@link #PROBE_SECONDS}) and returns their results in order. */
    static List<Reach> fromInside(List<Probe> probes) {
        List<Process> running = new ArrayList<>();
        for (Probe p : probes) {
            running.add(Sh.start(p.command()));
        }
        List<Reach> results = new ArrayList<>();
        for (int i = 0; i < probes.size(); i++) {
            Probe p = probes.get(i);
            results.add(classify(p, Sh.await(running.get(i), p.command(), PROBE_SECONDS + 30L)));
        }
        return results;
    }

    static Reach fromInside(Probe probe) {
        return fromInside(List.of(probe)).get(0);
    }

    private static Reach classify(Probe p, Sh.Result r) {
        String out = r.output();
        if (r.exit() == 0 || out.contains("Connection refused")) {
            return ANSWERED;
        }
        if (r.exit() == 124) {
            return SILENT;
        }
        if (out.contains("No route to host") || out.contains("Network is unreachable")) {
            return UNREACHABLE;
        }
        throw new IllegalStateException("probe " + p + " ended unexpectedly (exit " + r.exit() + "): " + out);
    }
}
