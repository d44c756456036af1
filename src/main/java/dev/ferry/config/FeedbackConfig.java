package dev.ferry.config;

import java.time.Duration;

/**
 * {@code feedback:} LVS dynamic feedback of a backend.
 *
 * @param enabled      false turns it off (the backend then has no feedback config at all)
 * @param interval     how often the servers' agents are polled and weights adjusted (default 10s)
 * @param agentPort    where each server's agent listens (key {@code agent_port}, default 9777)
 * @param coefficients how the load metrics are combined (default {@link LoadCoefficients#DEFAULT})
 */
public record FeedbackConfig(boolean enabled, Duration interval, int agentPort, LoadCoefficients coefficients) {
    /** The port {@code ferry agent} listens on by default. */
    public static final int DEFAULT_AGENT_PORT = 9777;
}
