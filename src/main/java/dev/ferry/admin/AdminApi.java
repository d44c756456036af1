package dev.ferry.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.backend.ServerState;
import dev.ferry.cluster.ClusterState;
import dev.ferry.config.Addresses;
import dev.ferry.config.DirectorConfig;
import dev.ferry.config.HostPort;
import dev.ferry.config.ServerConfig;
import dev.ferry.director.ConnectionView;
import dev.ferry.director.Director;
import dev.ferry.runtime.Balancer;
import dev.ferry.runtime.Reloader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The JSON API of product.md, independent of the transport: a method, a path and a body in, an
 * {@link AdminResponse} out. Bad requests get a 4xx with {@code {"error": ..., "detail": ...}} naming the problem.
 *
 * <p>Threading: blocking (a reload reads files and binds sockets; adding a server resolves its address); the admin
 * server runs it on its own thread, one request at a time.
 */
public final class AdminApi {
    private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
    // Bodies are read strictly: one JSON value and nothing after it, each field once (a repeated field would be
    // read as its last value, not what every client library sends).
    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final String SERVERS = "^/api/v1/backends/([^/]+)/servers$";
    private static final String SERVER = "^/api/v1/backends/([^/]+)/servers/([^/]+)$";
    private static final String STICK = "^/api/v1/backends/([^/]+)/stick$";
    private static final String PERSISTENCE = "^/api/v1/frontends/([^/]+)/persistence$";
    private static final String DIRECTOR_CONNECTIONS = "^/api/v1/directors/([^/]+)/connections$";
    static final int DEFAULT_CONNECTION_LIMIT = 100;
    static final int MAX_CONNECTION_LIMIT = 100_000;
    private static final long DIRECTOR_WAIT_SECONDS = 5;

    private final Balancer balancer;
    private final Reloader reloader;
    private final MetricsExporter metrics;
    private final String version;
    private final ClusterState cluster;

    public AdminApi(Balancer balancer, Reloader reloader, MetricsExporter metrics, String version) {
        this(balancer, reloader, metrics, version, null);
    }

    /** @param cluster this instance's cluster state, shown as the status report's {@code cluster}; null: none */
    public AdminApi(Balancer balancer, Reloader reloader, MetricsExporter metrics, String version,
                    ClusterState cluster) {
        this.cluster = cluster;
        this.balancer = balancer;
        this.reloader = reloader;
        this.metrics = metrics;
        this.version = version;
    }

    /** Answers one request from an unnamed client; never throws. */
    public AdminResponse handle(String method, String path, byte[] body) {
        return handle(method, path, body, "local");
    }

    /**
     * Answers one request; never throws. Every change it makes (state, weight, servers added or removed, reload) is
     * logged at INFO with {@code client}, who asked (the admin client's address).
     */
    public AdminResponse handle(String method, String path, byte[] body, String client) {
        return handle(method, path, Map.of(), body, client);
    }

    /** {@link #handle(String, String, byte[], String)} with the query string's parameters. */
    public AdminResponse handle(String method, String path, Map<String, List<String>> query, byte[] body,
                                String client) {
        try {
            return route(method.toUpperCase(Locale.ROOT), path, query, body, client);
        } catch (AdminException e) {
            return error(e.status(), e.error(), e.getMessage());
        }
    }

