package dev.ferry.health;

import io.netty.channel.EventLoop;

import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * One kind of active health check ({@code health_check.type}): tcp (a handshake, or send/expect), http, grpc, agent,
 * redis, pgsql or mysql.
 *
 * <p>Threading: {@link #check} may be called from any thread and never blocks; the probe works on {@code loop} (its
 * channel is registered there) and calls {@code done} there, exactly once.
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
