package dev.ferry.health;

import dev.ferry.config.HealthCheckConfig;
import dev.ferry.config.HealthCheckConfig.StatusRange;

import java.time.Duration;
import java.util.Optional;

/** Health-check configurations for tests. */
final class Checks {
    private Checks() {
    }

    static HealthCheckConfig tcp(Duration interval, Duration timeout, int rise, int fall) {
        return new HealthCheckConfig(HealthCheckConfig.Type.TCP, "/", "GET", Optional.empty(), StatusRange.DEFAULT,
                Optional.empty(), interval, timeout, rise, fall, Optional.empty());
    }

    static HealthCheckConfig http(String method, String path, Optional<String> host, StatusRange status,
                                  Optional<String> body) {
        return new HealthCheckConfig(HealthCheckConfig.Type.HTTP, path, method, host, status, body,
                Duration.ofSeconds(1), Duration.ofSeconds(2), 1, 1, Optional.empty());
    }
}
