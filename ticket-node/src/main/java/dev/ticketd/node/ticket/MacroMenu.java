package dev.ticketd.node.ticket;

import dev.ticketd.node.auth.StaffUser;

import java.util.List;
import java.util.Optional;

/**
 * The macros the ticket page offers, and a macro's body filled in for one ticket. The macros live in
 * their own package, which uses this one; the ticket page reaches them only through this interface
 * (the node's packages never need each other both ways).
 */
public interface MacroMenu {

    /** A macro as the ticket page lists it; {@code actions} says what it changes ("" for a canned reply). */
    record Choice(long id, String name, String actions) {
    }

    /** A macro's body for one ticket, its placeholders filled in; {@code note} when it is an internal note. */
    record Filled(String body, boolean note) {
    }

    /** No macros: a node without them, and tests of the ticket pages alone. */
    MacroMenu NONE = new MacroMenu() {
        @Override
        public List<Choice> choices() {
            return List.of();
        }

        @Override
        public Optional<Filled> fill(StaffUser by, long ticketId, long macroId) {
            return Optional.empty();
        }
    };

    List<Choice> choices();

    /** Macro {@code macroId}'s body for ticket {@code ticketId} as {@code by} sees it; empty when either is gone or the body is empty. */
    Optional<Filled> fill(StaffUser by, long ticketId, long macroId);
}
