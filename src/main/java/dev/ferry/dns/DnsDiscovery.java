package dev.ferry.dns;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.Addresses;
import dev.ferry.config.HostPort;
import dev.ferry.config.ResolverConfig;
import dev.ferry.config.ServerConfig;
import dev.ferry.config.ServerDiscovery;
import dev.ferry.transport.Transport;
import io.netty.channel.EventLoop;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.SingletonDnsServerAddressStreamProvider;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * DNS service discovery for one backend: every server entry written with {@code resolve: true} (A and AAAA of its
 * host) or {@code srv:} (SRV records, then their targets' addresses) is looked up again and again, and the backend's
 * servers follow the answers: new addresses are added with {@link Backend#addServer}, vanished ones removed with
 * {@link Backend#removeServer} (their connections drain), changed SRV weights applied with
 * {@link Backend#setWeight}. Discovered servers are named {@code <entry name>@<ip>:<port>}; servers of that form
 * already in the backend (left by an earlier discovery before a reload) are taken over, not added twice.
 *
 * <p>Timing: a name is asked again when the smallest TTL of its answer runs out, but at least every
 * {@code resolver.refresh} and at most once a second. A failed lookup (timeout, SERVFAIL, REFUSED) keeps the servers
 * as they are and is retried after {@code min(refresh, 5s)}; an answer of NXDOMAIN or no records removes them all.
 *
 * <p>SRV priorities: only the targets of the lowest priority are used, unless every one of them is down (by the
 * health checks), in which case the next priority is added as well, and so on; this is re-decided at each lookup.
 * An SRV weight of 0 becomes 1, since Ferry's weight 0 means "no new connections" where RFC 2782 means "rarely".
 *
 * <p>Threading: the lookups run on one event loop, through Netty's non-blocking {@link DnsNameResolver}; their
 * answers are applied to the backend on the balancer's control thread (never on an I/O loop: changing a backend takes
 * its lock, which an admin call or a reload may hold), and the per-entry state (servers found, next lookup) lives on
 * that thread only. {@link #start(Duration)} and {@link #close()} are called off the event loops and off the control
 * thread.
 */
public final class DnsDiscovery implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DnsDiscovery.class);
    private static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
    private static final Duration MAX_RETRY = Duration.ofSeconds(5);

    /** One server entry found by DNS and the servers it stands for now. */
    private final class Entry {
        final ServerConfig config;
        final ServerDiscovery discovery;
        final Map<String, Server> servers = new LinkedHashMap<>();
        ScheduledFuture<?> next;

        Entry(ServerConfig config) {
            this.config = config;
            this.discovery = config.discovery().orElseThrow();
        }
    }

    /** A server the answer asks for. */
    private record Wanted(String name, InetSocketAddress address, int weight) {
    }

    private final Backend backend;
    private final ResolverConfig settings;
    private final EventLoop loop;
    private final EventExecutor control;
    private final DnsNameResolver resolver;
    private final DnsLookups lookups;
    private final List<Entry> entries = new ArrayList<>();
    private final LongAdder lookupsDone = new LongAdder();
    private final LongAdder lookupsFailed = new LongAdder();
    private volatile boolean closed;

    /**
     * For a backend whose configuration has entries found by DNS ({@code BackendConfig.hasDiscovery()}).
     *
     * @param control the thread that applies the answers to the backend (the balancer's control thread)
     */
    public DnsDiscovery(Backend backend, Transport transport, EventExecutor control) {
        this.backend = backend;
        this.control = control;
        this.settings = backend.config().resolver();
        this.loop = transport.workers().next();
        this.resolver = new DnsNameResolverBuilder(loop)
                .datagramChannelType(transport.datagramChannel())
                .socketChannelType(transport.socketChannel())
                .nameServerProvider(settings.nameserver()
                        .<io.netty.resolver.dns.DnsServerAddressStreamProvider>map(
                                ns -> new SingletonDnsServerAddressStreamProvider(ns.resolve()))
                        .orElseGet(DnsServerAddressStreamProviders::platformDefault))
                .queryTimeoutMillis(settings.timeout().toMillis())
                .resolveCache(NoopDnsCache.INSTANCE)
                .recursionDesired(true)
                .build();
        this.lookups = new DnsLookups(resolver, loop);
        for (ServerConfig sc : backend.config().servers()) {
            if (sc.discovery().isPresent()) {
                Entry e = new Entry(sc);
                for (Server s : backend.servers()) {
                    if (s.name().startsWith(sc.name() + "@")) {
                        e.servers.put(s.name(), s);
                    }
                }
                entries.add(e);
            }
        }
    }

    /**
     * Looks every name up once and waits up to {@code wait} for the answers, so that the backend starts with its
     * servers; then keeps looking them up in the background. A name that cannot be resolved yet is logged and
     * retried; it does not stop Ferry.
     */
    public void start(Duration wait) {
        List<Future<?>> first = new ArrayList<>();
        for (Entry e : entries) {
            Promise<Void> done = control.newPromise();
            control.execute(() -> refresh(e, done));
            first.add(done);
        }
        long deadline = System.nanoTime() + wait.toNanos();
        for (Future<?> f : first) {
            f.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    /** Lookups answered so far (including answers of no records). */
    public long lookups() {
        return lookupsDone.sum();
    }

    /** Lookups that failed (timeouts, SERVFAIL, REFUSED, ...); the servers stayed as they were. */
    public long failures() {
        return lookupsFailed.sum();
    }

    /** On the control thread: asks the entry's name on the resolver's loop; the answer comes back here. */
    private void refresh(Entry e, Promise<Void> done) {
        if (closed) {
            done.trySuccess(null);
            return;
        }
        ServerDiscovery d = e.discovery;
        if (d.kind() == ServerDiscovery.Kind.ADDRESS) {
            loop.execute(() -> lookups.addresses(d.name()).addListener((Future<List<DnsLookups.Address>> f) ->
                    onControl(done, () -> {
                        if (f.isSuccess()) {
                            List<Wanted> wanted = new ArrayList<>();
                            long ttl = Long.MAX_VALUE;
                            for (DnsLookups.Address a : f.getNow()) {
                                InetSocketAddress address = new InetSocketAddress(a.address(), d.port());
                                wanted.add(new Wanted(nameOf(e, address), address, e.config.weight()));
                                ttl = Math.min(ttl, a.ttl());
                            }
                            answered(e, wanted, ttl);
                        } else {
                            failed(e, f.cause());
                        }
                    })));
        } else {
            loop.execute(() -> lookups.srv(d.name()).addListener((Future<List<DnsLookups.Srv>> f) ->
                    onControl(done, () -> {
                        if (f.isSuccess()) {
                            long ttl = Long.MAX_VALUE;
                            for (DnsLookups.Srv s : f.getNow()) {
                                ttl = Math.min(ttl, s.ttl());
                                for (DnsLookups.Address a : s.addresses()) {
                                    ttl = Math.min(ttl, a.ttl());
                                }
                            }
                            answered(e, usablePriorities(e, f.getNow()), ttl);
                        } else {
                            failed(e, f.cause());
                        }
                    })));
        }
    }

    /** Runs {@code apply} on the control thread, then completes {@code done}; a stopped control thread applies nothing. */
    private void onControl(Promise<Void> done, Runnable apply) {
        try {
            control.execute(() -> {
                try {
                    if (!closed) {
                        apply.run();
                    }
                } finally {
                    done.trySuccess(null);
                }
            });
        } catch (RejectedExecutionException stopping) {
            done.trySuccess(null);
        }
    }

    /** The SRV targets of the lowest priority, and of further ones while every server so far is down. */
    private List<Wanted> usablePriorities(Entry e, List<DnsLookups.Srv> records) {
        TreeMap<Integer, List<Wanted>> byPriority = new TreeMap<>();
        for (DnsLookups.Srv s : records) {
            for (DnsLookups.Address a : s.addresses()) {
                InetSocketAddress address = new InetSocketAddress(a.address(), s.port());
                byPriority.computeIfAbsent(s.priority(), p -> new ArrayList<>())
                        .add(new Wanted(nameOf(e, address), address, Math.max(1, s.weight())));
            }
        }
        List<Wanted> wanted = new ArrayList<>();
        for (List<Wanted> group : byPriority.values()) {
            wanted.addAll(group);
            boolean someUp = group.stream().anyMatch(w -> {
                Server known = e.servers.get(w.name());
                return known == null || known.healthy();
            });
            if (someUp) {
                break;
            }
        }
        return wanted;
    }

    private void answered(Entry e, List<Wanted> wanted, long ttlSeconds) {
        lookupsDone.increment();
        Map<String, Wanted> byName = new HashMap<>();
        for (Wanted w : wanted) {
            byName.putIfAbsent(w.name(), w);
        }
        for (var it = e.servers.entrySet().iterator(); it.hasNext(); ) {
            var current = it.next();
            Wanted w = byName.remove(current.getKey());
            if (w == null) {
                log.info("backend '{}': {} left the DNS answer for {}; draining it", backend.name(),
                        current.getKey(), e.discovery.name());
                backend.removeServer(current.getKey());
                it.remove();
            } else if (current.getValue().configuredWeight() != w.weight()) {
                backend.setWeight(current.getValue(), w.weight());
            }
        }
        for (Wanted w : wanted) {
            if (byName.remove(w.name()) == null) {
                continue;
            }
            try {
                // An address literal: resolving it asks no DNS server.
                HostPort literal = new HostPort(w.address().getAddress().getHostAddress(), w.address().getPort());
                Server s = backend.addServer(new ServerConfig(w.name(), literal, w.weight(),
                        e.config.maxConnections(), e.config.sendProxy(), java.util.Optional.empty(),
                        e.config.forwarding(), e.config.protocol(), e.config.tls(), e.config.backup()));
                e.servers.put(w.name(), s);
                log.info("backend '{}': added {} from the DNS answer for {}", backend.name(), w.name(),
                        e.discovery.name());
            } catch (IllegalArgumentException clash) {
                log.warn("backend '{}': cannot add {}: {}", backend.name(), w.name(), clash.getMessage());
            }
        }
        long seconds = Math.clamp(ttlSeconds, MIN_INTERVAL.toSeconds(), settings.refresh().toSeconds());
        schedule(e, Duration.ofSeconds(seconds));
    }

    private void failed(Entry e, Throwable cause) {
        lookupsFailed.increment();
        log.warn("backend '{}': looking up {} failed ({}); keeping its {} server(s)", backend.name(),
                e.discovery.name(), cause.getMessage() == null ? cause.toString() : cause.getMessage(),
                e.servers.size());
        schedule(e, settings.refresh().compareTo(MAX_RETRY) < 0 ? settings.refresh() : MAX_RETRY);
    }

    private void schedule(Entry e, Duration delay) {
        if (!closed) {
            e.next = control.schedule(() -> refresh(e, control.newPromise()), delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private static String nameOf(Entry e, InetSocketAddress address) {
        return e.config.name() + "@" + Addresses.format(address);
    }

    /** Stops looking names up; the servers found stay in the backend. */
    @Override
    public void close() {
        closed = true;
        if (!control.isShuttingDown()) {
            try {
                control.submit(() -> {
                    for (Entry e : entries) {
                        if (e.next != null) {
                            e.next.cancel(false);
                        }
                    }
                }).awaitUninterruptibly(5, TimeUnit.SECONDS);
            } catch (RejectedExecutionException stopping) {
                // The control thread is gone, and with it every scheduled lookup.
            }
        }
        if (loop.isShuttingDown()) {
            resolver.close();
            return;
        }
        loop.submit(resolver::close).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
