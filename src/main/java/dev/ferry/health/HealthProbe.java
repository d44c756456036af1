package dev.ferry.health;

import dev.ferry.transport.ServerTls;
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

    /**
     * Checks the server at {@code target} once, over TLS when {@code tls} is not null (the backend's {@code tls:},
     * HAProxy's {@code check-ssl}); the handshake counts in the timeout. Probes that speak no TLS ignore it.
     */
    default void check(EventLoop loop, InetSocketAddress target, ServerTls tls, long timeoutNanos,
                       Consumer<ProbeResult> done) {
        check(loop, target, timeoutNanos, done);
    }
}
