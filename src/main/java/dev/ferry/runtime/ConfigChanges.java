package dev.ferry.runtime;

import dev.ferry.config.BackendConfig;
import dev.ferry.config.Durations;
import dev.ferry.config.FrontendConfig;
import dev.ferry.config.HealthCheckConfig;
import dev.ferry.config.HostPort;
import dev.ferry.config.HttpOptions;
import dev.ferry.config.ModeOptions;
import dev.ferry.config.PersistenceConfig;
import dev.ferry.config.RouteConfig;
import dev.ferry.config.SchedulerConfig;
import dev.ferry.config.ServerConfig;
import dev.ferry.config.TcpOptions;
import dev.ferry.config.UdpOptions;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What changed between two versions of a backend's or a frontend's configuration, in words for the reload report:
 * {@code scheduler wrr -> rr}, {@code server b: weight 1 -> 3}, {@code server c added}, {@code route 2: backend api
 * -> api2}, {@code health_check.interval 2s -> 5s}. Empty when nothing changed. Keys are named as the file writes
 * them. Pure and stateless; any thread.
 */
final class ConfigChanges {
    private ConfigChanges() {
    }

    /** What changed in a backend that stays across a reload. */
    static List<String> of(BackendConfig before, BackendConfig after) {
        List<String> out = new ArrayList<>();
        if (!before.scheduler().equals(after.scheduler())) {
            out.add("scheduler " + scheduler(before.scheduler()) + " -> " + scheduler(after.scheduler()));
        }
        servers(before.servers(), after.servers(), out);
        components("", before, after, Set.of("name", "scheduler", "servers"), out);
        return out;
    }

    /** What changed in a frontend that stays (same listener) across a reload. */
    static List<String> of(FrontendConfig before, FrontendConfig after) {
        List<String> out = new ArrayList<>();
        routes(before.routes(), after.routes(), out);
        // A kept frontend kept its socket: its listen address is the same (port 0 then written as the bound port).
        components("", before, after, Set.of("name", "routes", "listen", "options"), out);
        // persistence: is written on the frontend, though it is kept with the tcp and udp options.
        value("persistence", persistence(before.options()), persistence(after.options()), out);
        // The mode's options under the file's key for them: http.max_header_size, udp.per_datagram.
        value(before.mode().key(), withoutPersistence(before.options()), withoutPersistence(after.options()), out);
        return out;
    }

    private static Optional<PersistenceConfig> persistence(ModeOptions options) {
        return switch (options) {
            case TcpOptions t -> t.persistence();
            case UdpOptions u -> u.persistence();
            case HttpOptions h -> Optional.empty();
        };
    }

    private static ModeOptions withoutPersistence(ModeOptions options) {
        return switch (options) {
            case TcpOptions t -> TcpOptions.DEFAULTS;
            case UdpOptions u -> new UdpOptions(u.perDatagram());
            case HttpOptions h -> h;
        };
    }

    /** What changed in any other configuration record (e.g. the DNS responder's), ignoring {@code skipped} keys. */
    static List<String> of(Record before, Record after, Set<String> skipped) {
        List<String> out = new ArrayList<>();
        components("", before, after, skipped, out);
        return out;
    }

    private static void servers(List<ServerConfig> before, List<ServerConfig> after, List<String> out) {
        Map<String, ServerConfig> old = byName(before);
        Map<String, ServerConfig> now = byName(after);
        for (ServerConfig s : after) {
            ServerConfig was = old.get(s.name());
            if (was == null) {
                out.add("server " + s.name() + " added" + s.discovery().map(d -> "").orElse(" at " + s.address()));
            } else if (!was.equals(s)) {
                List<String> what = new ArrayList<>();
                components("", was, s, Set.of("name"), what);
                out.add("server " + s.name() + ": " + String.join(", ", what));
            }
        }
        for (ServerConfig s : before) {
            if (!now.containsKey(s.name())) {
                out.add("server " + s.name() + " removed (its connections drain)");
            }
        }
        List<String> oldOrder = before.stream().map(ServerConfig::name).filter(now::containsKey).toList();
        List<String> newOrder = after.stream().map(ServerConfig::name).filter(old::containsKey).toList();
        if (!oldOrder.equals(newOrder)) {
            out.add("servers reordered: " + String.join(", ", newOrder));
        }
    }

