package dev.ticketd.node.web;

import dev.ticketd.db.Database;
import dev.ticketd.db.DatabaseUnavailableException;
import dev.ticketd.db.RetryableFailures;
import dev.ticketd.desk.ConflictException;
import dev.ticketd.desk.InvalidRequestException;
import dev.ticketd.desk.ForbiddenException;
import dev.ticketd.desk.NotFoundException;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.validation.ValidationException;
import jakarta.servlet.ServletException;
import org.eclipse.jetty.http.HttpException;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The one place where exceptions become responses. Every error gets an id that is in the log and
 * in the response; the user sees a clear message, never a stack trace. Paths under
 * {@code /api/} and {@code /health/} answer JSON {@code {"error", "errorId"}}, the rest an HTML page.
 */
public final class ErrorMapping {

    private static final Logger log = LoggerFactory.getLogger(ErrorMapping.class);
    static final String TOO_SLOW_MESSAGE = "the database took too long to answer and the read was stopped; "
            + "try again, or narrow the search, and tell an administrator if it persists";
    private static final SecureRandom RANDOM = new SecureRandom();

    private ErrorMapping() {
    }

    static void register(RoutesConfig routes, long maxMultipartBytes) {
        routes.exception(HttpProblem.class, (e, ctx) -> respond(ctx, e.status(), e.getMessage(), null));
        routes.exception(NotFoundException.class, (e, ctx) -> respond(ctx, 404, e.getMessage(), null));
        routes.exception(ForbiddenException.class, (e, ctx) -> respond(ctx, 403, e.getMessage(), null));
        routes.exception(InvalidRequestException.class, (e, ctx) -> respond(ctx, 400, e.getMessage(), null));
        routes.exception(ConflictException.class, (e, ctx) -> respond(ctx, 409, e.getMessage(), null));
        routes.exception(ValidationException.class, (e, ctx) -> respond(ctx, 400, "invalid value for "
                + e.getErrors().keySet().stream().collect(Collectors.joining(", ")), null));
        routes.exception(HttpResponseException.class, (e, ctx) -> respond(ctx, e.getStatus(),
                e.getStatus() == 404 ? "there is nothing at " + ctx.path() : e.getMessage(), null));
        routes.exception(DatabaseUnavailableException.class, (e, ctx) -> unavailable(ctx, e));
        routes.exception(ServletException.class, (e, ctx) -> {
            HttpException refused = jettyRefusal(e);
            if (refused != null) { // e.g. a multipart form above WebServer's caps or cut short
                respond(ctx, refused.getCode(), "the form could not be read: it was malformed, or larger than "
                        + maxMultipartBytes / (1024 * 1024) + " MB; nothing was saved", null);
            } else {
                respond(ctx, 500, "the server could not complete this request; try again, and tell an administrator if it persists", e);
            }
        });
        routes.exception(DataAccessException.class, (e, ctx) -> {
            if (Database.canceled(e) && isRead(ctx)) {
                tooSlow(ctx, e);
            } else if (RetryableFailures.isRetryable(e)) {
                unavailable(ctx, e); // a read that found no server (e.g. a single-server database restarting)
            } else {
                respond(ctx, 500, "the server could not complete this request; try again, and tell an administrator if it persists", e);
            }
        });
        routes.exception(Exception.class, (e, ctx) -> respond(ctx, 500,
                "the server could not complete this request; try again, and tell an administrator if it persists", e));
    }

    /** Jetty's verdict on a request it could not parse (it carries the status), when that is the cause. */
    private static HttpException jettyRefusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof HttpException h && h.getCode() >= 400 && h.getCode() < 500) {
                return h;
            }
        }
        return null;
    }

    /**
     * 503 with the failing-over message: expected during a failover, so logged in one line at WARN
     * without a stack trace, and with {@code Retry-After}.
     */
    private static void unavailable(Context ctx, RuntimeException e) {
        String errorId = newErrorId();
        log.warn("request failed, database unavailable errorId={} method={} path={} sqlState={} reason={}",
                errorId, ctx.method(), ctx.path(), RetryableFailures.sqlState(e), e.getMessage());
        ctx.header("Retry-After", "5");
        answer(ctx, 503, DatabaseUnavailableException.USER_MESSAGE, errorId);
    }

    /** A GET or HEAD: only reads run under the page read timeout; a write cancelled otherwise (by an operator) is no slow read. */
    private static boolean isRead(Context ctx) {
        return "GET".equals(ctx.method().name()) || "HEAD".equals(ctx.method().name());
    }

    /**
     * 503 for a read the database cancelled at the page read timeout ({@code db.page-read-timeout}):
     * logged in one line at WARN (the path, not the query string: it may hold a search's words).
     */
    private static void tooSlow(Context ctx, RuntimeException e) {
        String errorId = newErrorId();
        log.warn("request failed, a read ran past the page read timeout and was cancelled errorId={} method={} path={}",
                errorId, ctx.method(), ctx.path());
        answer(ctx, 503, TOO_SLOW_MESSAGE, errorId);
    }

    /** A fresh error id: short enough to read out over the phone, random enough not to repeat in a day's log. */
    public static String newErrorId() {
        byte[] bytes = new byte[5];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Logs a failure under a new error id and returns the id, for handlers that answer the failure themselves. */
    public static String logFailure(Context ctx, Exception e) {
        String errorId = newErrorId();
        log.error("request failed errorId={} method={} path={}", errorId, ctx.method(), ctx.path(), e);
        return errorId;
    }

    static void respond(Context ctx, int status, String message, Exception unexpected) {
        String errorId;
        if (unexpected != null) {
            errorId = logFailure(ctx, unexpected);
        } else {
            errorId = newErrorId();
            log.info("request refused errorId={} status={} method={} path={} reason={}",
                    errorId, status, ctx.method(), ctx.path(), message);
        }
        answer(ctx, status, message, errorId);
    }

    private static void answer(Context ctx, int status, String message, String errorId) {
        ctx.status(status);
        if (wantsJson(ctx)) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", message);
            body.put("errorId", errorId);
            ctx.json(body);
        } else {
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("status", status);
            model.put("message", message);
            model.put("errorId", errorId);
            Pages.render(ctx, "error.jte", model);
        }
    }

    static boolean wantsJson(Context ctx) {
        String path = ctx.path();
        return path.startsWith("/api/") || path.startsWith("/health/");
    }
}
