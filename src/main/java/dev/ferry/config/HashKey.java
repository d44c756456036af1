package dev.ferry.config;

import java.util.Optional;

/**
 * A backend's {@code hash_key} setting as the configuration reads it: {@code source_ip}, {@code source_ip_port},
 * {@code uri}, {@code header:NAME} or {@code cookie:NAME}. This is the setting's one grammar; the hashing itself
 * ({@code dev.ferry.schedule.hash.HashKeys}) is built from it. Immutable.
 *
 * @param kind what is hashed
 * @param name the header or cookie name for {@link Kind#HEADER} and {@link Kind#COOKIE}; empty otherwise
 */
public record HashKey(Kind kind, String name) {
    /** What {@code hash_key} accepts, for messages. */
    public static final String ALLOWED = "source_ip, source_ip_port, uri, header:NAME, cookie:NAME";

    /** What a hash key is made from. */
    public enum Kind {
        SOURCE_IP(false), SOURCE_IP_PORT(false), URI(true), HEADER(true), COOKIE(true);

        private final boolean http;

        Kind(boolean http) {
            this.http = http;
        }
    }

    /**
     * Reads a setting.
     *
     * @throws IllegalArgumentException with a message naming the setting and what is allowed, when it is invalid
     */
    public static HashKey parse(String spec) {
        return switch (spec) {
            case "source_ip" -> new HashKey(Kind.SOURCE_IP, "");
            case "source_ip_port" -> new HashKey(Kind.SOURCE_IP_PORT, "");
            case "uri" -> new HashKey(Kind.URI, "");
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

    /** True when the key reads the HTTP request, so it means something only on http frontends. */
    public boolean needsHttp() {
        return kind.http;
    }

    private static HashKey parseNamed(String spec) {
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
        return new HashKey(kind.equals("header") ? Kind.HEADER : Kind.COOKIE, name);
    }

    /** RFC 9110 {@code tchar}. */
    private static boolean isTokenChar(char c) {
        return c < 128 && (Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0);
    }
}
