package dev.ferry.admin;

import dev.ferry.backend.Backend;
import dev.ferry.backend.DurationHistogram;
import dev.ferry.backend.RequestStats;
import dev.ferry.backend.Server;
import dev.ferry.backend.ServerState;
import dev.ferry.cluster.ClusterState;
import dev.ferry.config.Addresses;
import dev.ferry.config.Mode;
import dev.ferry.dns.DnsStats;
import dev.ferry.health.BackendHealth;
import dev.ferry.health.ServerHealth;
import dev.ferry.proxy.Frontend;
import dev.ferry.proxy.FrontendStats;
import dev.ferry.proxy.http.Http2Gauges;
import dev.ferry.proxy.http.HttpFrontend;
import dev.ferry.proxy.http.RequestsByProtocol;
import dev.ferry.proxy.udp.UdpFrontend;
import dev.ferry.proxy.udp.UdpStats;
import dev.ferry.runtime.Balancer;
import dev.ferry.transport.CertificateInfo;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The state of every frontend, backend and server as {@code GET /api/v1/status} shows it (JSON, snake_case keys).
 * Built fresh from the live counters on every call.
 */
public record StatusReport(String version, long uptimeSeconds, List<FrontendStatus> frontends,
                           List<BackendStatus> backends, List<RetiredFrontend> retiredFrontends, DnsStatus dns,
                           List<DirectorReport> directors, ClusterState.Report cluster) {

    /** The DNS responder's counters; null without {@code dns:}. */
    public record DnsStatus(String listen, Map<String, Map<String, Long>> queries, long truncated, long failOpen,
                            long dropped, long tcpQueries) {
    }

    /** A udp frontend's own counters (beside the connection counters, where sessions count as connections). */
    public record UdpCounters(long datagramsIn, long datagramsOut, long sessionsExpired, long tableFull,
                              long droppedBusy, long serverUnreachable) {
        static UdpCounters of(UdpStats u) {
            return new UdpCounters(u.datagramsFromClients(), u.datagramsToClients(), u.sessionsExpired(),
                    u.tableFull(), u.droppedBusy(), u.serverUnreachable());
        }
    }

    /** A frontend a reload moved or removed whose connections are still finishing (it goes when they have). */
    public record RetiredFrontend(String name, String mode, int activeConnections) {
    }

    /**
     * One frontend and its counters; {@code requests_total} (http: requests routed to a backend),
     * {@code requests_by_protocol} (http: request heads received, by the protocol the client spoke: {@code http/1.1},
     * {@code h2}), {@code http2} (http) and {@code udp} are null for other modes; {@code tls} is null without
     * {@code tls:}.
     */
    public record FrontendStatus(String name, String mode, String listen, String backend, int activeConnections,
                                 long connectionsTotal, long refusedNoServer, long overLimit, long retries,
                                 long bytesIn, long bytesOut, Long requestsTotal, Map<String, Long> requestsByProtocol,
                                 Http2Status http2, UdpCounters udp, List<AdmissionRule> admission,
                                 TlsStatus tls) {
    }

    /** A TLS frontend's certificates, as served to new handshakes now (read at start or at the last reload). */
    public record TlsStatus(List<CertificateStatus> certificates) {
        static TlsStatus of(List<CertificateInfo> certificates, Instant now) {
            return certificates == null ? null
                    : new TlsStatus(certificates.stream().map(c -> CertificateStatus.of(c, now)).toList());
        }
    }

    /**
     * One certificate: validity as ISO-8601 instants, {@code expires_in_days} (whole days left, negative once it
     * expired: a reload refuses an expired certificate, a running one keeps serving it), the SHA-256 fingerprint.
     */
    public record CertificateStatus(String file, String subject, List<String> names, String issuer, String notBefore,
                                    String notAfter, long expiresInDays, String sha256, boolean ocspStapled) {
        static CertificateStatus of(CertificateInfo c, Instant now) {
            return new CertificateStatus(c.file(), c.subject(), c.names(), c.issuer(), c.notBefore().toString(),
                    c.notAfter().toString(), Math.floorDiv(c.notAfter().getEpochSecond() - now.getEpochSecond(),
                    86_400L), c.sha256(), c.ocspStapled());
        }
    }

    /**
     * One access/rate-limit rule of a frontend ({@code frontend} or {@code routes[N]}): sources refused by its access
     * rules, connections or requests its rate limit let through and refused, and the keys it tracks now.
     */
    public record AdmissionRule(String rule, long denied, long allowed, long limited, int trackedKeys) {
        static List<AdmissionRule> of(dev.ferry.proxy.admission.AdmissionStats stats) {
            long now = System.nanoTime();
            return stats.rules().stream().map(r -> new AdmissionRule(r.rule(), r.deniedCount(), r.allowedCount(),
                    r.limitedCount(), r.trackedKeys(now))).toList();
        }
    }

    /**
     * An http frontend's HTTP/2 client connections open now ({@code active_connections}, also counted in the
     * frontend's {@code active_connections}) and the streams open on them ({@code active_streams}).
     */
    public record Http2Status(long activeConnections, long activeStreams) {
        static Http2Status of(Http2Gauges g) {
            return new Http2Status(g.connections(), g.streams());
        }
    }

    /**
     * One backend: its scheduler and servers in list order; {@code http} when an http frontend routes to it (its
     * servers' {@code requests} then count its traffic better than their connections).
     */
    public record BackendStatus(String name, String scheduler, boolean http, List<ServerStatus> servers,
                                QueueStatus queue) {
    }

    /**
     * A server's HTTP requests: the total, by status class ({@code 1xx}..{@code 5xx}, {@code other} for requests
     * that ended without a status), and how many took up to each bound of {@code duration_le_ms} (not cumulative;
     * the last count is for longer ones).
     */
    public record RequestsStatus(long total, Map<String, Long> byClass, double[] durationLeMs, long[] durationCounts) {
        private static final double[] LE_MS = java.util.Arrays.stream(DurationHistogram.BOUNDS_SECONDS)
                .map(s -> s * 1000).toArray();

        static RequestsStatus of(RequestStats r) {
            Map<String, Long> byClass = new java.util.LinkedHashMap<>();
            long[] counts = r.byClass();
            long total = 0;
            for (int i = 0; i < counts.length; i++) {
                byClass.put(RequestStats.CLASSES.get(i), counts[i]);
                total += counts[i];
            }
            return new RequestsStatus(total, byClass, LE_MS, r.durations().counts());
        }
    }

    /**
     * One server. {@code state} is {@code up}, {@code down} (failing its health check), {@code ejected} (taken out by
     * passive health, {@code outlier}, for {@code ejection_remaining_ms} more; null in other states), {@code drain}
     * or {@code maint}; {@code effective_weight} is what the scheduler uses now. {@code backup}: a {@code backup: true}
     * server; {@code serving}: offered to the scheduler now (a member of the backend's snapshot: for a backup, while
     * no primary is usable).
     */
    public record ServerStatus(String name, String address, String state, Long ejectionRemainingMs,
                               int configuredWeight, int effectiveWeight,
                               int active, int inactive, boolean overloaded, int maxConnections,
                               long connectionsTotal, long failures, long bytesIn, long bytesOut,
                               Double latencyMs, HealthDetail health, RequestsStatus requests, boolean backup,
                               boolean serving) {
    }

    /** What the health checks saw of a server; null when its backend has no checking at all. */
    public record HealthDetail(long checksPassed, long checksFailed, long transitions, long ejections,
                               String lastReason) {
    }

    public static StatusReport of(Balancer balancer, String version) {
        return of(balancer, version, null);
    }

    /** The report, with a {@code cluster} section from {@code cluster} (null: not in a cluster, the section is null). */
    public static StatusReport of(Balancer balancer, String version, ClusterState cluster) {
        List<FrontendStatus> frontends = new ArrayList<>();
        Map<String, List<CertificateInfo>> certificates = balancer.tlsCertificates();
        Instant now = Instant.now();
        for (Frontend f : balancer.frontends()) {
            FrontendStats s = f.stats();
            frontends.add(new FrontendStatus(f.name(), f.config().mode().key(),
                    Addresses.format(balancer.address(f.name())), f.config().backend().orElse(null), s.active(),
                    s.accepted(), s.noServer(), s.overLimit(), s.retries(), s.bytesFromClients(), s.bytesToClients(),
                    f instanceof HttpFrontend http ? requests(http) : null,
                    f instanceof HttpFrontend http ? byProtocol(http) : null,
                    f instanceof HttpFrontend http ? Http2Status.of(http.http2Gauges()) : null,
                    f instanceof UdpFrontend udp ? UdpCounters.of(udp.udpStats()) : null,
                    AdmissionRule.of(f.admissionStats()), TlsStatus.of(certificates.get(f.name()), now)));
        }
        List<BackendStatus> backends = new ArrayList<>();
        for (Backend b : balancer.backends().values()) {
            List<ServerStatus> servers = new ArrayList<>();
            for (Server s : b.servers()) {
                servers.add(server(s, balancer));
            }
            backends.add(new BackendStatus(b.name(), b.config().scheduler().name(), routedByHttp(balancer, b.name()),
                    servers, QueueStatus.of(b.queue())));
        }
        List<RetiredFrontend> retired = new ArrayList<>();
        for (Frontend f : balancer.retiredFrontends()) {
            retired.add(new RetiredFrontend(f.name(), f.config().mode().key(), f.stats().active()));
        }
        DnsStatus dns = balancer.dns().map(d -> {
            DnsStats ds = d.stats();
            return new DnsStatus(balancer.dnsAddress().map(Addresses::format).orElse(null), ds.queriesByZoneAndRcode(),
                    ds.truncated(), ds.allServersDown(), ds.dropped(), ds.tcpQueries());
        }).orElse(null);
        List<DirectorReport> directors = balancer.directors().values().stream().map(DirectorReport::of).toList();
        return new StatusReport(version, balancer.uptime().toSeconds(), frontends, backends, retired, dns, directors,
                cluster == null ? null : cluster.report());
    }

    static ServerStatus server(Server s, Balancer balancer) {
        Double latencyMs = s.latency().isKnown()
                ? Math.round(s.latency().nanos(System.nanoTime()) / 1e4) / 100.0 : null;
        String state = state(s);
        Long ejectionRemainingMs = null;
        if (state.equals("ejected") && s.backend() != null) {
            BackendHealth h = balancer.health().get(s.backend().name());
            OptionalLong remaining = h == null ? OptionalLong.empty() : h.ejectionRemainingMillis(s);
            ejectionRemainingMs = remaining.isPresent() ? remaining.getAsLong() : null;
        }
        return new ServerStatus(s.name(), Addresses.format(s.address()), state, ejectionRemainingMs,
                s.configuredWeight(), s.weight(),
                s.active(), s.inactive(), s.isOverloaded(), s.upperThreshold(), s.totalConnections(), s.failures(),
                s.bytesIn(), s.bytesOut(), latencyMs, health(s, balancer), RequestsStatus.of(s.requests()), s.backup(),
                s.index() >= 0);
    }

    /** An http frontend's request heads by the protocol the client spoke, {@code http/1.1} first. */
    private static Map<String, Long> byProtocol(HttpFrontend f) {
        RequestsByProtocol r = f.requestsByProtocol();
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        m.put(RequestsByProtocol.HTTP_1_1, r.http1());
        m.put(RequestsByProtocol.H2, r.h2());
        return m;
    }

    /** The requests an http frontend routed to a backend (those without a route are not counted). */
    private static long requests(HttpFrontend f) {
        return f.requestDurations().byBackend().values().stream().mapToLong(DurationHistogram::count).sum();
    }

    private static boolean routedByHttp(Balancer balancer, String backend) {
        return balancer.config().frontends().stream().anyMatch(f -> f.mode() == Mode.HTTP
                && f.routes().stream().anyMatch(r -> backend.equals(r.backend())));
    }

    private static HealthDetail health(Server s, Balancer balancer) {
        BackendHealth h = s.backend() == null ? null : balancer.health().get(s.backend().name());
        if (h == null) {
            return null;
        }
        ServerHealth sh = h.stats().of(s);
        return new HealthDetail(sh.checksPassed(), sh.checksFailed(), sh.transitions(), sh.ejections(),
                sh.lastReason());
    }

    /** Every state word {@link #state(Server)} can give, for {@code ferry_backend_server_state{state}}. */
    public static final List<String> STATES = List.of("up", "down", "ejected", "drain", "maint");

    /**
     * The state word operators see: what the operator asked for (maint, drain) first, then the active check's verdict
     * (down), then passive health (ejected).
     */
    public static String state(Server s) {
        if (s.state() == ServerState.MAINT) {
            return "maint";
        }
        if (s.state() == ServerState.DRAIN) {
            return "drain";
        }
        if (!s.healthy()) {
            return "down";
        }
        return s.ejected() ? "ejected" : "up";
    }
}
