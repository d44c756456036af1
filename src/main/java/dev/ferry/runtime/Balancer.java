package dev.ferry.runtime;

import dev.ferry.backend.Backend;
import dev.ferry.config.BackendConfig;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.FrontendConfig;
import dev.ferry.config.ConfigException;
import dev.ferry.config.Mode;
import dev.ferry.dns.DnsDiscovery;
import dev.ferry.dns.DnsResponder;
import dev.ferry.proxy.Frontend;
import dev.ferry.proxy.tcp.TcpFrontend;
import dev.ferry.proxy.udp.UdpFrontend;
import dev.ferry.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A running Ferry: its backends, its frontends and the event loops they share.
 *
 * <p>Threading: {@link #start()} and {@link #stop(Duration)} block and must be called off the event loops, by one
 * thread at a time (the CLI's main thread or a signal handler).
 */
public final class Balancer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Balancer.class);

    private final FerryConfig config;
    private final Transport transport;
    private final Map<String, Backend> backends = new LinkedHashMap<>();
    private final List<Frontend> frontends = new ArrayList<>();
    private final Map<String, InetSocketAddress> bound = new LinkedHashMap<>();
    private final List<DnsDiscovery> discoveries = new ArrayList<>();
    private DnsResponder dns;
    private InetSocketAddress dnsAddress;
    private boolean stopped;

    public Balancer(FerryConfig config, int threads) {
        this.config = config;
        this.transport = new Transport(threads);
    }

    /**
     * Builds every backend and binds every frontend. On failure, whatever was started is stopped again.
     *
     * @throws BindException when a listen address is in use or cannot be assigned
     * @throws ConfigException when the configuration asks for a feature this version does not have
     */
    public void start() throws BindException, ConfigException {
        FeatureGate.check(config);
        try {
            for (BackendConfig bc : config.backends()) {
                Backend backend = new Backend(bc);
                backends.put(bc.name(), backend);
                if (bc.hasDiscovery()) {
                    DnsDiscovery discovery = new DnsDiscovery(backend, transport);
                    discoveries.add(discovery);
                    discovery.start(bc.resolver().timeout().multipliedBy(2));
                }
            }
            for (FrontendConfig fc : config.frontends()) {
                Frontend frontend = create(fc);
                frontends.add(frontend);
                bound.put(fc.name(), frontend.start());
            }
            if (config.dns().isPresent()) {
                dns = new DnsResponder(config.dns().get(), backends, transport);
                dnsAddress = dns.start();
            }
        } catch (BindException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private Frontend create(FrontendConfig fc) {
        Backend backend = backends.get(fc.backend().orElseThrow());
        if (fc.mode() == Mode.UDP) {
            return new UdpFrontend(fc, backend, transport);
        }
        return new TcpFrontend(fc, backend, transport);
    }

    public FerryConfig config() {
        return config;
    }

    public Transport transport() {
        return transport;
    }

    public Map<String, Backend> backends() {
        return Map.copyOf(backends);
    }

    public List<Frontend> frontends() {
        return List.copyOf(frontends);
    }

    /** The address each frontend is bound to, by frontend name, in configuration order. */
    public Map<String, InetSocketAddress> boundAddresses() {
        return bound;
    }

    public InetSocketAddress address(String frontend) {
        return bound.get(frontend);
    }

    /** The service discovery of each backend whose servers are found by DNS. */
    public List<DnsDiscovery> discoveries() {
        return List.copyOf(discoveries);
    }

    /** The DNS responder, when the configuration has a {@code dns:} section. */
    public Optional<DnsResponder> dns() {
        return Optional.ofNullable(dns);
    }

    /** The address the DNS responder answers on (UDP and TCP), when there is one. */
    public Optional<InetSocketAddress> dnsAddress() {
        return Optional.ofNullable(dnsAddress);
    }

    /** Client connections open now, over all frontends. */
    public int activeConnections() {
        return frontends.stream().mapToInt(f -> f.stats().active()).sum();
    }

    /**
     * Stops accepting, waits up to {@code grace} for live connections to finish, then closes what is left and shuts
     * the event loops down.
     *
     * @return the number of connections that had to be closed when the grace period ran out
     */
    public int stop(Duration grace) {
        if (stopped) {
            return 0;
        }
        frontends.forEach(Frontend::stopAccepting);
        long deadline = System.nanoTime() + grace.toNanos();
        int live = activeConnections();
        if (live > 0) {
            log.info("waiting up to {} for {} live connection(s) to finish", format(grace), live);
        }
        while ((live = activeConnections()) > 0 && System.nanoTime() < deadline) {
            try {
                TimeUnit.MILLISECONDS.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (live > 0) {
            log.info("grace period over: closing {} connection(s)", live);
        }
        close();
        return live;
    }

    private static String format(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** Closes every connection and listener at once and shuts the event loops down. Idempotent. */
    @Override
    public void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        if (dns != null) {
            dns.stop();
        }
        discoveries.forEach(DnsDiscovery::close);
        frontends.forEach(Frontend::stopAccepting);
        frontends.forEach(Frontend::closeAll);
        transport.close();
    }
}
