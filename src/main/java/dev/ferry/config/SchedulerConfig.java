package dev.ferry.config;

import java.util.Map;

/**
 * {@code scheduler:} of a backend: the algorithm's name and its options as written (e.g. {@code fallback: true},
 * {@code table_size: 65521}). Option values are kept as their YAML scalar text; the scheduler registry validates them.
 */
public record SchedulerConfig(String name, Map<String, String> options) {
    public static final SchedulerConfig DEFAULT = new SchedulerConfig("wlc", Map.of());

    public SchedulerConfig {
        options = Map.copyOf(options);
    }

    public static SchedulerConfig of(String name) {
        return new SchedulerConfig(name, Map.of());
    }
}
