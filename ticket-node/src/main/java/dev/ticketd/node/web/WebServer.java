package dev.ticketd.node.web;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.ticketd.node.auth.ApiTokens;
import dev.ticketd.node.auth.LoginThrottle;
import dev.ticketd.node.auth.StaffAccounts;
import dev.ticketd.node.auth.Totp;
import dev.ticketd.node.auth.WebSessions;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The staff web UI and JSON API of one node. Stateless apart from the database: any node serves
 * any staff request.
 *
 * <p>It knows no feature: the composition root ({@code Node}) builds the features from their
 * services and hands them over; each adds its routes to the one {@link RouteTable}.
 *
 * <p>Lifecycle: the constructor does no I/O; {@link #start()} binds (once); {@link #close()} stops
 * serving, then closes the features that are closeable, and is idempotent.
 */
public final class WebServer implements AutoCloseable {

    private enum State { NEW, STARTED, CLOSED }

    private static final Logger log = LoggerFactory.getLogger(WebServer.class);

    private final WebSettings settings;
    private final long maxFilesBytes;
    private final long maxMultipartBytes;
    private final RouteTable table = new RouteTable();
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final List<WebFeature> features;
    private final Javalin app;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);

    /**
     * @param throttle          counts failed logins and refuses attempts after too many
     * @param totp              the optional second factor of the login page
     * @param sessions          staff browser sessions (login, CSRF)
     * @param maxFilesBytes the most all files of one form may hold together; a multipart form may be
     *                      1 MiB larger (its text, hidden fields and part headers) before it is refused unread
     * @param features          every feature's routes; a feature that is {@link AutoCloseable} is closed with this server
     */
    public WebServer(WebSettings settings, StaffAccounts accounts, LoginThrottle throttle, Totp totp, WebSessions sessions, ApiTokens apiTokens,
                     long maxFilesBytes, List<WebFeature> features) {
        this(settings, accounts, throttle, totp, sessions, apiTokens, maxFilesBytes, features, PageHeader.NONE);
    }

    /** @param header what the header of every page shows of the logged-in member of staff */
    public WebServer(WebSettings settings, StaffAccounts accounts, LoginThrottle throttle, Totp totp, WebSessions sessions, ApiTokens apiTokens,
                     long maxFilesBytes, List<WebFeature> features, PageHeader header) {
        this.settings = settings;
        this.maxFilesBytes = maxFilesBytes;
        this.maxMultipartBytes = maxFilesBytes + 1024 * 1024;
        this.features = List.copyOf(features);
        table.get("/assets/app.css", Stylesheet::serve, Access.PUBLIC);
        table.get("/assets/app.js", Script::serve, Access.PUBLIC);
        new LoginHandlers(accounts, throttle, totp, sessions, settings.secureCookies()).addRoutes(table);
        for (WebFeature feature : features) {
            feature.addRoutes(table);
            if (feature instanceof AutoCloseable c) {
                owned.add(c);
            }
        }
        AuthFilter auth = new AuthFilter(sessions, apiTokens);
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.jetty.host = settings.host();
            config.jetty.port = settings.port();
            // ctx.body() and urlencoded forms on every route; the API's reply route reads its larger
            // JSON (files in base64) with a limit of its own (TicketApi.MAX_REPLY_REQUEST_BYTES)
            config.http.maxRequestSize = 1_000_000;
            // Multipart forms (the reply form's files) are parsed by Jetty, which Javalin lets take
            // any size unless told. Above these caps the request is refused whole (413); below them
            // the feature judges the files and the form comes back with the reason and the text.
            config.jetty.multipartConfig.maxFileSize(maxFilesBytes, SizeUnit.BYTES);
            config.jetty.multipartConfig.maxTotalRequestSize(maxMultipartBytes, SizeUnit.BYTES);
            config.jsonMapper(new JavalinJackson(objectMapper(), false));
            config.fileRenderer(new JteRenderer());
            config.routes.before(ctx -> SecurityHeaders.apply(ctx, settings.https()));
            config.routes.before(ctx -> ctx.attribute(Pages.HEADER_ATTRIBUTE, header));
            config.routes.before(this::refuseOversizedForm);
            config.routes.beforeMatched(auth);
            ErrorMapping.register(config.routes, maxMultipartBytes);
            table.installInto(config.routes);
        });
    }

    /** The routes this server serves, each with who may use it. */
    public List<RouteTable.Route> routes() {
        return table.routes();
    }

    /**
     * Refuses a multipart form whose declared length is above the cap before anything reads it
     * (the CSRF check would parse it first), with a message that says why. Jetty's own cap still
     * ends one sent without a length ({@link ErrorMapping}: the form could not be read).
     */
    void refuseOversizedForm(Context ctx) {
        if (ctx.isMultipartFormData() && ctx.req().getContentLengthLong() > maxMultipartBytes) {
            throw LimitedBody.refused(ctx, maxMultipartBytes, "the files are larger than " + maxFilesBytes / (1024 * 1024)
                    + " MB together, the most one form may carry; nothing was saved. Go back, choose fewer or smaller files "
                    + "and send again");
        }
    }

    /** Binds host and port; throws when the port is taken. */
    public void start() {
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("web server was already started or closed: " + state.get());
        }
        for (WebFeature feature : features) {
            feature.start();
        }
        app.start();
        log.info("web server listening host={} port={}", settings.host(), app.port());
    }

    /** The bound port; only meaningful after {@link #start()}. */
    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        State previous = state.getAndSet(State.CLOSED);
        if (previous == State.CLOSED) {
            return;
        }
        if (previous == State.STARTED) {
            // long-running requests (event streams) end first, so stopping the server does not wait for them
            for (WebFeature feature : features) {
                feature.stopping();
            }
            app.stop();
            log.info("web server stopped");
        }
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                log.warn("error while stopping {}: {}", owned.get(i).getClass().getSimpleName(), e.toString());
            }
        }
    }

    static ObjectMapper objectMapper() {
        return new ObjectMapper()
                .registerModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                // byte[] fields (reply attachments) are base64; like java.util.Base64, padding is optional
                .setBase64Variant(Base64Variants.MIME_NO_LINEFEEDS.withReadPadding(Base64Variant.PaddingReadBehaviour.PADDING_ALLOWED));
    }
}
