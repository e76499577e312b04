package dev.ticketd.node.live;

import java.util.Optional;

/**
 * One notification on channel {@value #CHANNEL}: a ticket changed (with its position in
 * {@code desk_event}) or who is on a ticket changed (presence, no position). Ids only: what changed
 * is read by the page that receives it, under that page's own access check.
 *
 * @param position   the {@code desk_event} id of a ticket change; 0 for presence
 * @param ticketId   the ticket; 0 with {@link Kind#PRESENCE} means "every ticket" (after the node lost its
 *                   listening connection it cannot know which presence changed)
 * @param groupId    the ticket's group after the change
 * @param oldGroupId the group the change moved the ticket out of, or null
 */
public record DeskEvent(Kind kind, long position, long ticketId, long groupId, Long oldGroupId) {

    /** The channel every node LISTENs on; the triggers of V022 and the presence writes NOTIFY it. */
    public static final String CHANNEL = "ticketd_desk";

    public enum Kind { TICKET, PRESENCE }

    static DeskEvent presenceOfAll() {
        return new DeskEvent(Kind.PRESENCE, 0, 0, 0, null);
    }

    /** The payload presence writes send: {@code p:<ticket>:<group>}. */
    static String presencePayload(long ticketId, long groupId) {
        return "p:" + ticketId + ":" + groupId;
    }

    /**
     * Reads {@code e:<position>:<ticket>:<group>[:<old group>]} or {@code p:<ticket>:<group>}; anything
     * else (a payload of a newer node, say) is empty.
     */
    static Optional<DeskEvent> parse(String payload) {
        if (payload == null) {
            return Optional.empty();
        }
        String[] parts = payload.split(":");
        try {
            if (parts[0].equals("e") && (parts.length == 4 || parts.length == 5)) {
                return Optional.of(new DeskEvent(Kind.TICKET, Long.parseLong(parts[1]), Long.parseLong(parts[2]),
                        Long.parseLong(parts[3]), parts.length == 5 ? Long.parseLong(parts[4]) : null));
            }
            if (parts[0].equals("p") && parts.length == 3) {
                return Optional.of(new DeskEvent(Kind.PRESENCE, 0, Long.parseLong(parts[1]), Long.parseLong(parts[2]), null));
            }
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** Whether a member of these groups (or an admin) may learn of this event. */
    boolean visibleTo(Audience audience) {
        if (audience.admin() || (kind == Kind.PRESENCE && ticketId == 0)) {
            return true;
        }
        return audience.groups().contains(groupId) || (oldGroupId != null && audience.groups().contains(oldGroupId));
    }
}