    private AdminResponse route(String method, String path, Map<String, List<String>> query, byte[] body,
                                String client) throws AdminException {
        if (path.equals("/metrics")) {
            allow(method, "GET", path);
            return AdminResponse.text(200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
        }
        if (path.equals("/api/v1/status")) {
            allow(method, "GET", path);
            return ok(StatusReport.of(balancer, version, cluster));
        }
        if (path.equals("/api/v1/reload")) {
            allow(method, "POST", path);
            log.info("admin {}: reload requested", client);
            Reloader.Outcome outcome = reloader.reload();
            if (!outcome.applied()) {
                throw new AdminException(400, "reload refused, nothing changed", String.join("\n", outcome.problems()));
            }
            return ok(Map.of("reloaded", true, "changes", outcome.changes()));
        }
        if (path.equals("/api/v1/directors")) {
            allow(method, "GET", path);
            return ok(Map.of("directors", balancer.directors().values().stream().map(DirectorReport::of).toList()));
        }
        if (path.matches(DIRECTOR_CONNECTIONS)) {
            allow(method, "GET", path);
            return directorConnections(path.replaceAll(DIRECTOR_CONNECTIONS, "$1"), query);
        }
        if (path.matches(STICK)) {
            Backend backend = backend(path.replaceAll(STICK, "$1"));
            return switch (method) {
                case "GET" -> ok(StickApi.list(backend, query));
                case "DELETE" -> ok(StickApi.clear(backend, query, client));
                default -> throw new AdminException(405, "method not allowed",
                        method + " " + path + " is not served; allowed: GET, DELETE");
            };
        }
        if (path.matches(PERSISTENCE)) {
            allow(method, "GET", path);
            String name = path.replaceAll(PERSISTENCE, "$1");
            return ok(StickApi.templates(balancer.frontends().stream().filter(f -> f.name().equals(name)).findFirst()
                    .orElseThrow(() -> new AdminException(404, "no such frontend", "no frontend '" + name + "'")),
                    query));
        }
        if (path.matches(SERVERS)) {
            allow(method, "POST", path);
            return addServer(backend(path.replaceAll(SERVERS, "$1")), object(body), client);
        }
        if (path.matches(SERVER)) {
            Backend backend = backend(path.replaceAll(SERVER, "$1"));
            String name = path.replaceAll(SERVER, "$2");
            Server server = backend.server(name).orElseThrow(() -> new AdminException(404, "no such server",
                    "backend '" + backend.name() + "' has no server '" + name + "'; it has: " + names(backend)));
            return switch (method) {
                case "GET" -> ok(StatusReport.server(server, balancer));
                case "PUT" -> updateServer(backend, server, object(body), client);
                case "DELETE" -> {
                    backend.removeServer(name);
                    log.info("admin {}: backend '{}': removed server '{}' ({}); {} connection(s) drain", client,
                            backend.name(), name, Addresses.format(server.address()),
                            server.active() + server.inactive());
                    yield ok(Map.of("removed", name, "draining_connections", server.active() + server.inactive()));
                }
                default -> throw new AdminException(405, "method not allowed",
                        method + " " + path + " is not served; allowed: GET, PUT, DELETE");
            };
        }
        if (path.startsWith("/api/")) {
            throw new AdminException(404, "not found", "no API at " + path + "; see GET /api/v1/status");
        }
        throw new AdminException(404, "not found", "nothing at " + path);
    }

    /** A director's tracked connections, like {@code ipvsadm -Lnc}, at most {@code ?limit=N} of them. */
    private AdminResponse directorConnections(String name, Map<String, List<String>> query) throws AdminException {
        Director director = balancer.directors().get(name);
        if (director == null) {
            throw new AdminException(404, "no such director", "no director '" + name + "'; directors: "
                    + (balancer.directors().isEmpty() ? "none" : String.join(", ", balancer.directors().keySet())));
        }
        int limit = DEFAULT_CONNECTION_LIMIT;
        List<String> asked = query.getOrDefault("limit", List.of());
        if (!asked.isEmpty()) {
            try {
                limit = Integer.parseInt(asked.get(0));
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_CONNECTION_LIMIT) {
                throw new AdminException(400, "bad limit", "limit must be a whole number in 1.."
                        + MAX_CONNECTION_LIMIT + ", got '" + asked.get(0) + "'");
            }
        }
        try {
            List<ConnectionView> entries = director.connections(limit).get(DIRECTOR_WAIT_SECONDS, TimeUnit.SECONDS);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("director", name);
            body.put("total", director.counts().size());
            body.put("connections", entries);
            body.put("templates_total", director.templateCount());
            body.put("templates", director.templates(limit));
            return ok(body);
        } catch (TimeoutException | ExecutionException e) {
            throw new AdminException(503, "director busy", "director '" + name + "' did not list its table within "
                    + DIRECTOR_WAIT_SECONDS + "s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(503, "interrupted", "the admin API is stopping");
        }
    }

    private static void allow(String method, String allowed, String path) throws AdminException {
        if (!method.equals(allowed)) {
            throw new AdminException(405, "method not allowed", method + " " + path + " is not served; allowed: "
                    + allowed);
        }
    }

    private Backend backend(String name) throws AdminException {
        Backend b = balancer.backends().get(name);
        if (b == null) {
            throw new AdminException(404, "no such backend", "no backend '" + name + "'; backends: "
                    + String.join(", ", balancer.backends().keySet()));
        }
        return b;
    }

    private static String names(Backend b) {
        return String.join(", ", b.servers().stream().map(Server::name).toList());
    }

    private static ObjectNode object(byte[] body) throws AdminException {
        try {
            JsonNode node = JSON.readTree(body);
            if (node instanceof ObjectNode o) {
                return o;
            }
        } catch (JsonProcessingException e) {
            throw new AdminException(400, "bad JSON", "the body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new AdminException(400, "bad JSON", "the body could not be read");
        }
        throw new AdminException(400, "bad JSON", "the body must be a JSON object");
    }

    private static void onlyFields(ObjectNode o, Set<String> allowed) throws AdminException {
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                unknown.add(f);
            }
        }
        if (!unknown.isEmpty()) {
            throw new AdminException(400, "unknown field", "unknown field(s) " + unknown + "; allowed: "
                    + allowed.stream().sorted().toList());
        }
    }

    private static int weight(JsonNode w) throws AdminException {
        if (!wholeIn(w, 0, ServerConfig.MAX_WEIGHT)) {
            throw new AdminException(400, "bad weight", "weight must be a whole number in 0..65535, got " + w);
        }
        return w.asInt();
    }

    /** Whether {@code n} is a JSON whole number in low..high, judged on its exact value (asLong would wrap). */
    private static boolean wholeIn(JsonNode n, long low, long high) {
        if (!n.isIntegralNumber()) {
            return false;
        }
        java.math.BigInteger v = n.bigIntegerValue();
        return v.compareTo(java.math.BigInteger.valueOf(low)) >= 0 && v.compareTo(java.math.BigInteger.valueOf(high)) <= 0;
    }

    /** The text of field {@code field}, or {@code otherwise} when absent; any other JSON type is refused. */
    private static String text(ObjectNode body, String field, String otherwise) throws AdminException {
        JsonNode n = body.get(field);
        if (n == null) {
            return otherwise;
        }
        if (!n.isTextual()) {
            throw new AdminException(400, "bad " + field, field + " must be a string, got " + n);
        }
        return n.textValue();
    }

    private AdminResponse updateServer(Backend backend, Server server, ObjectNode body, String client)
            throws AdminException {
        onlyFields(body, Set.of("weight", "state"));
        if (body.isEmpty()) {
            throw new AdminException(400, "nothing to change", "send {\"weight\": N} and/or {\"state\": "
                    + "\"ready\" | \"drain\" | \"maint\"}");
        }
        Optional<ServerState> state = Optional.empty();
        if (body.has("state")) {
            String s = text(body, "state", "");
            state = Optional.ofNullable(switch (s) {
                case "ready" -> ServerState.READY;
                case "drain" -> ServerState.DRAIN;
                case "maint" -> ServerState.MAINT;
                default -> null;
            });
            if (state.isEmpty()) {
                throw new AdminException(400, "bad state", "state must be ready, drain or maint, got '" + s + "'");
            }
        }
        Integer weight = body.has("weight") ? weight(body.get("weight")) : null;
        if (weight != null) {
            int was = server.configuredWeight();
            backend.setWeight(server, weight);
            log.info("admin {}: backend '{}' server '{}': weight {} (was {})", client, backend.name(), server.name(),
                    weight, was);
        }
        if (state.isPresent()) {
            String was = StatusReport.state(server);
            backend.setState(server, state.get());
            log.info("admin {}: backend '{}' server '{}': {} (was {}, now {})", client, backend.name(), server.name(),
                    body.get("state").asText(), was, StatusReport.state(server));
        }
        return ok(StatusReport.server(server, balancer));
    }

    private AdminResponse addServer(Backend backend, ObjectNode body, String client) throws AdminException {
        onlyFields(body, Set.of("name", "address", "weight", "max_connections", "backup"));
        String address = text(body, "address", "");
        HostPort hp;
        try {
            hp = dev.ferry.config.Addresses.parseRemote(address);
        } catch (IllegalArgumentException e) {
            throw new AdminException(400, "bad address", "address: " + e.getMessage());
        }
        String name = text(body, "name", address);
        if (name.isBlank() || name.contains("/") || name.contains(" ")) {
            throw new AdminException(400, "bad name", "name must be non-empty, without '/' or spaces");
        }
        requireDirectorAddress(backend, name, hp);
        int weight = body.has("weight") ? weight(body.get("weight")) : ServerConfig.DEFAULT_WEIGHT;
        if (body.has("max_connections") && !wholeIn(body.get("max_connections"), 0, Integer.MAX_VALUE)) {
            throw new AdminException(400, "bad max_connections", "max_connections must be a whole number, 0 (none) "
                    + "or more, got " + body.get("max_connections"));
        }
        int max = body.path("max_connections").asInt(0);
        if (body.has("backup") && !body.get("backup").isBoolean()) {
            throw new AdminException(400, "bad backup", "backup must be true or false");
        }
        boolean backup = body.path("backup").asBoolean(false);
        if (backend.server(name).isPresent()) {
            throw new AdminException(409, "server exists", "backend '" + backend.name() + "' already has a server '"
                    + name + "'");
        }
        try {
            Server added = backend.addServer(new ServerConfig(name, hp, weight, max, Optional.empty(),
                    Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), backup));
            log.info("admin {}: backend '{}': added server '{}' ({}, weight {}{})", client, backend.name(), name,
                    Addresses.format(added.address()), weight, max > 0 ? ", max_connections " + max : "");
            return json(201, StatusReport.server(added, balancer));
        } catch (IllegalArgumentException e) {
            throw new AdminException(400, "cannot add server", e.getMessage());
        }
    }

