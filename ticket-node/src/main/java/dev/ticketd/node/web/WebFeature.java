package dev.ticketd.node.web;

/**
 * A part of the node that serves pages or API calls: it adds its routes to the node's one
 * {@link RouteTable}. Built by the composition root ({@code Node}) from its services; a feature that
 * is also {@link AutoCloseable} is closed with the {@link WebServer} it was given to.
 */
@FunctionalInterface
public interface WebFeature {

    void addRoutes(RouteTable routes);
}
