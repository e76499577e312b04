package dev.ticketd.node.web;

import dev.ticketd.node.auth.StaffUser;

/**
 * What every page's header shows of the logged-in member of staff beyond their name: how many open
 * tickets they own, as text ("3", "1000+"). Given by the composition root, so that the web layer
 * knows no ticket query; asked once per page rendered, never for JSON.
 */
@FunctionalInterface
public interface PageHeader {

    /** Shows nothing: for servers without tickets. */
    PageHeader NONE = user -> null;

    /** The count as the header shows it, or null for none. */
    String openTickets(StaffUser user);
}
