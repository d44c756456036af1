package dev.ferry.config;

import java.time.Duration;

/**
 * {@code outlier:} passive health: eject a server after {@code consecutiveFailures} in a row for {@code ejection},
 * never more than {@code maxEjectedPercent} of a backend at once (key {@code max_ejected_percent}, default 50).
 */
public record OutlierConfig(int consecutiveFailures, Duration ejection, int maxEjectedPercent) {
}
