package dev.ferry.config;

import java.time.Duration;

/** {@code feedback:} LVS dynamic feedback of a backend. */
public record FeedbackConfig(boolean enabled, Duration interval, int agentPort) {
}
