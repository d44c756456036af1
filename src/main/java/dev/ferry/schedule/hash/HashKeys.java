package dev.ferry.schedule.hash;

import dev.ferry.config.HashKey;

import java.util.Optional;

/**
 * Builds the extractor for a backend's {@code hash_key} setting: {@code source_ip}, {@code source_ip_port},
 * {@code uri}, {@code header:NAME} or {@code cookie:NAME}. The setting's grammar and its messages are the
 * configuration's ({@link HashKey}).
 */
public final class HashKeys {
    /** What {@code hash_key} accepts, for messages. */
    public static final String ALLOWED = HashKey.ALLOWED;

    private HashKeys() {
    }

    /**
     * The extractor for a setting.
     *
     * @throws IllegalArgumentException with a message naming the setting and what is allowed, when it is invalid
     */
    public static HashKeyExtractor parse(String spec) {
        return of(HashKey.parse(spec));
    }

    /** The extractor for a setting already read. */
    public static HashKeyExtractor of(HashKey key) {
        return switch (key.kind()) {
            case SOURCE_IP -> new SourceIpKey();
            case SOURCE_IP_PORT -> new SourceIpPortKey();
            case URI -> new UriKey();
            case HEADER -> new HeaderKey(key.name());
            case COOKIE -> new CookieKey(key.name());
        };
    }

    /** The problem with a setting, as {@link #parse(String)} would report it; empty when it is valid. */
    public static Optional<String> problem(String spec) {
        return HashKey.problem(spec);
    }
}
