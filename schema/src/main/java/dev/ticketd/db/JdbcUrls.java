package dev.ticketd.db;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Small, strict edits of {@code jdbc:postgresql://h1:p1,h2:p2/db?k=v&…} URLs. */
public final class JdbcUrls {

    private static final String PREFIX = "jdbc:postgresql://";

    private JdbcUrls() {
    }

    /** The {@code host:port} entries of the URL, in order (empty for a URL without a host list). */
    public static List<String> hosts(String url) {
        if (!url.startsWith(PREFIX)) {
            return List.of();
        }
        String rest = url.substring(PREFIX.length());
        int end = indexOfAny(rest, '/', '?');
        String hostList = end < 0 ? rest : rest.substring(0, end);
        return hostList.isEmpty() ? List.of() : Arrays.stream(hostList.split(",")).map(String::strip).toList();
    }

    /** The URL with parameter {@code key} set to {@code value} (replacing it, case-insensitively, if present). */
    public static String withParameter(String url, String key, String value) {
        int q = url.indexOf('?');
        String base = q < 0 ? url : url.substring(0, q);
        List<String> params = new ArrayList<>();
        if (q >= 0) {
            for (String p : url.substring(q + 1).split("&")) {
                String name = p.contains("=") ? p.substring(0, p.indexOf('=')) : p;
                if (!p.isEmpty() && !name.toLowerCase(Locale.ROOT).equals(key.toLowerCase(Locale.ROOT))) {
                    params.add(p);
                }
            }
        }
        params.add(key + "=" + value);
        return base + "?" + String.join("&", params);
    }

    private static int indexOfAny(String s, char a, char b) {
        int i = s.indexOf(a);
        int j = s.indexOf(b);
        return i < 0 ? j : j < 0 ? i : Math.min(i, j);
    }
}
