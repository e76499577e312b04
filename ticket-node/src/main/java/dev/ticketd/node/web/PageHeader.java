package dev.ticketd.node.web;

import dev.ticketd.node.auth.StaffUser;

import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What every page's header shows beyond the staff member's name: how many open tickets they own, as
 * text ("3", "1000+"), and the banner of stalled intake ("support@… has not been read for 3 min;
 * operations were alerted at 10:42 UTC"). Given by the composition root, so that the web layer knows
 * no ticket query and no self-watch; asked once per page rendered, never for JSON.
 */
@FunctionalInterface
public interface PageHeader {

    /** Shows nothing: for servers without tickets. */
    PageHeader NONE = user -> null;

    /** The count as the header shows it, or null for none. */
    String openTickets(StaffUser user);

    /** The banner's lines, shown to every logged-in member of staff; empty: none. */
    default List<String> alerts() {
        return List.of();
    }

    static PageHeader of(Function<StaffUser, String> openTickets, Supplier<List<String>> alerts) {
        return new PageHeader() {
            @Override
            public String openTickets(StaffUser user) {
                return openTickets.apply(user);
            }

            @Override
            public List<String> alerts() {
                return alerts.get();
            }
        };
    }
}
