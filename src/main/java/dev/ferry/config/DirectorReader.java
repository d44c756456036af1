package dev.ferry.config;

import dev.ferry.config.DirectorServiceConfig.Forwarding;
import dev.ferry.config.DirectorServiceConfig.Persistence;
import dev.ferry.config.DirectorServiceConfig.Protocol;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads {@code directors:} into {@link DirectorConfig}s, with the rules that span directors (a name, a device or a
 * VIP used twice) and those that need the backends (a director forwards packets to IPv4 addresses, and schedules on
 * what a packet carries, so a hash key only HTTP has is refused). Read after {@code backends:}. Used by one thread.
 */
final class DirectorReader {
    static final List<String> KEYS = List.of("name", "device", "interface", "workers", "max_connections", "timeouts",
            "services", "defense", "sync", "io");
    static final List<String> SYNC_KEYS = List.of("role", "listen", "peer", "id");
    private static final Map<String, DirectorConfig.Io> IOS = YamlMap.choicesOf(DirectorConfig.Io.class);
    private static final Map<String, DirectorConfig.Sync.Role> ROLES = YamlMap.choicesOf(DirectorConfig.Sync.Role.class);
    static final List<String> DEFENSE_KEYS = List.of("threshold", "drop_entry", "drop_packet", "secure_tcp");
    private static final Map<String, DirectorConfig.Defense.Strategy> STRATEGIES =
            YamlMap.choicesOf(DirectorConfig.Defense.Strategy.class);
    static final List<String> TIMEOUT_KEYS = List.of("tcp", "tcp_fin", "udp");
    static final List<String> SERVICE_KEYS = List.of("vip", "protocol", "backend", "forwarding", "persistence",
            "sloppy_tcp");
    static final List<String> PERSISTENCE_KEYS = List.of("timeout", "netmask");
    private static final Map<String, Protocol> PROTOCOLS = YamlMap.choicesOf(Protocol.class);
    private static final Map<String, Forwarding> FORWARDINGS = YamlMap.choicesOf(Forwarding.class);
    private static final Pattern DEVICE_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
    private static final Duration TICK = Duration.ofMillis(100);

    private final CrossChecks crossChecks;
    private final Map<String, String> names = new HashMap<>();
    private final Map<String, String> devices = new HashMap<>();
    private final Map<String, String> vips = new HashMap<>();

    DirectorReader(CrossChecks crossChecks) {
        this.crossChecks = crossChecks;
    }

