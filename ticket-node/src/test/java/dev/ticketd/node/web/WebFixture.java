package dev.ticketd.node.web;

import dev.ticketd.db.Database;
import dev.ticketd.desk.Tickets;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.node.Node;
import dev.ticketd.desk.GroupAccess;
import dev.ticketd.node.auth.ApiTokens;
import dev.ticketd.node.auth.Role;
import dev.ticketd.node.auth.StaffAccounts;
import dev.ticketd.node.metrics.NodeMetrics;
import dev.ticketd.testing.TestPostgres;
import dev.ticketd.testing.TestTimeouts;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A fresh migrated database and a started {@link WebServer} on a free port, plus plain
 * java.net.http clients: {@link Browser} (keeps cookies, never follows redirects) and bearer API calls.
 */
public final class WebFixture implements AutoCloseable {

    public static final String PASSWORD = "correct horse battery";
    private static final AtomicInteger users = new AtomicInteger();

    public final Database db;
    public final WebServer server;
    public final StaffAccounts accounts;
    public final TestData data;
    private final HttpClient http = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(TestTimeouts.seconds(5))
            .build();

    public WebFixture() {
        this(TestPostgres.freshDatabase(), Clock.systemUTC());
    }

    public WebFixture(Database db, Clock clock) {
        this.db = db;
        this.server = newServer(clock);
        this.accounts = new StaffAccounts(db);
        this.data = new TestData(db);
    }

    /** Another server (another "node") on the same database; the caller closes it. */
    public WebServer newServer(Clock clock) {
        return newServer(clock, new WebSettings("127.0.0.1", 0, Duration.ofHours(8), false));
    }

    /** Another server on the same database with these settings; the caller closes it. */
    public WebServer newServer(Clock clock, WebSettings settings) {
        WebServer s = Node.staffWeb(db, settings, clock, () -> {
            throw new IllegalStateException("this web server runs outside a cluster");
        }, List::of, "standalone", new NodeMetrics("standalone"), new Tickets(),
                new TicketsFromMail());
        s.start();
        return s;
    }

