package dev.ticketd.node.live;

import dev.ticketd.db.Database;
import dev.ticketd.node.auth.StaffUser;
import dev.ticketd.node.web.HttpProblem;
import dev.ticketd.node.web.Pages;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import static dev.ticketd.db.generated.Tables.GROUP_MEMBER;

/**
 * {@code GET /events}: a server-sent event stream of the changes to tickets the caller may see and of
 * presence on them, from every node (through {@link DeskNotifications} and the {@link EventHub}).
 *
 * <p>Each ticket event carries its position as the SSE id; a browser that reconnects sends it back
 * ({@code Last-Event-ID}, or {@code ?since=} from a page that opened a new stream) and first gets
 * what happened after it ({@link EventLog#since}). A stream starts with a {@code ready} event that
 * carries the newest position, so a page that heard nothing yet still resumes from where it started.
 * The stream ends after {@link LiveSettings#streamLifetime()}, when its queue overflows and when the
 * node stops; the browser then connects again, to any node.
 *
 * <p>Events ({@code data} is JSON): {@code ready} {@code {"position"}}; {@code ticket}
 * {@code {"ticket", "position"}}; {@code presence} {@code {"ticket"}} (ticket 0: any ticket);
 * {@code reset} {@code {}} — events may have been missed, re-read what the page shows. A comment
 * every {@link LiveSettings#heartbeat()} keeps the connection.
 *
 * <p>Threading: the request's thread writes the stream until it ends; the hub only fills its queue.
 */
final class EventStream {

    private static final Logger log = LoggerFactory.getLogger(EventStream.class);

    private final Database db;
    private final EventHub hub;
    private final LiveSettings settings;

    EventStream(Database db, EventHub hub, LiveSettings settings) {
        this.db = db;
        this.hub = hub;
        this.settings = settings;
    }

    void handle(Context ctx) throws IOException {
        StaffUser user = Pages.user(ctx);
        Long since = position(ctx.header("Last-Event-ID"));
        if (since == null) {
            since = position(ctx.queryParam("since"));
        }
        Audience audience = new Audience(user.id(), user.viewer().admin(), user.viewer().admin() ? Set.of()
                : Set.copyOf(db.read(dsl -> dsl.select(GROUP_MEMBER.GROUP_ID).from(GROUP_MEMBER).where(GROUP_MEMBER.USER_ID.eq(user.id()))
                        .fetch(GROUP_MEMBER.GROUP_ID)).value()));
        EventHub.Subscription subscription;
        try {
            subscription = hub.subscribe(audience);
        } catch (EventHub.TooManyStreams e) {
            ctx.header("Retry-After", "30");
            throw new HttpProblem(429, e.getMessage());
        }
        try (subscription) {
            // subscribed first, then the log is read: an event in between comes twice, never not at all
            long latest = EventLog.latest(db.dsl());
            EventLog.Replay replay = since == null ? null : EventLog.since(db.dsl(), since, settings.replayLimit());
            var res = ctx.res();
            res.setStatus(200);
            res.setContentType("text/event-stream; charset=utf-8");
            res.setHeader("Cache-Control", "no-store");
            res.setHeader("X-Accel-Buffering", "no"); // a buffering proxy would hold the events back
            OutputStream out = res.getOutputStream();
            write(out, "retry: 1000\n\n");
            if (replay != null) {
                for (DeskEvent e : replay.events()) {
                    if (e.visibleTo(audience)) {
                        write(out, format(e));
                    }
                }
                if (!replay.complete()) {
                    write(out, "event: reset\ndata: {}\n\n");
                }
            }
            write(out, "event: ready\nid: " + latest + "\ndata: {\"position\":" + latest + "}\n\n");
            long ends = System.nanoTime() + settings.streamLifetime().toNanos();
            while (!subscription.ended() && System.nanoTime() - ends < 0) {
                DeskEvent e = subscription.poll(settings.heartbeat());
                if (e != EventHub.WAKE) {
                    write(out, e == null ? ": heartbeat\n\n" : format(e));
                }
            }
        } catch (IOException gone) {
            log.debug("event stream ended by its client user={}", user.id());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String format(DeskEvent e) {
        return switch (e.kind()) {
            case TICKET -> "event: ticket\nid: " + e.position() + "\ndata: {\"ticket\":" + e.ticketId() + ",\"position\":"
                    + e.position() + "}\n\n";
            case PRESENCE -> "event: presence\ndata: {\"ticket\":" + e.ticketId() + "}\n\n";
        };
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** A position a browser sent back; anything else is ignored (a fresh stream). */
    private static Long position(String value) {
        return value != null && value.matches("\\d{1,18}") ? Long.valueOf(value) : null;
    }
}
