package dev.ticketd.node.live;

import java.util.Set;

/**
 * Who listens on one event stream: a member of staff and the groups whose tickets they may see, read
 * when the stream opens. A stream lives at most {@link LiveSettings#streamLifetime()}, and the browser's
 * reconnect reads login, role and groups again, so a removed member stops hearing within that time.
 */
record Audience(long staffId, boolean admin, Set<Long> groups) {

    Audience {
        groups = Set.copyOf(groups);
    }
}
