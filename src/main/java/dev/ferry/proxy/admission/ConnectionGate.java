package dev.ferry.proxy.admission;

import dev.ferry.config.FrontendConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;

import io.netty.util.AttributeKey;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * The admission of a new stream connection, right at accept (before the frontend's {@code max_connections}, before
 * any connect to a server): a source its access rules refuse, or one over its {@code connections_per_second} or
 * {@code concurrent_connections}, is reset at once (RST: {@code SO_LINGER 0}), never registered with an event loop,
 * so the server never sees it. A reset, not a delayed accept: waiting clients would hold descriptors and could not be
 * told apart from a slow network; a reset tells the client plainly, as HAProxy's {@code tcp-request connection
 * reject} does.
 *
 * <p>Access rules are checked here only for tcp frontends ({@code checkAccess}); an http frontend answers 403 per
 * request instead ({@link HttpAdmission}). With {@code proxy_protocol} the source seen here is the peer that
 * connected (the proxy in front), not the client its header names.
 *
 * <p>Sits in the listening channel's pipeline. Threading: {@link #channelRead} on the listener's event loop;
 * {@link #reconfigure} from any thread; releases run on the child's loop (the key table is shared and locked).
 */
@ChannelHandler.Sharable
public final class ConnectionGate extends ChannelInboundHandlerAdapter {
    private record Rules(AccessPolicy access, RateLimiter limiter) {
    }

    /** How a connection gives its slot back when it is closed without ever being registered (see {@link #released}). */
    private static final AttributeKey<Runnable> RELEASE = AttributeKey.valueOf(ConnectionGate.class, "release");

    private final boolean checkAccess;
    private final AdmissionStats stats;
    private final LongSupplier clock;
    private volatile Rules rules;

    /**
     * @param checkAccess whether the frontend's access rules are checked here (tcp) or per request (http)
     * @param clock       nanoseconds, as {@link System#nanoTime()}
     */
    public ConnectionGate(boolean checkAccess, AdmissionStats stats, LongSupplier clock) {
        this.checkAccess = checkAccess;
        this.stats = stats;
        this.clock = clock;
        this.rules = new Rules(AccessPolicy.ALL, null);
    }

    /**
     * A tcp frontend's rules, at start and on reload: its access rules and connection limits for the next connections
     * (the key table stays when the limit did not change).
     */
    public void reconfigure(FrontendConfig config) {
        Rules before = rules;
        RateLimiter limiter = config.rateLimit()
                .map(l -> RateLimiter.of(l, stats.rule(AdmissionStats.FRONTEND), before.limiter)).orElse(null);
        RuleStats had = stats.existing(AdmissionStats.FRONTEND);
        if (limiter == null && had != null) {
            had.table(null);
        }
        reconfigure(AccessPolicy.of(config.access()), limiter);
    }

    /**
     * Sets the rules for the next connections.
     *
     * @param limiter the frontend's rate limiter (shared with its requests' admission), or null
     */
    public void reconfigure(AccessPolicy access, RateLimiter limiter) {
        rules = new Rules(checkAccess ? access : AccessPolicy.ALL,
                limiter != null && limiter.config().limitsConnections() ? limiter : null);
    }

    /** Whether anything is checked at accept (else the listener need not carry this handler's cost). */
    public boolean active() {
        Rules r = rules;
        return !r.access.allowsAll() || r.limiter != null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Rules r = rules;
        if (r.access.allowsAll() && r.limiter == null) {
            ctx.fireChannelRead(msg);
            return;
        }
        Channel child = (Channel) msg;
        InetSocketAddress remote = (InetSocketAddress) child.remoteAddress();
        if (remote == null) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!r.access.admits(remote.getAddress())) {
            stats.rule(AdmissionStats.FRONTEND).denied();
            reset(child);
            return;
        }
        if (r.limiter != null) {
            KeyTable.Entry slot = r.limiter.admitConnection(remote.getAddress(), clock.getAsLong());
            if (slot == null) {
                reset(child);
                return;
            }
            if (slot != RateLimiter.UNCOUNTED) {
                RateLimiter limiter = r.limiter;
                AtomicBoolean released = new AtomicBoolean();
                Runnable release = () -> {
                    if (released.compareAndSet(false, true)) {
                        limiter.releaseConnection(slot, clock.getAsLong());
                    }
                };
                child.attr(RELEASE).set(release);
                child.closeFuture().addListener(f -> release.run());
            }
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * A connection this gate admitted was closed by a later handler before it was registered ({@code closeForcibly}
     * completes no close future): gives its per-key slot back. No effect for others, or when already given back.
     */
    public static void released(Channel child) {
        Runnable release = child.attr(RELEASE).getAndSet(null);
        if (release != null) {
            release.run();
        }
    }

    /** Closes a connection that was accepted but never registered, with a reset. */
    private static void reset(Channel unregistered) {
        try {
            unregistered.config().setOption(ChannelOption.SO_LINGER, 0);
        } catch (RuntimeException ignored) {
            // best effort: the close below is what matters
        }
        unregistered.unsafe().closeForcibly();
    }
}
