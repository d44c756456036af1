package dev.ferry.config;

import java.time.Duration;

/** {@code tcp_keepalive:} SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT. */
public record KeepaliveConfig(Duration idle, Duration interval, int count) {
    public static final KeepaliveConfig DEFAULTS = new KeepaliveConfig(Duration.ofSeconds(60), Duration.ofSeconds(10), 6);
}
