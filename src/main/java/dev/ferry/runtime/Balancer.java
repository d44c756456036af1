package dev.ferry.runtime;

import dev.ferry.accesslog.AccessLog;
import dev.ferry.accesslog.AsyncAccessLog;
import dev.ferry.accesslog.SwitchableAccessLog;
import dev.ferry.backend.Backend;
import dev.ferry.config.BackendConfig;
import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigProblem;
import dev.ferry.config.DirectorConfig;
import dev.ferry.director.Director;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.FrontendConfig;
import dev.ferry.config.HttpOptions;
import dev.ferry.config.HttpProtocol;
import dev.ferry.dns.DnsDiscovery;
import dev.ferry.dns.DnsResponder;
import dev.ferry.feedback.FeedbackController;
import dev.ferry.health.BackendHealth;
import dev.ferry.health.HealthStats;
import dev.ferry.proxy.Frontend;
import dev.ferry.config.Mode;
import dev.ferry.transport.BackendTls;
import dev.ferry.transport.TlsFileException;
import dev.ferry.transport.TlsHandshakeFailures;
import dev.ferry.transport.CertificateInfo;
import dev.ferry.transport.TlsTerminator;
import dev.ferry.transport.Transport;
import dev.ferry.transport.UpstreamTlsFailures;
import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running Ferry: its backends, its frontends and the event loops they share.
 *
 * <p>Threading: {@link #start()}, {@link #reload(FerryConfig)} and {@link #stop(Duration)} block, must be called off
 * the event loops, and are serialised on this object. Readers ({@link #backends()}, {@link #frontends()},
 * {@link #config()}) may run on any thread at any time: they see immutable views published whole.
 */
public final class Balancer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Balancer.class);

    /**
     * Everything a reload replaces, published whole, so that a reader on any thread sees the parts of one
     * configuration together.
     *
     * @param watches    each backend's discovery, health checking, housekeeping and feedback, by backend name
     * @param dns        the DNS responder, or null when the file has no {@code dns:}
     * @param dnsAddress where {@code dns} answers, or null
     * @param directors  the running directors by name, in file order
     */
    private record Snapshot(FerryConfig config, Map<String, Backend> backends, Map<String, BackendWatch> watches,
                            List<Frontend> frontends, Map<String, InetSocketAddress> bound, DnsResponder dns,
                            InetSocketAddress dnsAddress, Map<String, Director> directors) {

        static Snapshot empty(FerryConfig config) {
            return new Snapshot(config, Map.of(), Map.of(), List.of(), Map.of(), null, null, Map.of());
        }
    }

    private final Transport transport;
    private final SwitchableAccessLog accessLog = new SwitchableAccessLog();
    private final FrontendFactory frontendFactory;
    /** Health counters per backend name: they outlive the checks a reload restarts, so counts only ever grow. */
    private final Map<String, HealthStats> healthStats = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * The control thread: health checks, ejections, slow start, feedback and DNS discovery decide and rebuild
     * backends here, off the I/O loops.
     */
    private final EventExecutor control = new DefaultEventExecutor(new DefaultThreadFactory("ferry-control", true));
    /** Failed TLS handshakes per frontend name: they outlive a reload that reloads the certificates. */
    private final Map<String, TlsHandshakeFailures> tlsFailures = new java.util.concurrent.ConcurrentHashMap<>();
    /** The TLS terminator of each frontend with {@code tls:}, by name: a reload swaps new certificates into it. */
    private final Map<String, TlsTerminator> terminators = new java.util.concurrent.ConcurrentHashMap<>();
    /** Failed TLS handshakes to servers per backend name: they outlive the reloads that reload the files. */
    private final Map<String, UpstreamTlsFailures> upstreamTlsFailures = new java.util.concurrent.ConcurrentHashMap<>();
    private final DirectorOpener directorOpener;
    private final long startedNanos = System.nanoTime();
    private volatile Snapshot state;
    /** Frontends taken out by a reload: no longer listening, their connections still draining; dropped once drained. */
    private final RetiredFrontends retired = new RetiredFrontends();
    /** How often retired frontends are looked at (on the control thread) while any is draining. */
    private static final long RETIRED_SWEEP_MILLIS = 1000;
    private final AtomicBoolean sweepScheduled = new AtomicBoolean();
    private boolean stopped;

    public Balancer(FerryConfig config, int threads) {
        this(config, threads, true);
    }

    /** @param preferEpoll false runs on Netty's NIO transport even where epoll is available (tests of both) */
    public Balancer(FerryConfig config, int threads, boolean preferEpoll) {
        this(config, threads, preferEpoll, DirectorOpener.TUN);
    }

    /** @param directorOpener how each director's device is opened (Ferry: {@link DirectorOpener#TUN}) */
    public Balancer(FerryConfig config, int threads, boolean preferEpoll, DirectorOpener directorOpener) {
        this.transport = new Transport(threads, preferEpoll);
        this.frontendFactory = new FrontendFactory(transport, accessLog);
        this.state = Snapshot.empty(config);
        this.directorOpener = directorOpener;
    }

    /**
     * Builds every backend and binds every frontend. On failure, whatever was started is stopped again.
     *
     * @throws BindException when a listen address is in use or cannot be assigned
     * @throws ConfigException when the configuration asks for a feature this version does not have
     */
    public synchronized void start() throws BindException, ConfigException {
        FerryConfig config = state.config();
        Map<String, Backend> backends = new LinkedHashMap<>();
        Map<String, BackendWatch> watches = new LinkedHashMap<>();
        List<Frontend> frontends = new ArrayList<>();
        Map<String, InetSocketAddress> bound = new LinkedHashMap<>();
        DnsResponder dns = null;
        Map<String, Director> directors = Map.of();
        try {
            accessLog.switchTo(openAccessLog(config));
            for (BackendConfig bc : config.backends()) {
                backends.put(bc.name(), new Backend(bc));
                backends.get(bc.name()).setTls(loadBackendTls(config, bc, upstreamTlsFailures(bc.name())));
            }
            backends.values().forEach(b -> watches.put(b.name(), watch(b)));
            for (FrontendConfig fc : config.frontends()) {
                Frontend frontend = create(fc, backends, config);
                frontends.add(frontend);
                bound.put(fc.name(), frontend.start());
            }
            if (config.dns().isPresent()) {
                dns = new DnsResponder(config.dns().get(), backends, transport);
                dns.start();
            }
            directors = openDirectors(config.directors(), backends);
            directors.values().forEach(Director::start);
        } catch (BindException | ConfigException | RuntimeException e) {
            frontends.forEach(Frontend::stopAccepting);
            if (dns != null) {
                dns.stop();
            }
            closeDirectors(directors.values());
            watches.values().forEach(BackendWatch::stop);
            accessLog.close();
            control.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            transport.close();
            stopped = true;
            throw e;
        }
        state = new Snapshot(config, Map.copyOf(backends), Collections.unmodifiableMap(watches), List.copyOf(frontends),
                Collections.unmodifiableMap(bound), dns, dns == null ? null : dns.address(), directors);
        DescriptorBudget budget = DescriptorBudget.of(config);
        if (budget.enough()) {
            log.info(budget.describe());
        } else {
            log.warn(budget.describe());
        }
    }

    private Frontend create(FrontendConfig fc, Map<String, Backend> backends, FerryConfig config)
            throws ConfigException {
        Optional<TlsTerminator> tls = Optional.empty();
        if (fc.tls().isPresent()) {
            tls = Optional.of(loadTls(config, fc, tlsFailures.computeIfAbsent(fc.name(), TlsHandshakeFailures::new),
                    null));
            terminators.put(fc.name(), tls.get());
        }
        return frontendFactory.create(fc, backends, tls);
    }

    /**
     * Reads a frontend's certificates and keys, as start-up and a reload do (and {@code ferry validate}, through the
     * start-up checks).
     *
     * @param failures where the terminator counts failed handshakes
     * @throws ConfigException placed at the certificate entry's key that is wrong ({@code cert}, {@code key} or
     *                         {@code key_password_file}), naming the files
     */
    public static TlsTerminator loadTls(FerryConfig config, FrontendConfig fc, TlsHandshakeFailures failures)
            throws ConfigException {
        return loadTls(config, fc, failures, null);
    }

    /** @param running the frontend's terminator now, on a reload (its own ticket keys carry on); else null */
    private static TlsTerminator loadTls(FerryConfig config, FrontendConfig fc, TlsHandshakeFailures failures,
                                         TlsTerminator running) throws ConfigException {
        String at = "frontends[" + config.frontends().indexOf(fc) + "].tls";
        try {
            List<String> alpn = fc.options() instanceof HttpOptions http
                    ? http.protocols().stream().map(HttpProtocol::key).toList() : List.of();
            return TlsTerminator.load(fc.tls().orElseThrow(), alpn, TlsTerminator.defaultProvider(), failures,
                    running);
        } catch (TlsFileException e) {
            throw new ConfigException(List.of(config.problem(at + "." + e.path(), e.getMessage())));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(List.of(config.problem(at, e.getMessage())));
        }
    }

    /**
     * Reads the files of a backend's {@code tls:} (and its servers'), as start-up and every reload do (and
     * {@code ferry validate}, through the start-up checks).
     *
     * @throws ConfigException placed at the key whose file cannot be used ({@code backends[0].tls.ca},
     *                         {@code backends[0].servers[1].tls.client_cert.key}, ...)
     */
    public static BackendTls loadBackendTls(FerryConfig config, BackendConfig bc, UpstreamTlsFailures failures)
            throws ConfigException {
        try {
            return BackendTls.load(bc, TlsTerminator.defaultProvider(), failures);
        } catch (BackendTls.FileProblem e) {
            throw new ConfigException(List.of(config.problem("backends[" + config.backends().indexOf(bc) + "]."
                    + e.path(), e.getMessage())));
        }
    }

    private UpstreamTlsFailures upstreamTlsFailures(String backend) {
        return upstreamTlsFailures.computeIfAbsent(backend, UpstreamTlsFailures::new);
    }

    /** Failed TLS handshakes to servers by backend name, for the backends that speak TLS to servers now. */
    public Map<String, UpstreamTlsFailures> upstreamTlsFailures() {
        Map<String, UpstreamTlsFailures> now = new LinkedHashMap<>();
        Snapshot s = state;
        for (BackendConfig bc : s.config().backends()) {
            Backend b = s.backends().get(bc.name());
            if (b != null && b.tls().any()) {
                now.put(bc.name(), b.tls().failures());
            }
        }
        return now;
    }

    /** Failed TLS handshakes by frontend name, for the frontends that have {@code tls:} now. */
    public Map<String, TlsHandshakeFailures> tlsHandshakeFailures() {
        Map<String, TlsHandshakeFailures> now = new LinkedHashMap<>();
        for (FrontendConfig fc : state.config().frontends()) {
            TlsHandshakeFailures f = tlsFailures.get(fc.name());
            if (fc.tls().isPresent() && f != null) {
                now.put(fc.name(), f);
            }
        }
        return now;
    }

    /** The certificates each frontend with {@code tls:} serves now, by frontend name in the file's order. */
    public Map<String, List<CertificateInfo>> tlsCertificates() {
        Map<String, List<CertificateInfo>> now = new LinkedHashMap<>();
        for (FrontendConfig fc : state.config().frontends()) {
            TlsTerminator t = terminators.get(fc.name());
            if (fc.tls().isPresent() && t != null) {
                now.put(fc.name(), t.certificates());
            }
        }
        return now;
    }

    /** Starts the discovery, health checks, outlier ejection, slow start and dynamic feedback a backend asks for. */
    private BackendWatch watch(Backend b) {
        return BackendWatch.start(b, transport, control, healthStats.computeIfAbsent(b.name(), n -> new HealthStats()));
    }

    /**
     * Opens the device of every director in {@code configs} (not started); on failure the ones opened are closed.
     *
     * @throws dev.ferry.director.DeviceUnavailableException when a device cannot be opened
     */
    private Map<String, Director> openDirectors(List<DirectorConfig> configs, Map<String, Backend> backends) {
        Map<String, Director> opened = new LinkedHashMap<>();
        try {
            for (DirectorConfig dc : configs) {
                opened.put(dc.name(), directorOpener.open(dc, backends));
            }
        } catch (RuntimeException e) {
            closeDirectors(opened.values());
            throw e;
        }
        return Collections.unmodifiableMap(opened);
    }

    private static void closeDirectors(Collection<Director> ds) {
        ds.forEach(Director::close);
    }

    /** The running directors by name, in file order. */
    public Map<String, Director> directors() {
        return state.directors();
    }

    /** The service discovery of each backend whose servers are found by DNS, by backend name. */
    public Map<String, DnsDiscovery> discoveries() {
        Map<String, DnsDiscovery> out = new LinkedHashMap<>();
        state.watches().forEach((name, w) -> w.discovery().ifPresent(d -> out.put(name, d)));
        return out;
    }

    /** The DNS responder, when the configuration has a {@code dns:} section. */
    public Optional<DnsResponder> dns() {
        return Optional.ofNullable(state.dns());
    }

    /** The address the DNS responder answers on (UDP and TCP), when there is one. */
    public Optional<InetSocketAddress> dnsAddress() {
        return Optional.ofNullable(state.dnsAddress());
    }

    /** The health checking of each backend (active checks, outlier ejection, slow start), by backend name. */
    public Map<String, BackendHealth> health() {
        Map<String, BackendHealth> out = new LinkedHashMap<>();
        state.watches().forEach((name, w) -> out.put(name, w.health()));
        return out;
    }

    /** The dynamic feedback of each backend that has it, by backend name. */
    public Map<String, FeedbackController> feedback() {
        Map<String, FeedbackController> out = new LinkedHashMap<>();
        state.watches().forEach((name, w) -> w.feedback().ifPresent(f -> out.put(name, f)));
        return out;
    }

    private static AccessLog openAccessLog(FerryConfig config) throws ConfigException {
        if (config.accessLog().isEmpty()) {
            return AccessLog.NONE;
        }
        Optional<ConfigProblem> problem = accessLogProblem(config);
        if (problem.isPresent()) {
            throw new ConfigException(List.of(problem.get()));
        }
        try {
            return AsyncAccessLog.open(config.accessLog().get());
        } catch (IOException e) {
            throw new ConfigException(List.of(config.problem("access_log.path",
                    "cannot open " + config.accessLog().get().path().map(Object::toString).orElse("stdout")
                            + " for appending: " + e.getMessage())));
        }
    }

    /** Why the access log of {@code config} could not be opened, found without opening it. */
    public static Optional<ConfigProblem> accessLogProblem(FerryConfig config) {
        return config.accessLog().flatMap(AsyncAccessLog::problem).map(m -> config.problem("access_log.path", m));
    }

    /**
     * Hot reload: applies {@code next} without dropping a connection. Listeners whose address, mode and accept
     * settings stay keep their sockets; backends and servers that stay keep their counters, health and connections;
     * removed servers and frontends drain (no new connections, live ones carry on). New listeners are bound first: if
     * one cannot be, nothing changes.
     *
     * @return what changed, in words for the log and the admin API
     * @throws ConfigException when {@code next} asks for what this version cannot do, or changes a listener in a way
     *                         that needs its socket closed and re-bound on the same address
     * @throws BindException   when a new listen address is in use (nothing was changed)
     */
    public synchronized ReloadReport reload(FerryConfig next) throws ConfigException, BindException {
        if (stopped) {
            throw new IllegalStateException("stopped");
        }
        Snapshot now = state;
        Map<String, Integer> boundPorts = new LinkedHashMap<>();
        now.bound().forEach((name, address) -> boundPorts.put(name, address == null ? 0 : address.getPort()));
        ReloadPlan plan = ReloadPlan.of(now.config(), boundPorts,
                now.dnsAddress() == null ? 0 : now.dnsAddress().getPort(), next);
        if (!plan.refusals().isEmpty()) {
            throw new ConfigException(plan.refusals());
        }
        Map<String, Frontend> current = new LinkedHashMap<>();
        now.frontends().forEach(f -> current.put(f.name(), f));

        // 1. Backends: new ones are built aside; existing ones are reconfigured only after every bind below succeeded.
        Map<String, Backend> backends = new LinkedHashMap<>();
        // TLS files are read again on every reload (renewed certificates): a file that cannot be used changes nothing.
        Map<String, BackendTls> nextTls = new LinkedHashMap<>();
        for (ReloadPlan.BackendStep step : plan.backends()) {
            nextTls.put(step.config().name(), loadBackendTls(next, step.config(),
                    upstreamTlsFailures(step.config().name())));
        }
        for (ReloadPlan.BackendStep step : plan.backends()) {
            Backend existing = now.backends().get(step.config().name());
            backends.put(step.config().name(), existing != null ? existing : new Backend(step.config()));
            if (existing == null) {
                backends.get(step.config().name()).setTls(nextTls.get(step.config().name()));
            }
        }

        // 2. What binds or opens comes first, so that a failure leaves everything as it was: the access log, new
        // listeners, a new or moved DNS responder, new directors' devices.
        AccessLog nextLog = plan.accessLogChanged() ? openAccessLog(next) : null;
        Map<String, Frontend> started = new LinkedHashMap<>();
        Map<String, InetSocketAddress> startedAt = new LinkedHashMap<>();
        DnsResponder freshDns = null;
        Map<String, Director> freshDirectors;
        Map<String, TlsTerminator> freshTls = new LinkedHashMap<>();
        try {
            // Kept listeners with tls: their files are read again (a renewed certificate under the same name).
            for (ReloadPlan.FrontendStep step : plan.frontends()) {
                FrontendConfig fc = step.config();
                if (step.action() == ReloadPlan.Action.KEEP && fc.tls().isPresent()) {
                    freshTls.put(fc.name(), loadTls(next, fc, tlsFailures.computeIfAbsent(fc.name(),
                            TlsHandshakeFailures::new), terminators.get(fc.name())));
                }
            }
            for (ReloadPlan.FrontendStep step : plan.listenersToStart()) {
                Frontend fresh = create(step.config(), backends, next);
                startedAt.put(step.config().name(), fresh.start());
                started.put(step.config().name(), fresh);
            }
            if (plan.dns().action() == ReloadPlan.DnsAction.START) {
                freshDns = new DnsResponder(next.dns().orElseThrow(), backends, transport);
                freshDns.start();
            }
            freshDirectors = openDirectors(plan.directors().stream()
                    .filter(d -> d.action() == ReloadPlan.Action.START).map(ReloadPlan.DirectorStep::config)
                    .toList(), backends);
        } catch (BindException | ConfigException | RuntimeException e) {
            started.values().forEach(Frontend::stopAccepting);
            if (freshDns != null) {
                freshDns.stop();
            }
            if (nextLog != null) {
                nextLog.close();
            }
            throw e;
        }

        // 3. Commit: reconfigure what changed, swap in what is new, retire what went.
        ReloadReport report = new ReloadReport();
        Map<String, BackendWatch> watches = new LinkedHashMap<>();
        if (nextLog != null) {
            accessLog.switchTo(nextLog);
            report.add("access log: " + next.accessLog().map(a -> a.path().map(Object::toString).orElse("stdout"))
                    .orElse("off"));
        }
        for (ReloadPlan.BackendStep step : plan.backends()) {
            BackendConfig bc = step.config();
            Backend b = backends.get(bc.name());
            b.setTls(nextTls.get(bc.name()));
            switch (step.action()) {
                case ADD -> {
                    report.add("backend " + bc.name() + ": added");
                    watches.put(bc.name(), watch(b));
                }
                case UPDATE -> {
                    // Checks restart with the new settings; servers keep their health until the checks say otherwise.
                    now.watches().get(bc.name()).stop();
                    b.reconfigure(bc);
                    report.add("backend " + bc.name() + ": updated" + (step.changes().isEmpty() ? ""
                            : " (" + String.join(", ", step.changes()) + ")"));
                    watches.put(bc.name(), watch(b));
                }
                case KEEP -> {
                    // The file did not change it: its checks, discovery, slow start and feedback carry on where they
                    // are. The file is still applied, so servers and weights changed through the admin API go back
                    // to what it says, as on any reload; a server that comes back joins the running checks.
                    b.reconfigure(bc);
                    watches.put(bc.name(), now.watches().get(bc.name()));
                }
            }
        }
        for (String name : plan.removedBackends()) {
            now.watches().get(name).stop();
            healthStats.remove(name);
            report.add("backend " + name + ": removed (its connections drain)");
        }
        List<Frontend> frontends = new ArrayList<>();
        Map<String, InetSocketAddress> bound = new LinkedHashMap<>();
        for (ReloadPlan.FrontendStep step : plan.frontends()) {
            FrontendConfig fc = step.config();
            if (step.action() == ReloadPlan.Action.KEEP) {
                Frontend kept = current.get(fc.name());
                if (!step.changes().isEmpty()) {
                    report.add("frontend " + fc.name() + ": updated (" + String.join(", ", step.changes()) + ")");
                }
                kept.reconfigure(fc, backends);
                TlsTerminator freshCertificates = freshTls.get(fc.name());
                if (freshCertificates != null && terminators.get(fc.name()).takeOver(freshCertificates)) {
                    report.add("frontend " + fc.name() + ": TLS certificates and settings reloaded (new handshakes "
                            + "use them, live connections carry on)");
                }
                frontends.add(kept);
                bound.put(fc.name(), now.bound().get(fc.name()));
                continue;
            }
            Frontend fresh = started.get(fc.name());
            // Built before the backends took their new settings (timeouts, keepalive): take them now.
            fresh.reconfigure(fc, backends);
            frontends.add(fresh);
            bound.put(fc.name(), startedAt.get(fc.name()));
            if (step.action() == ReloadPlan.Action.MOVE) {
                retire(current.get(fc.name()));
                report.add("frontend " + fc.name() + ": moved to " + fc.listen());
            } else {
                report.add("frontend " + fc.name() + ": added on " + fc.listen());
            }
        }
        for (String name : plan.removedFrontends()) {
            retire(current.get(name));
            terminators.remove(name);
            report.add("frontend " + name + ": removed (its connections drain)");
        }
        DnsResponder dns = now.dns();
        switch (plan.dns().action()) {
            case KEEP -> {
                if (!plan.dns().changes().isEmpty()) {
                    report.add("dns: updated (" + String.join(", ", plan.dns().changes()) + ")");
                }
                dns.reconfigure(next.dns().orElseThrow(), backends);
            }
            case START -> {
                if (dns != null) {
                    dns.stop();
                }
                dns = freshDns;
                report.add("dns: listening on " + next.dns().orElseThrow().listen());
            }
            case STOP -> {
                dns.stop();
                dns = null;
                report.add("dns: stopped");
            }
            case NONE -> {
            }
        }
        Map<String, Director> nextDirectors = new LinkedHashMap<>();
        for (ReloadPlan.DirectorStep step : plan.directors()) {
            DirectorConfig dc = step.config();
            if (step.action() == ReloadPlan.Action.KEEP) {
                Director kept = now.directors().get(dc.name());
                if (!step.changes().isEmpty()) {
                    report.add("director " + dc.name() + ": updated (" + String.join(", ", step.changes()) + ")");
                }
                kept.reconfigure(dc, backends);
                nextDirectors.put(dc.name(), kept);
            } else {
                Director fresh = freshDirectors.get(dc.name());
                fresh.start();
                nextDirectors.put(dc.name(), fresh);
                report.add("director " + dc.name() + ": added on device " + dc.device());
            }
        }
        for (String name : plan.removedDirectors()) {
            now.directors().get(name).close();
            report.add("director " + name + ": removed (its tracked connections end with it)");
        }
        state = new Snapshot(next, Map.copyOf(backends), Collections.unmodifiableMap(watches), List.copyOf(frontends),
                Collections.unmodifiableMap(bound), dns, dns == null ? null : dns.address(),
                Collections.unmodifiableMap(nextDirectors));
        return report;
    }

    private void retire(Frontend frontend) {
        frontend.stopAccepting();
        retired.add(frontend);
        scheduleRetiredSweep();
    }

    /**
     * Looks at the retired frontends every second, on the control thread, while any is still draining. Takes no
     * lock of this balancer: {@link #stop} holds it while it waits for the control thread to end.
     */
    private void scheduleRetiredSweep() {
        if (sweepScheduled.compareAndSet(false, true)) {
            try {
                control.schedule(this::sweepRetired, RETIRED_SWEEP_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopping) {
                sweepScheduled.set(false);
            }
        }
    }

    private void sweepRetired() {
        sweepScheduled.set(false);
        if (!control.isShuttingDown() && retired.sweep() > 0) {
            scheduleRetiredSweep();
        }
    }

    /**
     * The frontends a reload moved or removed that still have live connections (each is dropped once its last
     * connection ended), oldest first.
     */
    public List<Frontend> retiredFrontends() {
        return retired.list();
    }

    /**
     * Reopens the access log file by its name (log rotation: SIGUSR1, as nginx; and every reload). Returns at once;
     * any thread.
     */
    public void reopenAccessLog() {
        accessLog.reopen();
    }

    public FerryConfig config() {
        return state.config();
    }

    public Transport transport() {
        return transport;
    }

    /** Time since this balancer was created. */
    public Duration uptime() {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    /** The current backends by name, in configuration order. */
    public Map<String, Backend> backends() {
        Map<String, Backend> ordered = new LinkedHashMap<>();
        Snapshot s = state;
        s.config().backends().forEach(bc -> ordered.put(bc.name(), s.backends().get(bc.name())));
        return ordered;
    }

    /** The current frontends, in configuration order. */
    public List<Frontend> frontends() {
        return state.frontends();
    }

    /** The address each frontend is bound to, by frontend name, in configuration order. */
    public Map<String, InetSocketAddress> boundAddresses() {
        return state.bound();
    }

    public InetSocketAddress address(String frontend) {
        return state.bound().get(frontend);
    }

    /** Client connections open now, over all frontends, including those retired by a reload and still draining. */
    public int activeConnections() {
        return state.frontends().stream().mapToInt(f -> f.stats().active()).sum() + retired.activeConnections();
    }

    /**
     * Stops accepting, waits up to {@code grace} for live connections to finish, then closes what is left and shuts
     * the event loops down.
     *
     * @return the number of connections that had to be closed when the grace period ran out
     */
    public synchronized int stop(Duration grace) {
        if (stopped) {
            return 0;
        }
        state.frontends().forEach(Frontend::stopAccepting);
        long deadline = System.nanoTime() + grace.toNanos();
        int live = activeConnections();
        if (live > 0) {
            log.info("waiting up to {} for {} live connection(s) to finish", format(grace), live);
        }
        while ((live = activeConnections()) > 0 && System.nanoTime() < deadline) {
            try {
                TimeUnit.MILLISECONDS.sleep(20);
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
    public synchronized void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        Snapshot last = state;
        List<Frontend> all = new ArrayList<>(last.frontends());
        all.addAll(retired.takeAll());
        if (last.dns() != null) {
            last.dns().stop();
        }
        closeDirectors(last.directors().values());
        all.forEach(Frontend::stopAccepting);
        all.forEach(Frontend::closeAll);
        last.watches().values().forEach(BackendWatch::stop);
        control.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        transport.close();
        accessLog.close();
    }
}
