package dev.ferry.schedule.hash;

import java.util.Optional;

/**
 * Parses a backend's {@code hash_key} setting: {@code source_ip}, {@code source_ip_port}, {@code uri},
 * {@code header:NAME} or {@code cookie:NAME}.
 */
public final class HashKeys {
    /** What {@code hash_key} accepts, for messages. */
    public static final String ALLOWED = "source_ip, source_ip_port, uri, header:NAME, cookie:NAME";

    private HashKeys() {
    }

    /**
     * The extractor for a setting.
     *
     * @throws IllegalArgumentException with a message naming the setting and what is allowed, when it is invalid
     */
    public static HashKeyExtractor parse(String spec) {
        return switch (spec) {
            case "source_ip" -> new SourceIpKey();
            case "source_ip_port" -> new SourceIpPortKey();
            case "uri" -> new UriKey();
            default -> parseNamed(spec);
        };
    }

    /** The problem with a setting, as {@link #parse(String)} would report it; empty when it is valid. */
    public static Optional<String> problem(String spec) {
        try {
            parse(spec);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    private static HashKeyExtractor parseNamed(String spec) {
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? spec : spec.substring(0, colon);
        if (colon < 0 || !(kind.equals("header") || kind.equals("cookie"))) {
            throw new IllegalArgumentException("unknown hash_key '" + spec + "'; allowed: " + ALLOWED);
        }
        String name = spec.substring(colon + 1);
        if (name.isEmpty()) {
            throw new IllegalArgumentException("hash_key '" + spec + "' needs a " + kind + " name after the colon, e.g. "
                    + kind + ":" + (kind.equals("header") ? "X-User" : "session"));
        }
        for (int i = 0; i < name.length(); i++) {
            if (!isTokenChar(name.charAt(i))) {
                throw new IllegalArgumentException("hash_key '" + spec + "': '" + name.charAt(i)
                        + "' cannot appear in a " + kind + " name (letters, digits and !#$%&'*+-.^_`|~ only)");
            }
        }
        return kind.equals("header") ? new HeaderKey(name) : new CookieKey(name);
    }

    /** RFC 9110 {@code tchar}. */
    private static boolean isTokenChar(char c) {
        return c < 128 && (Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0);
    }
}