    /** @param backends the file's backends by name, to check what a director needs of them */
    DirectorConfig read(YamlMap d, Map<String, BackendConfig> backends) {
        String name = d.name("name").orElse(null);
        if (name != null) {
            once(names, name, d, "name", "director name '" + name + "'");
        } else if (!d.has("name")) {
            d.missing("name", "every director needs a unique name");
        }
        String device = d.text("device", "a network device name such as ferry0")
                .filter(n -> {
                    if (DEVICE_NAME.matcher(n).matches() && !n.equals(".") && !n.equals("..")) {
                        return true;
                    }
                    d.problem("device", "'" + n + "' is not a device name; 1 to 15 letters, digits, '.', '-' or '_'");
                    return false;
                }).orElse(DirectorConfig.DEFAULT_DEVICE);
        once(devices, device, d, "device", "device " + device);
        Optional<String> netInterface = d.text("interface", "a network interface name such as eth0").filter(n -> {
            if (DEVICE_NAME.matcher(n).matches() && !n.equals(".") && !n.equals("..")) {
                return true;
            }
            d.problem("interface", "'" + n + "' is not an interface name; 1 to 15 letters, digits, '.', '-' or '_'");
            return false;
        });
        int workers = d.integer("workers", DirectorConfig.DEFAULT_WORKERS, 1, DirectorConfig.MAX_WORKERS);
        int maxConnections = d.integer("max_connections", DirectorConfig.DEFAULT_MAX_CONNECTIONS, 1,
                DirectorConfig.MAX_MAX_CONNECTIONS);
        if (maxConnections < workers) {
            d.problem("max_connections", "is " + maxConnections + ", fewer than the " + workers + " workers, which "
                    + "share it out (each tracks its own part of the connections); allowed: at least " + workers);
        }
        DirectorConfig.Timeouts timeouts = d.map("timeouts", TIMEOUT_KEYS).map(DirectorReader::timeouts)
                .orElse(DirectorConfig.Timeouts.DEFAULTS);
        List<DirectorServiceConfig> services = new ArrayList<>();
        for (YamlMap s : d.mapList("services", SERVICE_KEYS)) {
            service(s, backends, d.has("interface")).ifPresent(services::add);
        }
        if (!d.has("services")) {
            d.missing("services", "a director needs at least one virtual service, e.g. services: "
                    + "[{ vip: 10.200.0.100:80, protocol: tcp, backend: web }]");
        } else if (d.isEmptyList("services")) {
            d.problem("services", "is empty; a director needs at least one virtual service");
        }
        if (netInterface.isPresent() && services.stream().noneMatch(s -> sendsDirect(s.forwarding(),
                backends.get(s.backend())))) {
            d.problem("interface", "is used only by services with forwarding: direct (or servers of theirs), and this "
                    + "director has none");
        }
        DirectorConfig.Defense defense = d.map("defense", DEFENSE_KEYS).map(DirectorReader::defense)
                .orElse(DirectorConfig.Defense.DEFAULTS);
        Optional<DirectorConfig.Sync> sync = d.map("sync", SYNC_KEYS).flatMap(DirectorReader::sync);
        DirectorConfig.Io io = d.choice("io", IOS).orElse(DirectorConfig.Io.DEFAULT);
        return new DirectorConfig(name, device, netInterface, workers, maxConnections, timeouts, services, defense,
                sync, io);
    }

    /** {@code sync:}: a role, and the address that role needs (standby: {@code listen}; active: {@code peer}). */
    private static Optional<DirectorConfig.Sync> sync(YamlMap m) {
        Optional<DirectorConfig.Sync.Role> role = m.choice("role", ROLES);
        if (!m.has("role")) {
            m.missing("role", "say which side this director is: role: active (sends its connections to peer) or "
                    + "role: standby (receives them on listen)");
        }
        Optional<HostPort> listen = syncAddress(m, "listen", true);
        Optional<HostPort> peer = syncAddress(m, "peer", false);
        int id = m.integer("id", 0, 0, DirectorConfig.Sync.MAX_ID);
        if (role.isEmpty()) {
            return Optional.empty();
        }
        if (role.get() == DirectorConfig.Sync.Role.STANDBY) {
            if (!m.has("listen")) {
                m.missing("listen", "a standby receives the active director's connections on listen, "
                        + "e.g. listen: 10.100.0.3:8848");
            } else if (listen.isPresent() && listen.get().port() == 0) {
                m.problem("listen", "a standby needs a fixed port, the one the active director's peer names; "
                        + "allowed: 1..65535");
            }
            if (m.has("peer")) {
                m.problem("peer", "is for role: active (where it sends); a standby only receives, on listen");
            }
        } else if (!m.has("peer")) {
            m.missing("peer", "an active director sends its connections to the standby's listen address, "
                    + "e.g. peer: 10.100.0.3:8848");
        }
        return Optional.of(new DirectorConfig.Sync(role.get(), listen, peer, id));
    }

    private static Optional<HostPort> syncAddress(YamlMap m, String key, boolean listen) {
        return m.address(key, listen).filter(a -> {
            if (Addresses.isIpv4(a.host())) {
                return true;
            }
            m.problem(key, "'" + a + "' is not an IPv4 address and port; sync runs between the directors' own "
                    + "IPv4 addresses, e.g. " + key + ": 10.100.0.3:8848");
            return false;
        });
    }

