package dev.ferry.health;

/**
 * The weight an HAProxy-style agent asks for, as a factor of the configured weight: {@code NN%} sets it,
 * {@code drain} makes it 0 until {@code ready} or {@code up} (HAProxy's agent drain is a state the agent clears).
 *
 * <p>Not thread-safe: used by one checker on one thread.
 */
public final class AgentWeight {
    private int percent = 100;
    private boolean drained;

    /** Takes in one reply and returns the factor now in effect. */
    public double apply(AgentReply reply) {
        reply.weightPercent().ifPresent(p -> percent = p);
        reply.command().ifPresent(c -> {
            if (c == AgentReply.Command.DRAIN) {
                drained = true;
            } else if (c == AgentReply.Command.READY || c == AgentReply.Command.UP) {
                drained = false;
            }
        });
        return factor();
    }

    public double factor() {
        return drained ? 0 : percent / 100.0;
    }
}