    /**
     * A server of a backend that a director uses must have an IPv4 address: the rule the config reader applies at
     * load time ({@link Addresses#directorServerProblem}), applied to a server added at run time.
     */
    private void requireDirectorAddress(Backend backend, String name, HostPort address) throws AdminException {
        List<String> directors = balancer.config().directors().stream()
                .filter(d -> d.services().stream().anyMatch(s -> s.backend().equals(backend.name())))
                .map(DirectorConfig::name).toList();
        if (directors.isEmpty()) {
            return;
        }
        Optional<String> problem = Addresses.directorServerProblem(name, backend.name(), address);
        if (problem.isPresent()) {
            throw new AdminException(400, "bad address", problem.get() + " (backend '" + backend.name()
                    + "' is used by director " + String.join(", ", directors.stream().map(d -> "'" + d + "'")
                    .toList()) + ")");
        }
    }

    private static AdminResponse ok(Object body) {
        return json(200, body);
    }

    private static AdminResponse json(int status, Object body) {
        try {
            return AdminResponse.json(status, JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            return error(500, "internal error", e.getOriginalMessage());
        }
    }

    static AdminResponse error(int status, String error, String detail) {
        ObjectNode o = JSON.createObjectNode().put("error", error).put("detail", detail);
        return AdminResponse.json(status, o.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