    private static DirectorConfig.Defense defense(YamlMap m) {
        DirectorConfig.Defense d = DirectorConfig.Defense.DEFAULTS;
        return new DirectorConfig.Defense(m.integer("threshold", d.thresholdPercent(), 1, 99),
                m.choice("drop_entry", STRATEGIES).orElse(d.dropEntry()),
                m.choice("drop_packet", STRATEGIES).orElse(d.dropPacket()),
                m.choice("secure_tcp", STRATEGIES).orElse(d.secureTcp()));
    }

    private static Persistence persistence(YamlMap p) {
        Duration timeout = p.duration("timeout", Persistence.DEFAULT_TIMEOUT, Duration.ofSeconds(1));
        int netmask = p.text("netmask", "a netmask such as 255.255.255.0").flatMap(text -> {
            Optional<Integer> mask = netmask(text);
            if (mask.isEmpty()) {
                p.problem("netmask", "'" + text + "' is not an IPv4 netmask; allowed: a contiguous mask written as "
                        + "an address, from 0.0.0.0 to 255.255.255.255 (e.g. 255.255.255.0 groups a /24's clients)");
            }
            return mask;
        }).orElse(Persistence.DEFAULT_NETMASK);
        return new Persistence(timeout, netmask);
    }

    /** A dotted-quad netmask whose one bits come first, as an int. */
    static Optional<Integer> netmask(String text) {
        if (!Addresses.isIpv4(text)) {
            return Optional.empty();
        }
        int mask = 0;
        for (String part : text.split("\\.")) {
            mask = (mask << 8) | Integer.parseInt(part);
        }
        int inverted = ~mask;
        return (inverted & (inverted + 1)) == 0 ? Optional.of(mask) : Optional.empty();
    }

    private static DirectorConfig.Timeouts timeouts(YamlMap t) {
        DirectorConfig.Timeouts d = DirectorConfig.Timeouts.DEFAULTS;
        return new DirectorConfig.Timeouts(t.duration("tcp", d.tcp(), TICK), t.duration("tcp_fin", d.tcpFin(), TICK),
                t.duration("udp", d.udp(), TICK));
    }

    /** Whether packets of a service of method {@code service} over {@code bc} go direct to any of its servers. */
    private static boolean sendsDirect(Forwarding service, BackendConfig bc) {
        return service == Forwarding.DIRECT || bc != null && bc.servers().stream()
                .anyMatch(server -> server.forwarding().orElse(null) == Forwarding.DIRECT);
    }

