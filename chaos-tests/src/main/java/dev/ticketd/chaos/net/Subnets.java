package dev.ticketd.chaos.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds a private /24 that nothing on this machine routes to or is addressed in yet: not a
 * route in any table ({@code ip -4 route show table all}, so VPN and policy-routing tables count),
 * not an interface address ({@code ip -4 addr}). Candidates are random, so two runs starting at
 * once rarely pick the same one; {@link Hosts} checks again after claiming it.
 */
final class Subnets {

    private static final Pattern PREFIX = Pattern.compile("^(\\d+\\.\\d+\\.\\d+\\.\\d+)(?:/(\\d+))?$");
    private static final Pattern INET = Pattern.compile("\\binet (\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+)");

    /** An IPv4 prefix as an int and a length. */
    record Prefix(int base, int length) {
        static Prefix parse(String text) {
            Matcher m = PREFIX.matcher(text);
            if (!m.matches()) {
                throw new IllegalArgumentException("not an IPv4 prefix: " + text);
            }
            int len = m.group(2) == null ? 32 : Integer.parseInt(m.group(2));
            int addr = 0;
            for (String octet : m.group(1).split("\\.")) {
                addr = (addr << 8) | Integer.parseInt(octet);
            }
            return new Prefix(addr & mask(len), len);
        }

        boolean overlaps(Prefix other) {
            int len = Math.min(length, other.length);
            return ((base ^ other.base) & mask(len)) == 0;
        }

        /** The address {@code host} within this prefix, e.g. {@code .1}. */
        String address(int host) {
            int a = base | host;
            return (a >>> 24) + "." + ((a >>> 16) & 255) + "." + ((a >>> 8) & 255) + "." + (a & 255);
        }

        private static int mask(int len) {
            return len == 0 ? 0 : -1 << (32 - len);
        }

        @Override
        public String toString() {
            return address(0) + "/" + length;
        }
    }

    private Subnets() {
    }

    /** The prefixes in use now: every route's destination (except default) and every interface address. */
    static List<Prefix> inUse() {
        List<Prefix> used = new ArrayList<>();
        for (String line : Sh.run("ip", "-4", "route", "show", "table", "all").split("\n")) {
            routeDestination(line).ifPresent(used::add);
        }
        Matcher m = INET.matcher(Sh.run("ip", "-4", "addr", "show"));
        while (m.find()) {
            used.add(Prefix.parse(m.group(1)));
        }
        return used;
    }

    /** The destination of one {@code ip route} line, which may start with a route type (local, broadcast, ...). */
    static java.util.Optional<Prefix> routeDestination(String line) {
        for (String token : line.strip().split("\\s+")) {
            if (token.equals("default")) {
                return java.util.Optional.empty();
            }
            if (PREFIX.matcher(token).matches()) {
                return java.util.Optional.of(Prefix.parse(token));
            }
            if (!token.matches("[a-z]+")) {
                return java.util.Optional.empty();
            }
        }
        return java.util.Optional.empty();
    }

    /** A random /24 from 10.64.0.0-10.254.255.0 or 172.31.0.0-172.31.255.0 that overlaps nothing in {@code used}. */
    static Prefix pickFree(List<Prefix> used, Random random) {
        for (int attempt = 0; attempt < 500; attempt++) {
            Prefix candidate = random.nextInt(4) == 0
                    ? Prefix.parse("172.31." + random.nextInt(256) + ".0/24")
                    : Prefix.parse("10." + (64 + random.nextInt(191)) + "." + random.nextInt(256) + ".0/24");
            if (used.stream().noneMatch(candidate::overlaps)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no free /24 in 10.64-254.x or 172.31.x: this machine routes to all 500 tried ("
                + used + ")");
    }
}
