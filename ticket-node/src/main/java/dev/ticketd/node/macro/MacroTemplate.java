package dev.ticketd.node.macro;

import dev.ticketd.desk.InvalidRequestException;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The placeholders of a macro's body: {@code {{customer.name}}} and the others of {@link #PLACEHOLDERS},
 * spaces inside the braces allowed. An unknown one is refused when the macro is saved, so applying a
 * saved macro never meets one. Values go in as plain text; the pages escape what they show, and a
 * reply is mailed as text. Pure and thread-safe.
 */
public final class MacroTemplate {

    /** Every placeholder a body may use, in the order the admin screen lists them. */
    public static final List<String> PLACEHOLDERS = List.of("customer.name", "customer.email", "ticket.number", "ticket.subject",
            "ticket.group", "agent.name", "agent.email");

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([^{}]*?)\\s*}}");

    private MacroTemplate() {
    }

    /**
     * Checks that {@code body} uses only known placeholders.
     *
     * @throws InvalidRequestException naming the first unknown placeholder
     */
    public static void check(String body) {
        Set<String> unknown = new LinkedHashSet<>();
        Matcher m = PLACEHOLDER.matcher(body);
        while (m.find()) {
            if (!PLACEHOLDERS.contains(m.group(1))) {
                unknown.add(m.group(1));
            }
        }
        if (!unknown.isEmpty()) {
            String first = unknown.iterator().next().replaceAll("\\p{Cntrl}", "?");
            throw new InvalidRequestException("body: unknown placeholder {{" + (first.length() > 40 ? first.substring(0, 40) + "…" : first)
                    + "}}" + (unknown.size() > 1 ? " (and " + (unknown.size() - 1) + " more)" : "") + "; the placeholders are "
                    + String.join(", ", PLACEHOLDERS.stream().map(p -> "{{" + p + "}}").toList()));
        }
    }

    /**
     * The body with every placeholder replaced by its value, taken literally (a value that itself looks
     * like a placeholder stays as it is). A placeholder without a value becomes empty text.
     */
    public static String fill(String body, Map<String, String> values) {
        return PLACEHOLDER.matcher(body).replaceAll(m -> Matcher.quoteReplacement(values.getOrDefault(m.group(1), "")));
    }
}
