package dev.ferry.health;

import io.netty.channel.EventLoop;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * One kind of active health check ({@code health_check.type}): tcp, http or agent.
 *
 * <p>Threading: {@link #check} is called on {@code loop} and never blocks; the probe's channel is registered on the
 * same loop and {@code done} is called there too, exactly once.
 */
public interface HealthProbe {
    /**
     * Checks the server at {@code target} once.
     *
     * @param loop         the event loop to connect from
     * @param target       the address to probe: the server's own address, or its {@code check_port}
     * @param timeoutNanos the longest the whole check may take; when it runs out the check fails
     * @param done         receives the result exactly once, on {@code loop}
     */
    void check(EventLoop loop, InetSocketAddress target, long timeoutNanos, Consumer<ProbeResult> done);
}
