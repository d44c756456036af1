package dev.ferry.feedback;

import dev.ferry.backend.Server;
import dev.ferry.health.AgentReply;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * Asks one server's agent for its load. Production polls over TCP ({@link TcpAgentPoller}); the feedback simulation
 * answers from a model.
 *
 * <p>Threading: {@link #poll} is called on the controller's timeline thread and must not block; {@code done} may be
 * called on any thread, once.
 */
public interface AgentPoller {
    /**
     * @param timeoutNanos how long the agent has to answer
     * @param done         receives the reply, or empty when the agent did not answer in time or answered nonsense
     */
    void poll(Server server, long timeoutNanos, Consumer<Optional<AgentReply>> done);
}
