package dev.ferry.admin;

import dev.ferry.backend.Backend;
import dev.ferry.backend.BackendQueue;
import dev.ferry.backend.RequestStats;
import dev.ferry.backend.Server;
import dev.ferry.backend.StickinessStats;
import dev.ferry.config.DirectorConfig;
import dev.ferry.health.BackendHealth;
import dev.ferry.dns.DnsStats;
import dev.ferry.director.Director;
import dev.ferry.director.DirectorStats;
import dev.ferry.director.DropReason;
import dev.ferry.director.VirtualService;
import dev.ferry.director.sync.SyncStats;
import dev.ferry.director.table.TcpState;
import dev.ferry.proxy.Frontend;
import dev.ferry.proxy.http.Http2Gauges;
import dev.ferry.proxy.http.Http2Stats;
import dev.ferry.proxy.http.HttpFrontend;
import io.netty.handler.codec.http2.Http2Error;
import dev.ferry.proxy.http.RequestsByProtocol;
import dev.ferry.proxy.http.RouteAnswers;
import dev.ferry.proxy.http.LingeringStats;
import dev.ferry.proxy.udp.UdpFrontend;
import dev.ferry.proxy.udp.UdpStats;
import dev.ferry.runtime.Balancer;
import dev.ferry.transport.CertificateInfo;
import dev.ferry.transport.TlsHandshakeFailures;
import dev.ferry.transport.UpstreamTlsFailures;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * Prometheus metrics with the names of product.md, through Micrometer. Every Ferry meter is a function of a counter
 * the proxy keeps anyway (LongAdders and atomics on frontends and servers), read at scrape time, so metrics add no
 * work to the hot path. Before each scrape the meter set is synchronised with the balancer's current frontends and
 * servers (a reload or the admin API may have added or removed some).
 *
 * <p>Threading: {@link #scrape()} is synchronised; call it from any thread.
 */
public final class MetricsExporter implements AutoCloseable {
    private final Balancer balancer;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** Ferry's meters by the object they read (a Frontend or a Server), so they can go when it goes. */
    private final Map<Object, List<Meter>> meters = new HashMap<>();
    private final JvmGcMetrics gc = new JvmGcMetrics();

    public MetricsExporter(Balancer balancer) {
        this.balancer = balancer;
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        gc.bindTo(registry);
        registry.getPrometheusRegistry().register(new RequestDurationCollector(balancer));
        registry.getPrometheusRegistry().register(new QueueMeters.WaitCollector(balancer));
        registry.getPrometheusRegistry().register(new AdmissionCollector(balancer));
        FunctionCounter.builder("ferry.bytes", balancer, b -> sum(b, true)).tag("direction", "in")
                .description("bytes received from clients").register(registry);
        FunctionCounter.builder("ferry.bytes", balancer, b -> sum(b, false)).tag("direction", "out")
                .description("bytes sent to clients").register(registry);
    }

    private static double sum(Balancer b, boolean in) {
        return b.frontends().stream()
                .mapToLong(f -> in ? f.stats().bytesFromClients() : f.stats().bytesToClients()).sum();
    }

    /** The registry, for meters kept elsewhere ({@link ClusterMeters}). */
    PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every meter. */
    public synchronized String scrape() {
        sync();
        return registry.scrape();
    }

    private void sync() {
        Set<Object> live = new HashSet<>();
        for (Frontend f : balancer.frontends()) {
            live.add(f);
            meters.computeIfAbsent(f, k -> frontendMeters(f));
        }
        for (Backend b : balancer.backends().values()) {
            for (Server s : b.servers()) {
                live.add(s);
                meters.computeIfAbsent(s, k -> serverMeters(b.name(), s));
            }
            if (b.affinity().cookie().isPresent() || b.affinity().table().isPresent()) {
                live.add(b.stickiness());
                meters.computeIfAbsent(b.stickiness(), k -> stickinessMeters(b.name(), b.stickiness()));
            }
            BackendQueue queue = b.queue();
            if (queue != null) {
                live.add(queue);
                meters.computeIfAbsent(queue, k -> QueueMeters.of(registry, b.name(), queue));
            }
        }
        balancer.dns().ifPresent(dns -> dns.stats().queriesByZoneAndRcode().forEach((zone, codes) -> codes.keySet()
                .forEach(rcode -> {
                    DnsQueries key = new DnsQueries(dns.stats(), zone, rcode);
                    live.add(key);
                    meters.computeIfAbsent(key, k -> List.of(FunctionCounter.builder("ferry.dns.queries", key,
                                    DnsQueries::count).tags("zone", zone, "rcode", rcode)
                            .description("DNS queries answered, by zone (empty: outside every zone) and result code")
                            .register(registry)));
                })));
        balancer.dns().ifPresent(dns -> {
            live.add(dns.stats());
            meters.computeIfAbsent(dns.stats(), k -> dnsMeters(dns.stats()));
        });
        for (Director d : balancer.directors().values()) {
            live.add(d);
            meters.computeIfAbsent(d, k -> directorMeters(d));
            for (VirtualService vs : d.services()) {
                DirectorService key = new DirectorService(d, vs.index());
                live.add(key);
                meters.computeIfAbsent(key, k -> directorServiceMeters(key));
            }
        }
        balancer.tlsHandshakeFailures().values().forEach(failures -> {
            live.add(failures);
            meters.computeIfAbsent(failures, k -> tlsMeters(failures));
        });
        balancer.tlsCertificates().forEach((frontend, certificates) -> certificates.forEach(c -> {
            ServedCertificate key = new ServedCertificate(frontend, c);
            live.add(key);
            meters.computeIfAbsent(key, k -> List.of(Gauge.builder("ferry.tls.certificate.not.after", c,
                            x -> x.notAfter().getEpochSecond()).baseUnit("seconds")
                    .tags("frontend", frontend, "certificate", c.file(), "index", Integer.toString(c.index()))
                    .description("when a certificate a TLS frontend serves expires (Unix time)")
                    .register(registry)));
        }));
        balancer.upstreamTlsFailures().forEach((backend, failures) -> balancer.backends().get(backend).servers()
                .forEach(s -> {
                    UpstreamTls key = new UpstreamTls(failures, s.name());
                    live.add(key);
                    meters.computeIfAbsent(key, k -> upstreamTlsMeters(key));
                }));
        meters.entrySet().removeIf(e -> {
            if (live.contains(e.getKey())) {
                return false;
            }
            e.getValue().forEach(registry::remove);
            return true;
        });
    }

    /** One virtual service of a director (its meters go when a reload removes the service or the director). */
    private record DirectorService(Director director, int index) {
    }

    /** A director's packet and drop counters (README, Director). */
    private List<Meter> directorMeters(Director d) {
        String name = d.name();
        DirectorStats s = d.stats();
        List<Meter> m = new ArrayList<>();
        m.add(FunctionCounter.builder("ferry.director.packets", s, DirectorStats::inboundPackets)
                .tags("director", name, "direction", "in")
                .description("packets forwarded: in = client to server, out = server to client, passed = of no "
                        + "virtual service, routed on unchanged").register(registry));
        m.add(FunctionCounter.builder("ferry.director.packets", s, DirectorStats::outboundPackets)
                .tags("director", name, "direction", "out")
                .description("packets forwarded: in = client to server, out = server to client, passed = of no "
                        + "virtual service, routed on unchanged").register(registry));
        m.add(FunctionCounter.builder("ferry.director.packets", s, DirectorStats::passedPackets)
                .tags("director", name, "direction", "passed")
                .description("packets forwarded: in = client to server, out = server to client, passed = of no "
                        + "virtual service, routed on unchanged").register(registry));
        m.add(FunctionCounter.builder("ferry.director.handed.over", s, DirectorStats::handedOver)
                .tags("director", name)
                .description("packets a worker read for a connection another worker tracks, and handed to it")
                .register(registry));
        m.add(FunctionCounter.builder("ferry.director.bytes", s, DirectorStats::inboundBytes)
                .tags("director", name, "direction", "in").description("IP bytes forwarded").register(registry));
        m.add(FunctionCounter.builder("ferry.director.bytes", s, DirectorStats::outboundBytes)
                .tags("director", name, "direction", "out").description("IP bytes forwarded").register(registry));
        for (DropReason r : DropReason.values()) {
            m.add(FunctionCounter.builder("ferry.director.drops", s, x -> x.drops(r))
                    .tags("director", name, "reason", r.label())
                    .description("packets the director dropped, by reason").register(registry));
        }
        m.add(FunctionCounter.builder("ferry.director.expired", d, x -> x.counts().expired())
                .tag("director", name).description("tracked connections removed by their state's timeout")
                .register(registry));
        m.add(FunctionCounter.builder("ferry.director.defense.entries.dropped", s, DirectorStats::entriesDropped)
                .tag("director", name).description("half-open entries the SYN-flood defence (drop_entry) removed")
                .register(registry));
        for (String strategy : List.of("drop_entry", "drop_packet", "secure_tcp")) {
            m.add(Gauge.builder("ferry.director.defense.active", d, x -> x.defenseActive().contains(strategy) ? 1 : 0)
                    .tags("director", name, "strategy", strategy)
                    .description("1 while a SYN-flood defence strategy is in force").register(registry));
        }
        m.add(Gauge.builder("ferry.director.persistence.templates", d, Director::templateCount)
                .tag("director", name).description("persistence templates alive (ipvsadm -Lnc's entries with "
                        + "client port 0)").register(registry));
        m.add(Gauge.builder("ferry.director.table.limit", d, x -> x.counts().limit())
                .tag("director", name).description("the connection table's size limit (max_connections)")
                .strongReference(true).register(registry));
        if (d.config().sync().isPresent()) {
            syncMeters(d, name, m);
        }
        return m;
    }

    /** Connection sync (README, Director): entries and datagrams by direction and result. */
    private void syncMeters(Director d, String name, List<Meter> m) {
        SyncStats s = d.syncStats();
        Map<String, ToDoubleFunction<SyncStats>> entries =
                new LinkedHashMap<>();
        Map<String, ToDoubleFunction<SyncStats>> datagrams =
                new LinkedHashMap<>();
        if (d.config().sync().orElseThrow().role() == DirectorConfig.Sync.Role.ACTIVE) {
            entries.put("sent sent", x -> x.sentEntries());
            entries.put("sent dropped", x -> x.droppedEntries());
            datagrams.put("sent sent", x -> x.sentDatagrams());
            datagrams.put("sent dropped", x -> x.droppedDatagrams());
        } else {
            entries.put("received applied", x -> x.applied());
            entries.put("received rejected", x -> x.rejected());
            datagrams.put("received ok", x -> x.receivedDatagrams() - x.malformedDatagrams() - x.otherIdDatagrams());
            datagrams.put("received malformed", x -> x.malformedDatagrams());
            datagrams.put("received other_id", x -> x.otherIdDatagrams());
        }
        entries.forEach((key, f) -> m.add(FunctionCounter.builder("ferry.director.sync", s, f)
                .tags("director", name, "direction", key.split(" ")[0], "result", key.split(" ")[1])
                .description("connection sync entries, sent to or received from the peer director, by result")
                .register(registry)));
        datagrams.forEach((key, f) -> m.add(FunctionCounter.builder("ferry.director.sync.datagrams", s, f)
                .tags("director", name, "direction", key.split(" ")[0], "result", key.split(" ")[1])
                .description("connection sync datagrams, sent to or received from the peer director, by result")
                .register(registry)));
    }

    /** The entries of one virtual service per IPVS state ({@code UDP} for UDP entries). */
    private List<Meter> directorServiceMeters(DirectorService key) {
        Director d = key.director();
        String service = d.label(key.index());
        List<Meter> m = new ArrayList<>();
        if (service.startsWith("tcp ")) {
            for (TcpState state : TcpState.values()) {
                m.add(Gauge.builder("ferry.director.connections", d, x -> x.counts().inState(key.index(), state))
                        .tags("director", d.name(), "service", service, "state", state.name())
                        .description("tracked connections by virtual service and IPVS state").strongReference(true)
                        .register(registry));
            }
        } else {
            m.add(Gauge.builder("ferry.director.connections", d, x -> x.counts().udp(key.index()))
                    .tags("director", d.name(), "service", service, "state", "UDP")
                    .description("tracked connections by virtual service and IPVS state").strongReference(true)
                    .register(registry));
        }
        return m;
    }

    /** One DNS counter: the responder's queries of a zone answered with a result code. */
    private record DnsQueries(DnsStats stats, String zone, String rcode) {
        double count() {
            return stats.queries(zone, rcode);
        }
    }

    /** The responder's event counters (README, DNS: truncated, fail-open, dropped, TCP). */
    private List<Meter> dnsMeters(DnsStats stats) {
        return List.of(
                FunctionCounter.builder("ferry.dns.truncated", stats, DnsStats::truncated)
                        .description("UDP answers sent with the TC bit (too big for the client's payload size)")
                        .register(registry),
                FunctionCounter.builder("ferry.dns.fail.open", stats, DnsStats::allServersDown)
                        .description("answers of backend records made while no server was up (every server listed)")
                        .register(registry),
                FunctionCounter.builder("ferry.dns.dropped", stats, DnsStats::dropped)
                        .description("datagrams dropped unanswered (shorter than a header, or responses)")
                        .register(registry),
                FunctionCounter.builder("ferry.dns.tcp.queries", stats, DnsStats::tcpQueries)
                        .description("queries received over TCP").register(registry));
    }

    /** A UDP frontend's own counters (README, UDP). */
    private List<Meter> udpMeters(String name, UdpStats u) {
        List<Meter> m = new ArrayList<>();
        m.add(udpCounter("ferry.udp.datagrams", name, u, UdpStats::datagramsFromClients, "direction", "in",
                "datagrams received from clients"));
        m.add(udpCounter("ferry.udp.datagrams", name, u, UdpStats::datagramsToClients, "direction", "out",
                "datagrams sent to clients"));
        m.add(udpCounter("ferry.udp.dropped", name, u, UdpStats::tableFull, "reason", "table_full",
                "datagrams dropped: table_full (a new session past max_connections), busy (512 KiB already queued)"));
        m.add(udpCounter("ferry.udp.dropped", name, u, UdpStats::droppedBusy, "reason", "busy",
                "datagrams dropped: table_full (a new session past max_connections), busy (512 KiB already queued)"));
        m.add(FunctionCounter.builder("ferry.udp.sessions.expired", u, UdpStats::sessionsExpired)
                .tag("frontend", name).description("sessions ended by the idle timeout").register(registry));
        m.add(FunctionCounter.builder("ferry.udp.server.unreachable", u, UdpStats::serverUnreachable)
                .tag("frontend", name).description("ICMP port unreachable answers from servers (session mode: the session ended)")
                .register(registry));
        return m;
    }

    private Meter udpCounter(String metric, String frontend, UdpStats u, ToDoubleFunction<UdpStats> f, String key,
                             String value, String description) {
        return FunctionCounter.builder(metric, u, f).tags("frontend", frontend, key, value).description(description)
                .register(registry);
    }

    private List<Meter> frontendMeters(Frontend f) {
        List<Meter> m = new ArrayList<>(commonFrontendMeters(f));
        if (f instanceof UdpFrontend udp) {
            m.addAll(udpMeters(f.name(), udp.udpStats()));
        }
        if (f instanceof HttpFrontend http) {
            m.addAll(lingeringMeters(f.name(), http.lingeringStats()));
            m.addAll(http2Meters(f.name(), http.http2Stats()));
            RequestsByProtocol r = http.requestsByProtocol();
            m.add(FunctionCounter.builder("ferry.http.requests", r, RequestsByProtocol::http1)
                    .tags("frontend", f.name(), "protocol", RequestsByProtocol.HTTP_1_1)
                    .description("request heads received, by the protocol the client spoke").register(registry));
            m.add(FunctionCounter.builder("ferry.http.requests", r, RequestsByProtocol::h2)
                    .tags("frontend", f.name(), "protocol", RequestsByProtocol.H2)
                    .description("request heads received, by the protocol the client spoke").register(registry));
            m.addAll(http2GaugeMeters(f.name(), http.http2Gauges()));
            m.addAll(routeAnswerMeters(f.name(), http.routeAnswers()));
        }
        return m;
    }

    /** An http frontend's requests answered by its routes themselves ({@code redirect:}, {@code return:}). */
    private List<Meter> routeAnswerMeters(String name, RouteAnswers a) {
        String what = "requests a route answered itself (redirect:, return:), by action";
        return List.of(
                FunctionCounter.builder("ferry.http.route.answers", a, RouteAnswers::redirects)
                        .tags("frontend", name, "action", RouteAnswers.REDIRECT).description(what).register(registry),
                FunctionCounter.builder("ferry.http.route.answers", a, RouteAnswers::returns)
                        .tags("frontend", name, "action", RouteAnswers.RETURN).description(what).register(registry));
    }

    /** An http frontend's HTTP/2 client connections and streams open now. */
    private List<Meter> http2GaugeMeters(String name, Http2Gauges g) {
        return List.of(
                Gauge.builder("ferry.http2.active.connections", g, Http2Gauges::connections).tag("frontend", name)
                        .description("HTTP/2 client connections open now (also in ferry_frontend_active_connections)")
                        .strongReference(true).register(registry),
                Gauge.builder("ferry.http2.active.streams", g, Http2Gauges::streams).tag("frontend", name)
                        .description("streams open now on the HTTP/2 client connections").strongReference(true)
                        .register(registry));
    }

    /** An http frontend's HTTP/2 GOAWAY frames sent, RST_STREAM frames both ways and client violations (http.h2). */
    private List<Meter> http2Meters(String name, Http2Stats stats) {
        List<Meter> m = new ArrayList<>();
        for (Http2Error code : Http2Error.values()) {
            m.add(FunctionCounter.builder("ferry.http2.goaway", stats, s -> s.goAways(code))
                    .tags("frontend", name, "code", Http2Stats.label(code))
                    .description("GOAWAY frames sent to HTTP/2 clients, by error code").register(registry));
        }
        m.add(FunctionCounter.builder("ferry.http2.rst", stats, Http2Stats::rstReceived)
                .tags("frontend", name, "direction", "received")
                .description("RST_STREAM frames of HTTP/2 clients, received from them or sent to them")
                .register(registry));
        m.add(FunctionCounter.builder("ferry.http2.rst", stats, Http2Stats::rstSent)
                .tags("frontend", name, "direction", "sent")
                .description("RST_STREAM frames of HTTP/2 clients, received from them or sent to them")
                .register(registry));
        for (String kind : Http2Stats.violationKinds()) {
            m.add(FunctionCounter.builder("ferry.http2.protocol.violations", stats, s -> s.violations(kind))
                    .tags("frontend", name, "kind", kind)
                    .description("HTTP/2 clients' protocol errors and flood-limit breaches (http.h2), by kind")
                    .register(registry));
        }
        return m;
    }

    /** An http frontend's lingering closes (README, http.lingering_close), by how they ended. */
    private List<Meter> lingeringMeters(String name, LingeringStats stats) {
        List<Meter> m = new ArrayList<>();
        for (LingeringStats.Ended how : LingeringStats.Ended.values()) {
            m.add(FunctionCounter.builder("ferry.http.lingering.closes", stats, s -> s.count(how))
                    .tags("frontend", name, "ended", how.label())
                    .description("client connections closed after lingering (reading and dropping what the client "
                            + "still sent), by how the lingering ended").register(registry));
        }
        return m;
    }

    private List<Meter> commonFrontendMeters(Frontend f) {
        String name = f.name();
        return List.of(
                FunctionCounter.builder("ferry.frontend.connections", f, x -> x.stats().accepted())
                        .tag("frontend", name).description("client connections accepted").register(registry),
                Gauge.builder("ferry.frontend.active.connections", f, x -> x.stats().active())
                        .tag("frontend", name).description("client connections open now").strongReference(true)
                        .register(registry),
                FunctionCounter.builder("ferry.frontend.refused", f, x -> x.stats().noServer())
                        .tag("frontend", name).tag("reason", "no_server")
                        .description("client connections reset because no server could take them")
                        .register(registry),
                FunctionCounter.builder("ferry.frontend.refused", f, x -> x.stats().overLimit())
                        .tag("frontend", name).tag("reason", "max_connections")
                        .description("client connections reset past max_connections").register(registry),
                FunctionCounter.builder("ferry.frontend.refused", f, x -> x.stats().badProxyHeaders())
                        .tag("frontend", name).tag("reason", "bad_proxy_header")
                        .description("client connections closed because they did not start with a PROXY header")
                        .register(registry));
    }

    private List<Meter> stickinessMeters(String backend, StickinessStats stats) {
        List<Meter> list = new java.util.ArrayList<>();
        for (StickinessStats.Outcome outcome : StickinessStats.Outcome.values()) {
            list.add(FunctionCounter.builder("ferry.sticky.requests", stats, s -> s.total(outcome))
                    .tags("backend", backend, "outcome", outcome.label())
                    .description("requests of a backend with sticky: or stick:, by where its first try went: the "
                            + "cookie's or the table's server, moved (that server could not take it) or scheduled")
                    .register(registry));
        }
        return list;
    }

    private List<Meter> tlsMeters(TlsHandshakeFailures failures) {
        List<Meter> list = new java.util.ArrayList<>();
        for (TlsHandshakeFailures.Reason reason : TlsHandshakeFailures.Reason.values()) {
            list.add(FunctionCounter.builder("ferry.tls.handshake.failures", failures, f -> f.count(reason))
                    .tags("frontend", failures.frontend(), "reason", reason.label())
                    .description("TLS handshakes with clients that failed, by reason").register(registry));
        }
        return list;
    }

    /** A certificate a frontend serves; a reload that reads another one (or the same file renewed) makes a new key. */
    private record ServedCertificate(String frontend, CertificateInfo certificate) {
    }

    /** The failed TLS handshakes to one server of a backend with {@code tls:}. */
    private record UpstreamTls(UpstreamTlsFailures failures, String server) {
    }

    private List<Meter> upstreamTlsMeters(UpstreamTls key) {
        List<Meter> list = new ArrayList<>();
        for (UpstreamTlsFailures.Reason reason : UpstreamTlsFailures.Reason.values()) {
            list.add(FunctionCounter.builder("ferry.backend.server.tls.handshake.failures", key,
                            k -> k.failures().count(k.server(), reason))
                    .tags("backend", key.failures().backend(), "server", key.server(), "reason", reason.label())
                    .description("TLS handshakes with servers that failed, by reason (each also a connect failure "
                            + "of the server)").register(registry));
        }
        return list;
    }

    private List<Meter> serverMeters(String backend, Server s) {
        List<Meter> m = new ArrayList<>(connectionMeters(backend, s));
        for (String state : StatusReport.STATES) {
            m.add(Gauge.builder("ferry.backend.server.state", s, x -> state.equals(StatusReport.state(x)) ? 1 : 0)
                    .tags("backend", backend, "server", s.name(), "state", state).strongReference(true)
                    .description("1 for the server's state (up, down: failing its health check, ejected: "
                            + "taken out by outlier detection, drain, maint), "
                            + "0 for the others").register(registry));
        }
        for (String codeClass : RequestStats.CLASSES) {
            m.add(FunctionCounter.builder("ferry.backend.server.requests", s, x -> x.requests().count(codeClass))
                    .tags("backend", backend, "server", s.name(), "code_class", codeClass)
                    .description("HTTP requests whose last attempt went to the server, by status class of the "
                            + "response (other: ended without one)").register(registry));
        }
        return m;
    }

    private List<Meter> connectionMeters(String backend, Server s) {
        String server = s.name();
        return List.of(
                Gauge.builder("ferry.backend.server.active.connections", s, Server::active)
                        .tags("backend", backend, "server", server).strongReference(true)
                        .description("connections in data transfer (http: requests in flight)").register(registry),
                Gauge.builder("ferry.backend.server.inactive.connections", s, Server::inactive)
                        .tags("backend", backend, "server", server).strongReference(true)
                        .description("connections connecting, half-closed or idle in a pool").register(registry),
                FunctionCounter.builder("ferry.backend.server.connections", s, Server::totalConnections)
                        .tags("backend", backend, "server", server).description("connections opened to the server")
                        .register(registry),
                FunctionCounter.builder("ferry.backend.server.failures", s, Server::failures)
                        .tags("backend", backend, "server", server)
                        .description("failed connects and connections the server broke").register(registry),
                Gauge.builder("ferry.backend.server.up", s, x -> "up".equals(StatusReport.state(x)) ? 1 : 0)
                        .tags("backend", backend, "server", server).strongReference(true)
                        .description("1 when the server takes new connections").register(registry),
                Gauge.builder("ferry.backend.server.weight", s, Server::configuredWeight)
                        .tags("backend", backend, "server", server, "kind", "configured").strongReference(true)
                        .description("server weight").register(registry),
                Gauge.builder("ferry.backend.server.weight", s, Server::weight)
                        .tags("backend", backend, "server", server, "kind", "effective").strongReference(true)
                        .description("server weight").register(registry),
                FunctionCounter.builder("ferry.health.checks", s, x -> checks(backend, x, true))
                        .tags("backend", backend, "server", server, "result", "pass")
                        .description("active health checks").register(registry),
                FunctionCounter.builder("ferry.health.checks", s, x -> checks(backend, x, false))
                        .tags("backend", backend, "server", server, "result", "fail")
                        .description("active health checks").register(registry));
    }

    private double checks(String backend, Server s, boolean passed) {
        BackendHealth h = balancer.health().get(backend);
        if (h == null) {
            return 0;
        }
        return passed ? h.stats().of(s).checksPassed() : h.stats().of(s).checksFailed();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
