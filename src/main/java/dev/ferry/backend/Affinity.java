package dev.ferry.backend;

import dev.ferry.config.BackendConfig;
import dev.ferry.config.StickConfig;
import dev.ferry.config.StickyConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Optional;

/**
 * What keeps a backend's clients on their servers at layer 7: its sticky cookie ({@code sticky:}) and its stick table
 * ({@code stick:}), either or both. Built with the backend and rebuilt on reload, keeping what still fits: the
 * cookie's key (unless {@code secret_file} or its content changed) and the table's entries (unless {@code stick.on}
 * changed; a new size or expiry applies to them from then on).
 *
 * <p>Threading: immutable; what it holds is safe on any event loop.
 */
public final class Affinity {
    /** No stickiness configured. */
    static final Affinity NONE = new Affinity(null, null);

    private final StickyCookie cookie;
    private final StickTable table;

    private Affinity(StickyCookie cookie, StickTable table) {
        this.cookie = cookie;
        this.table = table;
    }

    /**
     * The stickiness of {@code config}, keeping what {@code previous} has that still fits. Reads {@code secret_file}
     * (blocking): call off the event loops, as the backend's constructor and reconfiguration are.
     */
    static Affinity of(Backend backend, BackendConfig config, Clock clock, Affinity previous) {
        StickyCookie cookie = config.sticky().map(s -> cookie(backend, s, clock, previous.cookie)).orElse(null);
        StickTable table = config.stick().map(s -> table(s, clock, previous.table)).orElse(null);
        return cookie == null && table == null ? NONE : new Affinity(cookie, table);
    }

    private static StickyCookie cookie(Backend backend, StickyConfig config, Clock clock, StickyCookie previous) {
        byte[] key;
        if (config.secretFile().isPresent()) {
            try {
                key = Files.readString(config.secretFile().get(), StandardCharsets.ISO_8859_1).strip()
                        .getBytes(StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the sticky secret_file of backend '" + backend.name()
                        + "'", e);
            }
        } else if (previous != null && previous.config().secretFile().isEmpty()) {
            key = previous.key();
        } else {
            key = new byte[32];
            new SecureRandom().nextBytes(key);
        }
        return new StickyCookie(config, backend, key, clock);
    }

    private static StickTable table(StickConfig config, Clock clock, StickTable previous) {
        if (previous != null && previous.sameShape(config) && previous.config().equals(config)) {
            return previous;
        }
        StickTable fresh = new StickTable(config, clock);
        if (previous != null && previous.sameShape(config)) {
            previous.copyTo(fresh);
        }
        return fresh;
    }

    /** The sticky cookie, when the backend has {@code sticky:}. */
    public Optional<StickyCookie> cookie() {
        return Optional.ofNullable(cookie);
    }

    /** The stick table, when the backend has {@code stick:}. */
    public Optional<StickTable> table() {
        return Optional.ofNullable(table);
    }

    /** Whether there is anything to do per request. */
    public boolean isEmpty() {
        return cookie == null && table == null;
    }
}