    /** @param hasInterface whether the director has an {@code interface}, which direct forwarding needs */
    private Optional<DirectorServiceConfig> service(YamlMap s, Map<String, BackendConfig> backends,
                                                    boolean hasInterface) {
        // Port 0 is every port of the address (IPVS's port-zero service), as a listen address may say 0.
        Optional<HostPort> vip = s.address("vip", true).filter(v -> {
            if (Addresses.isIpv4(v.host())) {
                return true;
            }
            s.problem("vip", "'" + v + "' is not an IPv4 address and port; a director forwards IPv4 packets, "
                    + "e.g. vip: 10.200.0.100:80");
            return false;
        });
        if (!s.has("vip")) {
            s.missing("vip", "every service needs its virtual address and port, e.g. vip: 10.200.0.100:80");
        }
        Protocol protocol = s.choice("protocol", PROTOCOLS).orElse(Protocol.TCP);
        vip.ifPresent(v -> once(vips, protocol.key() + " " + v, s, "vip", "virtual service " + protocol.key() + " " + v));
        Forwarding forwarding = s.choice("forwarding", FORWARDINGS).orElse(Forwarding.NAT);
        if (forwarding == Forwarding.DIRECT && !hasInterface) {
            s.problem("forwarding", "forwarding: direct sends each packet in a frame to the real server's MAC on the "
                    + "director's LAN interface: add interface: to the director, e.g. interface: eth0");
        }
        Optional<Persistence> persistence = s.map("persistence", PERSISTENCE_KEYS).map(DirectorReader::persistence);
        if (vip.isPresent() && vip.get().port() == 0 && !s.has("persistence")) {
            s.problem("vip", "port 0 (every port of " + vip.get().host() + ") needs persistence, as in IPVS, so that "
                    + "a client's connections to its ports stay on one server; add persistence: { timeout: 300s }");
        }
        Optional<String> backend = s.name("backend");
        backend.ifPresent(b -> {
            crossChecks.backendReference(b, s.value("backend").orElseThrow(), s.keyPath("backend"), false);
            BackendConfig bc = backends.get(b);
            if (bc != null) {
                backendProblem(bc).ifPresent(p -> s.problem("backend", p));
                if (forwarding != Forwarding.DIRECT && !hasInterface && sendsDirect(forwarding, bc)) {
                    s.problem("backend", "backend '" + bc.name() + "' has a server with forwarding: direct, which "
                            + "sends frames on the director's LAN interface: add interface: to the director, e.g. "
                            + "interface: eth0");
                }
                if (vip.isPresent()) {
                    samePortProblem(bc, forwarding, vip.get()).ifPresent(p -> s.problem(s.has("forwarding")
                            ? "forwarding" : "backend", p));
                }
            }
        });
        if (!s.has("backend")) {
            s.missing("backend", "every service needs the backend whose real servers take its connections");
        }
        if (vip.isEmpty() || backend.isEmpty()) {
            return Optional.empty();
        }
        boolean sloppyTcp = s.bool("sloppy_tcp", false);
        if (sloppyTcp && protocol != Protocol.TCP) {
            s.problem("sloppy_tcp", "applies to tcp services only (a UDP datagram always starts a connection); "
                    + "allowed here: false");
        }
        return Optional.of(new DirectorServiceConfig(vip.get(), protocol, backend.get(), forwarding, persistence,
                sloppyTcp));
    }

    /** Why {@code bc}'s servers cannot take a director's packets, when they cannot. */
    private static Optional<String> backendProblem(BackendConfig bc) {
        if (HashKey.problem(bc.hashKey()).isEmpty() && HashKey.parse(bc.hashKey()).needsHttp()) {
            return Optional.of("backend '" + bc.name() + "' hashes on " + bc.hashKey() + ", which only HTTP "
                    + "requests have; a director sees packets: use hash_key: source_ip or source_ip_port");
        }
        for (ServerConfig server : bc.servers()) {
            Optional<String> problem = Addresses.directorServerProblem(server.name(), bc.name(),
                    server.discovery().isPresent() ? null : server.address());
            if (problem.isPresent()) {
                return problem;
            }
        }
        return Optional.empty();
    }

    /**
     * With {@code tunnel} (and {@code direct}) the packet reaches the real server unchanged, so each server it
     * applies to (the service's method, or the server's own {@code forwarding}) must listen on the VIP's own port
     * (a VIP of port 0 keeps every connection's port anyway).
     */
    private static Optional<String> samePortProblem(BackendConfig bc, Forwarding service, HostPort vip) {
        if (vip.port() == 0) {
            return Optional.empty();
        }
        for (ServerConfig server : bc.servers()) {
            Forwarding forwarding = server.forwarding().orElse(service);
            if (forwarding != Forwarding.NAT && server.discovery().isEmpty() && server.address() != null
                    && server.address().port() != vip.port()) {
                return Optional.of("forwarding: " + forwarding.key() + (server.forwarding().isPresent()
                        ? " (the server's own)" : "") + " does not rewrite the port, so server '"
                        + server.name() + "' of backend '" + bc.name() + "' must listen on the VIP's port "
                        + vip.port() + ", not " + server.address().port() + "; e.g. address: "
                        + server.address().host() + ":" + vip.port());
            }
        }
        return Optional.empty();
    }

    private static void once(Map<String, String> seen, String value, YamlMap m, String key, String what) {
        String earlier = seen.putIfAbsent(value, m.keyPath(key));
        if (earlier != null) {
            m.problem(key, what + " is already used by " + earlier + "; each can be used once");
        }
    }
}
