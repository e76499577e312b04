package dev.ticketd.node.web;

/**
 * A part of the node that serves pages or API calls: it adds its routes to the node's one
 * {@link RouteTable}. Built by the composition root ({@code Node}) from its services; a feature that
 * is also {@link AutoCloseable} is closed with the {@link WebServer} it was given to.
 */
@FunctionalInterface
public interface WebFeature {

    void addRoutes(RouteTable routes);

    /**
     * Starts what the feature runs besides its routes (a listener, a sweeper); called once by
     * {@link WebServer#start()} before it binds. Most features run nothing.
     */
    default void start() {
    }

    /** Ends the feature's long-running requests; called by {@link WebServer#close()} before it stops serving. */
    default void stopping() {
    }
}
