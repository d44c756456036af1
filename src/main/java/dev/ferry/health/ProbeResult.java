package dev.ferry.health;

import java.util.Optional;

/**
 * The outcome of one active check.
 *
 * @param passed whether the server passed
 * @param reason what happened, in words fit for a log line ("connection refused", "status 503", "agent says drain")
 * @param agent  the agent's reply, for agent checks that got one
 */
public record ProbeResult(boolean passed, String reason, Optional<AgentReply> agent) {
    public static ProbeResult pass(String reason) {
        return new ProbeResult(true, reason, Optional.empty());
    }

    public static ProbeResult fail(String reason) {
        return new ProbeResult(false, reason, Optional.empty());
    }
}