    public String newStaffEmail() {
        return "agent" + users.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 6) + "@example.test";
    }

    /** Creates a staff user and logs them in. */
    public Browser loggedInBrowser() {
        return loggedInBrowser(Role.AGENT);
    }

    /** Creates a staff user of this role and logs them in. */
    public Browser loggedInBrowser(Role role) {
        String email = newStaffEmail();
        accounts.createUser(email, role == Role.ADMIN ? "Admin Jones" : "Agent Smith", PASSWORD, role);
        Browser browser = browser();
        HttpResponse<String> response = browser.login(email, PASSWORD);
        if (response.statusCode() != 303) {
            throw new IllegalStateException("login failed: " + response.statusCode() + " " + response.body());
        }
        return browser;
    }

    /** Creates a staff user of this role, member of {@code groups} (name to access; none when empty), and returns the address. */
    public String staff(Role role, Map<String, GroupAccess> groups) {
        String email = newStaffEmail();
        accounts.createUser(email, role == Role.ADMIN ? "Admin " + email : "Agent " + email, PASSWORD, role, groups);
        return email;
    }

    /** Logs in a staff user made by {@link #staff}. */
    public Browser loggedInAs(String email) {
        Browser browser = browser();
        HttpResponse<String> response = browser.login(email, PASSWORD);
        if (response.statusCode() != 303) {
            throw new IllegalStateException("login failed: " + response.statusCode() + " " + response.body());
        }
        return browser;
    }

    /** A new API token of a staff user made by {@link #staff}. */
    public String apiTokenOf(String email) {
        return new ApiTokens(db, Clock.systemUTC()).create(email, "test-" + UUID.randomUUID(), ApiTokens.DEFAULT_LIFETIME).token();
    }

    /** A user with an API token; returns the token. */
    public String apiToken() {
        return apiToken(Role.AGENT);
    }

    /** A user of this role with an API token; returns the token. */
    public String apiToken(Role role) {
        String email = newStaffEmail();
        accounts.createUser(email, role == Role.ADMIN ? "API Admin" : "API Agent", PASSWORD, role);
        return new ApiTokens(db, Clock.systemUTC()).create(email, "test", ApiTokens.DEFAULT_LIFETIME).token();
    }

    public Browser browser() {
        return new Browser(server.port());
    }

    public Browser browser(int port) {
        return new Browser(port);
    }

    public HttpResponse<String> api(String method, String path, String token, String json, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(server.port(), path)).timeout(TestTimeouts.seconds(10));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        headers.forEach(b::header);
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        return send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> apiGet(String path, String token) {
        return api("GET", path, token, null, Map.of());
    }

    public HttpResponse<byte[]> getBytes(String path, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(server.port(), path)).timeout(TestTimeouts.seconds(10));
        headers.forEach(b::header);
        return send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    <T> T sendRaw(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return send(request, handler).body();
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** A file in a multipart form, as a browser sends one: its name as chosen, raw UTF-8 in the part header. */
    public record FormFile(String field, String filename, String contentType, byte[] content) {
    }

    /** Every page loads the pages' own script (keyboard shortcuts); this is the page without that one tag. */
    public static String withoutOwnScript(String html) {
        return html.replace("<script src=\"/assets/app.js\" defer></script>", "");
    }

    /** The value of the hidden field {@code name} in a page. */
    public static String hiddenField(String html, String name) {
        Matcher m = Pattern.compile("name=\"" + Pattern.quote(name) + "\" value=\"([^\"]*)\"").matcher(html);
        if (!m.find()) {
            throw new AssertionError("no hidden field " + name + " in page:\n" + html);
        }
        return m.group(1);
    }

    @Override
    public void close() {
        server.close();
        db.close();
    }

    /** A browser without JavaScript: keeps cookies by name, does not follow redirects. */
    public final class Browser {
        private final int port;
        public final Map<String, String> cookies = new LinkedHashMap<>();

        Browser(int port) {
            this.port = port;
        }

        /** The same cookies, sent to another node. */
        public Browser on(int otherPort) {
            Browser other = new Browser(otherPort);
            other.cookies.putAll(cookies);
            return other;
        }

        public HttpResponse<String> get(String path) {
            return exchange(request(path).GET().build());
        }

        public HttpResponse<String> post(String path, Map<String, String> form) {
            String body = form.entrySet().stream()
                    .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                            + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                    .collect(Collectors.joining("&"));
            return exchange(request(path).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build());
        }

        /** A form with {@code enctype="multipart/form-data"}: the fields first, then the files. */
        public HttpResponse<String> postMultipart(String path, Map<String, String> fields, List<FormFile> files) {
            String boundary = "----ticketdTestBoundary" + UUID.randomUUID().toString().replace("-", "");
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            fields.forEach((name, value) -> body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name
                    + "\"\r\n\r\n" + value + "\r\n").getBytes(StandardCharsets.UTF_8)));
            for (FormFile file : files) {
                body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + file.field() + "\"; filename=\""
                        + file.filename() + "\"\r\nContent-Type: " + file.contentType() + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                body.writeBytes(file.content());
                body.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
            return postRaw(path, "multipart/form-data; boundary=" + boundary, body.toByteArray());
        }

        /**
         * A GET of a route whose answer does not end (the event stream, {@code GET /events}): its status and
         * headers, with the body closed unread and answered as empty.
         */
        public HttpResponse<String> getOpening(String path) {
            HttpResponse<java.io.InputStream> opened = send(request(path).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            try {
                opened.body().close();
            } catch (java.io.IOException e) {
                // closing what is already gone
            }
            return new HttpResponse<>() {
                @Override public int statusCode() { return opened.statusCode(); }
                @Override public HttpRequest request() { return opened.request(); }
                @Override public java.util.Optional<HttpResponse<String>> previousResponse() { return java.util.Optional.empty(); }
                @Override public java.net.http.HttpHeaders headers() { return opened.headers(); }
                @Override public String body() { return ""; }
                @Override public java.util.Optional<javax.net.ssl.SSLSession> sslSession() { return opened.sslSession(); }
                @Override public java.net.URI uri() { return opened.uri(); }
                @Override public HttpClient.Version version() { return opened.version(); }
            };
        }

        /** A POST of exactly these bytes, with this browser's cookies. */
        public HttpResponse<String> postRaw(String path, String contentType, byte[] body) {
            return exchange(request(path).header("Content-Type", contentType)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
        }

        public HttpResponse<String> login(String email, String password) {
            String csrf = hiddenField(get("/login").body(), "csrf");
            return post("/login", Map.of("email", email, "password", password, "csrf", csrf));
        }

        /** The CSRF token of this browser's session, read from a page as a user would receive it. */
        public String csrf() {
            return hiddenField(get("/tickets").body(), "csrf");
        }

        private HttpRequest.Builder request(String path) {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri(port, path)).timeout(TestTimeouts.seconds(10));
            if (!cookies.isEmpty()) {
                b.header("Cookie", cookies.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining("; ")));
            }
            return b;
        }

        private HttpResponse<String> exchange(HttpRequest request) {
            HttpResponse<String> response = send(request, HttpResponse.BodyHandlers.ofString());
            for (String header : response.headers().allValues("Set-Cookie")) {
                String pair = header.split(";", 2)[0];
                int eq = pair.indexOf('=');
                String name = pair.substring(0, eq).strip();
                String value = pair.substring(eq + 1).strip();
                boolean expired = header.toLowerCase().contains("max-age=0") || value.isEmpty();
                if (expired) {
                    cookies.remove(name);
                } else {
                    cookies.put(name, value);
                }
            }
            return response;
        }
    }
}
