package dev.ticketd.node.web;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.ticketd.cluster.ClusterView;
import dev.ticketd.db.Database;
import dev.ticketd.db.Transactions;
import dev.ticketd.mail.MailParser;
import dev.ticketd.mail.TicketsFromMail;
import dev.ticketd.node.clusterpage.ClusterHandlers;
import dev.ticketd.node.clusterpage.ClusterStatusService;
import dev.ticketd.node.auth.ApiTokens;
import dev.ticketd.node.auth.StaffAccounts;
import dev.ticketd.node.auth.WebSessions;
import dev.ticketd.node.health.DatabaseHealth;
import dev.ticketd.node.health.HealthHandlers;
import dev.ticketd.node.intake.MailCounters;
import dev.ticketd.node.quarantine.QuarantineApi;
import dev.ticketd.node.quarantine.QuarantinePages;
import dev.ticketd.node.quarantine.QuarantineService;
import dev.ticketd.node.ticket.ReplyAttachments;
import dev.ticketd.node.ticket.ReplyService;
import dev.ticketd.node.ticket.TicketApi;
import dev.ticketd.node.ticket.TicketPages;
import dev.ticketd.node.ticket.TicketQueries;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The staff web UI and JSON API of one node. Stateless apart from the database: any node serves
 * any staff request.
 *
 * <p>Lifecycle: the constructor does no I/O; {@link #start()} binds (once); {@link #close()} stops
 * serving and is idempotent. The {@link Database} belongs to the caller and is not closed here.
 */
public final class WebServer implements AutoCloseable {

    private enum State { NEW, STARTED, CLOSED }

    private static final Logger log = LoggerFactory.getLogger(WebServer.class);

    /** A multipart form: the reply's files, plus 1 MiB for the text, the hidden fields and the part headers. */
    static final long MAX_MULTIPART_BYTES = ReplyAttachments.MAX_TOTAL_BYTES + 1024 * 1024;

    private final WebSettings settings;
    private final Javalin app;
    private final HealthHandlers health;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);

    /** A web server outside any cluster (its cluster page says so); for tests of the other pages. */
    public WebServer(Database db, WebSettings settings, Clock clock) {
        this(db, settings, clock, () -> {
            throw new IllegalStateException("this web server runs outside a cluster");
        }, "standalone", () -> "", List::of);
    }

    /**
     * @param cluster reads the cluster from ZooKeeper for the cluster page; may throw when ZooKeeper is out of reach
     * @param nodeId  this node's name, shown as the one that served a page
     * @param metrics the Prometheus text exposition of this node
     * @param mailCounters what this node's mailbox readers and outbox senders counted, for the cluster page
     */
    public WebServer(Database db, WebSettings settings, Clock clock, Supplier<ClusterView> cluster, String nodeId,
                     Supplier<String> metrics, Supplier<List<MailCounters>> mailCounters) {
        this.settings = settings;
        DatabaseHealth databaseHealth = new DatabaseHealth(db, HealthHandlers.READY_TIMEOUT);
        this.health = new HealthHandlers(databaseHealth);
        // staff requests retry a write only briefly; background work keeps the database's long budget
        Transactions webWrites = db.transactions().withRetryBudget(settings.dbRetryBudget());
        WebSessions sessions = new WebSessions(db, webWrites, clock, settings.sessionTtl());
        AuthFilter auth = new AuthFilter(sessions, new ApiTokens(db));
        LoginHandlers login = new LoginHandlers(new StaffAccounts(db), sessions, settings.secureCookies());
        TicketQueries queries = new TicketQueries(db);
        ReplyService replies = new ReplyService(webWrites);
        TicketPages pages = new TicketPages(queries, replies);
        TicketApi api = new TicketApi(queries, replies);
        QuarantineService quarantine = new QuarantineService(db, webWrites, new MailParser(), new TicketsFromMail());
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
            // ReplyAttachments judges the files and the form comes back with the reason and the text.
            config.jetty.multipartConfig.maxFileSize(ReplyAttachments.MAX_TOTAL_BYTES, SizeUnit.BYTES);
            config.jetty.multipartConfig.maxTotalRequestSize(MAX_MULTIPART_BYTES, SizeUnit.BYTES);
            config.jsonMapper(new JavalinJackson(objectMapper(), false));
            config.fileRenderer(new JteRenderer());
            config.routes.before(SecurityHeaders::apply);
            config.routes.before(WebServer::refuseOversizedForm);
            config.routes.beforeMatched(auth);
            ErrorMapping.register(config.routes);
            Routes.register(config.routes, login, pages, api, health,
                    new ClusterHandlers(new ClusterStatusService(db, databaseHealth, cluster, nodeId, mailCounters)),
                    ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.get()),
                    new QuarantinePages(quarantine), new QuarantineApi(quarantine));
        });
    }

    /**
     * Refuses a multipart form whose declared length is above the cap before anything reads it
     * (the CSRF check would parse it first), with a message that says why. Jetty's own cap still
     * ends one sent without a length ({@link ErrorMapping}: the form could not be read).
     */
    static void refuseOversizedForm(Context ctx) {
        if (ctx.isMultipartFormData() && ctx.req().getContentLengthLong() > MAX_MULTIPART_BYTES) {
            throw new HttpProblem(413, "the files are larger than " + ReplyAttachments.megabytes(ReplyAttachments.MAX_TOTAL_BYTES)
                    + " together, the most one reply may carry; nothing was saved. Go back, choose fewer or smaller files "
                    + "and send again");
        }
    }

    /** Binds host and port; throws when the port is taken. */
    public void start() {
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("web server was already started or closed: " + state.get());
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
            app.stop();
            log.info("web server stopped");
        }
        health.close();
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
