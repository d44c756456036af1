package dev.ferry.config;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Domain names as the {@code dns:} section and DNS service discovery write them: checked for length and characters,
 * kept lower case and without the final dot.
 */
final class DomainNames {
    // Letters, digits and hyphens as in host names, plus '_' for service labels such as _http._tcp.
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?");

    private DomainNames() {
    }

    /**
     * An absolute name, with or without its final dot, lower-cased and without the dot.
     *
     * @throws IllegalArgumentException naming what is wrong, for a configuration problem
     */
    static String absolute(String text) {
        String name = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
        if (name.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "' is not a domain name; write one such as example.com");
        }
        if (name.length() > 253) {
            throw new IllegalArgumentException("'" + text + "' is longer than a domain name may be (253 characters)");
        }
        for (String label : name.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("'" + text + "' is not a domain name: "
                        + (label.isEmpty() ? "it has an empty label (two dots in a row)"
                        : "label '" + label + "' may hold only letters, digits, '-' and '_', at most 63 of them, "
                        + "and may not start or end with '-'"));
            }
        }
        return name.toLowerCase(Locale.ROOT);
    }

    /**
     * A record's owner name within {@code origin}: {@code @} is the apex, a name with a final dot is absolute (and
     * must lie in the zone), any other name is relative to the origin.
     */
    static String owner(String text, String origin) {
        if (text.equals("@")) {
            return origin;
        }
        if (text.endsWith(".")) {
            String name = absolute(text);
            if (!within(name, origin)) {
                throw new IllegalArgumentException("'" + text + "' is outside the zone " + origin
                        + "; write a name relative to the zone (e.g. www), @ for the apex, or an absolute name "
                        + "ending in ." + origin + ".");
            }
            return name;
        }
        return absolute(text + "." + origin);
    }

    /** Whether {@code name} is {@code origin} or below it. */
    static boolean within(String name, String origin) {
        return name.equals(origin) || name.endsWith("." + origin);
    }
}
