package dev.ferry.config;

import java.time.Duration;
import java.util.Optional;

/**
 * {@code health_check:} of a backend.
 *
 * @param type         tcp, http, agent, redis, pgsql or mysql
 * @param path         http: the request path (default {@code /})
 * @param method       http: the request method (default GET)
 * @param host         http: the Host header (default: the server's address)
 * @param expectStatus http: accepted status range, e.g. {@code 200-399} (key {@code expect_status})
 * @param expectBody   http: a substring the body must contain (key {@code expect_body})
 * @param checkPort    probe this port instead of the server's (key {@code check_port})
 * @param send         tcp: bytes sent once connected (keys {@code send}, {@code send_binary})
 * @param expect       tcp: bytes the reply must contain (keys {@code expect}, {@code expect_binary})
 */
public record HealthCheckConfig(Type type, String path, String method, Optional<String> host, StatusRange expectStatus,
                                Optional<String> expectBody, Duration interval, Duration timeout, int rise, int fall,
                                Optional<Integer> checkPort, Optional<CheckBytes> send, Optional<CheckBytes> expect) {
    public enum Type { TCP, HTTP, AGENT, REDIS, PGSQL, MYSQL }

    /** A check without {@code send}/{@code expect}. */
    public HealthCheckConfig(Type type, String path, String method, Optional<String> host, StatusRange expectStatus,
                             Optional<String> expectBody, Duration interval, Duration timeout, int rise, int fall,
                             Optional<Integer> checkPort) {
        this(type, path, method, host, expectStatus, expectBody, interval, timeout, rise, fall, checkPort,
                Optional.empty(), Optional.empty());
    }

    /** An inclusive range of HTTP status codes. */
    public record StatusRange(int low, int high) {
        public static final StatusRange DEFAULT = new StatusRange(200, 399);

        public boolean contains(int status) {
            return status >= low && status <= high;
        }
    }
}
