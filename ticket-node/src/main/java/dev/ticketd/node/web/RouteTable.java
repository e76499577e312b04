package dev.ticketd.node.web;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Handler;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The one table of the node's routes: each {@link WebFeature} adds its routes here, each naming who
 * may use it ({@link Access}), and {@link WebServer} installs the table as it stands. {@link #routes()}
 * lists it (the docs' route list is checked against it), so the table stays the one place that says
 * which routes exist and who may use each. Not thread-safe: filled once while the server is built.
 */
public final class RouteTable {

    public enum Method { GET, POST, PATCH, PUT, DELETE }

    /** One route: its method and path (Javalin's syntax, {@code {id}} for a path parameter) and who may use it. */
    public record Route(Method method, String path, Access access, Handler handler) {
        public Route {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(access, "access: every route names who may use it");
            Objects.requireNonNull(handler, "handler");
        }
    }

    private final List<Route> routes = new ArrayList<>();
    private final Set<String> keys = new HashSet<>();

    public RouteTable get(String path, Handler handler, Access access) {
        return add(new Route(Method.GET, path, access, handler));
    }

    public RouteTable post(String path, Handler handler, Access access) {
        return add(new Route(Method.POST, path, access, handler));
    }

    public RouteTable patch(String path, Handler handler, Access access) {
        return add(new Route(Method.PATCH, path, access, handler));
    }

    public RouteTable put(String path, Handler handler, Access access) {
        return add(new Route(Method.PUT, path, access, handler));
    }

    public RouteTable delete(String path, Handler handler, Access access) {
        return add(new Route(Method.DELETE, path, access, handler));
    }

    private RouteTable add(Route route) {
        if (!keys.add(route.method() + " " + route.path())) {
            throw new IllegalStateException("two features add the route " + route.method() + " " + route.path());
        }
        routes.add(route);
        return this;
    }

    /** Every route, in the order the features added them. */
    public List<Route> routes() {
        return List.copyOf(routes);
    }

    void installInto(RoutesConfig config) {
        for (Route r : routes) {
            switch (r.method()) {
                case GET -> config.get(r.path(), r.handler(), r.access());
                case POST -> config.post(r.path(), r.handler(), r.access());
                case PATCH -> config.patch(r.path(), r.handler(), r.access());
                case PUT -> config.put(r.path(), r.handler(), r.access());
                case DELETE -> config.delete(r.path(), r.handler(), r.access());
            }
        }
    }
}