    private static Map<String, ServerConfig> byName(List<ServerConfig> servers) {
        Map<String, ServerConfig> m = new LinkedHashMap<>();
        servers.forEach(s -> m.put(s.name(), s));
        return m;
    }

    private static void routes(List<RouteConfig> before, List<RouteConfig> after, List<String> out) {
        for (int i = 0; i < Math.max(before.size(), after.size()); i++) {
            String name = "route " + (i + 1);
            if (i >= before.size()) {
                out.add(name + " added (" + target(after.get(i)) + ")");
            } else if (i >= after.size()) {
                out.add(name + " removed (was " + target(before.get(i)) + ")");
            } else if (!before.get(i).equals(after.get(i))) {
                List<String> what = new ArrayList<>();
                components("", before.get(i), after.get(i), Set.of(), what);
                out.add(name + ": " + String.join(", ", what));
            }
        }
    }

    /** Where a route's requests go: {@code backend api}, or its own answer ({@code redirect}, {@code return}). */
    private static String target(RouteConfig route) {
        return route.backend() != null ? "backend " + route.backend()
                : route.actions().redirect().isPresent() ? "redirect" : "return";
    }

    /** One phrase per differing component of two records of the same type, nested records by dotted key. */
    private static void components(String prefix, Record before, Record after, Set<String> skipped, List<String> out) {
        for (RecordComponent c : before.getClass().getRecordComponents()) {
            String key = snake(c.getName());
            if (skipped.contains(key)) {
                continue;
            }
            Object was = read(c, before);
            Object now = read(c, after);
            if (was instanceof HealthCheckConfig.Probe b && now instanceof HealthCheckConfig.Probe a) {
                probe(prefix, b, a, out);
            } else {
                value(prefix + key, was, now, out);
            }
        }
    }

    /**
     * A health check's probe, keyed as the file writes it (no level of its own: {@code health_check.path}): its
     * settings when the type stays; else the type, and the new type's settings that the file sets.
     */
    private static void probe(String prefix, HealthCheckConfig.Probe before, HealthCheckConfig.Probe after,
                              List<String> out) {
        if (before.getClass() != after.getClass()) {
            out.add(prefix + "type " + before.type().key() + " -> " + after.type().key());
            before = after.type().defaults();
        }
        components(prefix, (Record) before, (Record) after, Set.of(), out);
    }

    private static void value(String key, Object before, Object after, List<String> out) {
        if (java.util.Objects.equals(before, after)) {
            return;
        }
        if (before instanceof Optional<?> b && after instanceof Optional<?> a) {
            if (b.isPresent() && a.isPresent()) {
                value(key, b.get(), a.get(), out);
            } else if (b.isEmpty()) {
                out.add(key + " added" + (simple(a.get()) ? " (" + text(a.get()) + ")" : ""));
            } else {
                out.add(key + " removed");
            }
            return;
        }
        if (before instanceof Record b && after instanceof Record a && b.getClass() == a.getClass()
                && !(before instanceof HostPort)) {
            components(key + ".", b, a, Set.of(), out);
            return;
        }
        if (simple(before) && simple(after)) {
            out.add(key + " " + text(before) + " -> " + text(after));
        } else {
            out.add(key + " changed");
        }
    }

    private static boolean simple(Object v) {
        return v instanceof Number || v instanceof Boolean || v instanceof String || v instanceof Enum<?>
                || v instanceof Duration || v instanceof HostPort || v instanceof Path;
    }

    private static String text(Object v) {
        if (v instanceof Duration d) {
            return Durations.format(d);
        }
        if (v instanceof Enum<?> e) {
            return e.toString().toLowerCase(Locale.ROOT);
        }
        return String.valueOf(v);
    }

    private static Object read(RecordComponent c, Record r) {
        try {
            return c.getAccessor().invoke(r);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + c.getName() + " of " + r.getClass().getSimpleName(), e);
        }
    }

    private static String scheduler(SchedulerConfig s) {
        if (s.options().isEmpty()) {
            return s.name();
        }
        return "{ name: " + s.name() + ", " + s.options().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", ")) + " }";
    }

    private static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }
}
