package dev.ticketd.desk;

import java.util.Collection;
import java.util.Locale;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The rule for tags: lower-case letters, digits, {@code - _ .} (no spaces), 1 to
 * {@link #MAX_LENGTH} characters, at most {@link #MAX_PER_TICKET} on a ticket. What staff type is
 * trimmed and lower-cased; anything else is refused by name.
 */
public final class Tags {

    public static final int MAX_LENGTH = 50;
    public static final int MAX_PER_TICKET = 20;
    private static final Pattern TAG = Pattern.compile("[\\p{L}\\p{N}][\\p{L}\\p{N}_.-]*");

    private Tags() {
    }

    /**
     * The tags, cleaned and sorted.
     *
     * @throws InvalidRequestException naming the first tag that breaks the rule, or when there are too many
     */
    public static SortedSet<String> of(Collection<String> given) {
        SortedSet<String> tags = new TreeSet<>();
        for (String raw : given) {
            String tag = raw == null ? "" : raw.strip().toLowerCase(Locale.ROOT);
            if (tag.isEmpty()) {
                continue;
            }
            if (tag.length() > MAX_LENGTH || !TAG.matcher(tag).matches()) {
                String shown = tag.length() > 60 ? tag.substring(0, 60) + "…" : tag;
                throw new InvalidRequestException("a tag is 1 to " + MAX_LENGTH + " letters, digits, '-', '_' or '.', starting with a "
                        + "letter or digit; not '" + shown.replaceAll("\\p{Cntrl}", "?") + "'");
            }
            tags.add(tag);
        }
        if (tags.size() > MAX_PER_TICKET) {
            throw new InvalidRequestException("a ticket has at most " + MAX_PER_TICKET + " tags; got " + tags.size());
        }
        return tags;
    }
}
