package dev.ferry.health;

import dev.ferry.config.HealthCheckConfig;
import dev.ferry.config.HealthCheckConfig.HttpCheck;
import dev.ferry.config.HealthCheckConfig.StatusRange;
import dev.ferry.config.HealthCheckConfig.TcpCheck;

import java.time.Duration;
import java.util.Optional;

/** Health-check configurations for tests. */
final class Checks {
    private Checks() {
    }

    static HealthCheckConfig tcp(Duration interval, Duration timeout, int rise, int fall) {
        return new HealthCheckConfig(TcpCheck.CONNECT, interval, timeout, rise, fall, Optional.empty());
    }

    static HttpCheck http(String method, String path, Optional<String> host, StatusRange status,
                          Optional<String> body) {
        return new HttpCheck(path, method, host, status, body);
    }
}
