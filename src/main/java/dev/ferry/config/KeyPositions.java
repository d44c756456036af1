package dev.ferry.config;

import java.util.Map;
import java.util.Optional;

/**
 * Where each key of a configuration file was written, by key path ({@code backends[0].servers[1].weight}; list items
 * as {@code backends[0]}), so checks made after loading can place their problems in the file too. Immutable and
 * thread-safe.
 *
 * @param byKey 1-based positions by key path; empty for configurations built in code
 */
public record KeyPositions(Map<String, Position> byKey) {
    /** No positions known: every lookup falls back to "unknown" (line 0). */
    public static final KeyPositions NONE = new KeyPositions(Map.of());

    /** A 1-based line and column in the file. */
    public record Position(int line, int column) {
    }

    public KeyPositions {
        byKey = Map.copyOf(byKey);
    }

    /**
     * Where {@code keyPath} was written or, for a key the file left to its default, where its closest written parent
     * was ({@code backends[0].retries} falls back to {@code backends[0]}); empty when not even the top-level key was
     * written.
     */
    public Optional<Position> of(String keyPath) {
        String path = keyPath;
        while (!path.isEmpty()) {
            Position position = byKey.get(path);
            if (position != null) {
                return Optional.of(position);
            }
            path = parent(path);
        }
        return Optional.empty();
    }

    /** Short on purpose: the map can hold hundreds of paths and would drown a logged configuration. */
    @Override
    public String toString() {
        return "KeyPositions[" + byKey.size() + " keys]";
    }

    private static String parent(String path) {
        int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
        return cut < 0 ? "" : path.substring(0, cut);
    }
}
