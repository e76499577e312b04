package dev.ticketd.node.macro;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * A saved macro. {@code bodyKind} is {@code reply} or {@code note}; {@code status}, {@code priority}
 * and {@code group} (a group's name) are null when the macro leaves them as they are; a macro with
 * only a body is a canned reply.
 */
public record Macro(long id, String name, String body, String bodyKind, String status, String priority, String group,
                    List<String> addTags, List<String> removeTags, OffsetDateTime updatedAt, String updatedBy) {

    /** Whether applying it changes anything on the ticket besides filling in a reply or note. */
    public boolean hasActions() {
        return status != null || priority != null || group != null || !addTags.isEmpty() || !removeTags.isEmpty();
    }

    /** What it does, in a few words, for lists: "status resolved · tags +refund". */
    public String actionsText() {
        StringBuilder s = new StringBuilder();
        if (status != null) {
            s.append("status ").append(status);
        }
        if (priority != null) {
            s.append(s.isEmpty() ? "" : " · ").append("priority ").append(priority);
        }
        if (group != null) {
            s.append(s.isEmpty() ? "" : " · ").append("group ").append(group);
        }
        if (!addTags.isEmpty() || !removeTags.isEmpty()) {
            s.append(s.isEmpty() ? "" : " · ").append("tags");
            addTags.forEach(t -> s.append(" +").append(t));
            removeTags.forEach(t -> s.append(" −").append(t));
        }
        return s.toString();
    }
}
