package dev.ticketd.node.watch;

/**
 * A way to tell operations that does not depend on the help desk's own mail: the ops relay, a
 * webhook. A channel sends one notice at a time and says plainly when it could not.
 */
public interface AlertChannel {

    /** A short stable name ({@code smtp}, {@code webhook}), recorded with each notice. */
    String name();

    /** @throws Exception when the notice did not reach the channel (it is tried again later) */
    void send(Alert alert) throws Exception;
}
