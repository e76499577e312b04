package dev.ticketd.desk;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** An agent's access to the tickets of a group, as stored in {@code group_member.access}. */
public enum GroupAccess {
    /** See and change. */
    FULL,
    /** See only. */
    READ;

    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<GroupAccess> of(String value) {
        return Arrays.stream(values()).filter(a -> a.value().equals(value)).findFirst();
    }
}
