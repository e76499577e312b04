package dev.ticketd.node.live;

import dev.ticketd.db.Database;
import dev.ticketd.db.Transactions;
import dev.ticketd.node.web.HttpProblem;
import dev.ticketd.node.web.Pages;
import dev.ticketd.node.web.RouteTable;
import dev.ticketd.node.web.WebFeature;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.ticketd.node.web.Access.STAFF;

/**
 * Live updates and presence: {@code GET /events} (the event stream, {@link EventStream}),
 * {@code POST /tickets/{id}/presence} (a page says it shows the ticket, or that its member of staff
 * writes on it, or that it left) and {@code GET /presence?ticket=…} (who is on these tickets).
 *
 * <p>It owns this node's {@link DeskNotifications} listener, the {@link EventHub} of its streams and
 * a sweeper that deletes expired presence and events older than {@link LiveSettings#eventsKept()}.
 * Lifecycle: {@link #start()} once, with the web server; {@link #close()} ends the streams first.
 */
public final class LiveRoutes implements WebFeature, AutoCloseable {

    private enum State { NEW, STARTED, CLOSED }

    private static final Logger log = LoggerFactory.getLogger(LiveRoutes.class);
    /** The most tickets one presence look-up may name: a list page shows 100. */
    static final int MAX_TICKETS_ASKED = 200;
    private static final int PRUNE_BATCH = 5000;

    private final Database db;
    private final Presence presence;
    private final LiveSettings settings;
    private final EventHub hub;
    private final DeskNotifications notifications;
    private final EventStream stream;
    private final ScheduledExecutorService sweeper;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);

    /** @param writes the web's transactions (a short retry budget) */
    public LiveRoutes(Database db, Transactions writes, LiveSettings settings) {
        this.db = db;
        this.settings = settings;
        this.presence = new Presence(db, writes, settings.presenceExpiry());
        this.hub = new EventHub(settings);
        this.notifications = new DeskNotifications(db, hub::publish, settings.replayLimit());
        this.stream = new EventStream(db, hub, settings);
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "live-sweeper");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void addRoutes(RouteTable routes) {
        routes.get("/events", stream::handle, STAFF)
                .post("/tickets/{id}/presence", this::post, STAFF)
                .get("/presence", this::who, STAFF);
    }

    @Override
    public void start() {
        if (!state.compareAndSet(State.NEW, State.STARTED)) {
            throw new IllegalStateException("live updates were already started or closed: " + state.get());
        }
        notifications.start();
        long every = settings.sweepInterval().toMillis();
        sweeper.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stopping() {
        hub.closeAll();
    }

    /** How many event streams this node serves now. */
    public int streams() {
        return hub.size();
    }

    /** Whether this node's listening connection is up. */
    public boolean listening() {
        return notifications.listening();
    }

    private void post(Context ctx) {
        long ticket = ctx.pathParamAsClass("id", Long.class).get();
        String client = ctx.formParam("client");
        if (client == null || !client.matches("[A-Za-z0-9-]{8,40}")) {
            throw HttpProblem.badRequest("client must be 8 to 40 letters, digits or dashes");
        }
        String activity = ctx.formParam("activity");
        if ("left".equals(activity)) {
            presence.left(Pages.user(ctx).viewer(), ticket, client);
        } else {
            presence.here(Pages.user(ctx).viewer(), ticket, client, Presence.Activity.of(activity)
                    .orElseThrow(() -> HttpProblem.badRequest("activity must be viewing, replying or left")));
        }
        ctx.status(204);
    }

    private void who(Context ctx) {
        List<Long> tickets = new ArrayList<>();
        for (String t : ctx.queryParams("ticket")) {
            if (!t.matches("\\d{1,18}")) {
                throw HttpProblem.badRequest("ticket must be a ticket id");
            }
            tickets.add(Long.valueOf(t));
        }
        if (tickets.size() > MAX_TICKETS_ASKED) {
            throw HttpProblem.badRequest("ask for at most " + MAX_TICKETS_ASKED + " tickets at once");
        }
        Map<Long, List<Presence.Here>> here = presence.on(Pages.user(ctx).viewer(), tickets);
        ctx.json(Map.of("tickets", here));
    }

    private void sweep() {
        try {
            presence.sweep();
            EventLog.prune(db.dsl(), settings.eventsKept(), PRUNE_BATCH);
        } catch (RuntimeException e) {
            // the next sweep tries again; until then an expired row is only filtered out, not deleted
            log.warn("live sweep failed error={}", e.toString());
        }
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return;
        }
        hub.closeAll();
        sweeper.shutdownNow();
        notifications.close();
    }
}
