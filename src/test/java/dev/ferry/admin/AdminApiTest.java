package dev.ferry.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.config.ConfigException;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.runtime.Reloader;
import dev.ferry.testing.Clients;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The admin API over real HTTP: every endpoint, every error, and the metrics after known traffic. */
@Timeout(60)
class AdminApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<AutoCloseable> resources = new ArrayList<>();
    @TempDir
    Path dir;
    private Balancer balancer;
    private AdminServer admin;
    private Path file;

    @AfterEach
    void tearDown() throws Exception {
        if (admin != null) {
            admin.close();
        }
        if (balancer != null) {
            balancer.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private TestServer naming(String name) {
        TestServer s = TestServer.naming(name);
        resources.add(s);
        return s;
    }

    private String yaml(String adminExtra, String servers) {
        return """
                admin:
                  listen: 127.0.0.1:0
                %s
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: pool }
                backends:
                  - name: pool
                    scheduler: rr
                    servers:
                %s
                """.formatted(adminExtra, servers);
    }

    private void start(String yaml) throws Exception {
        file = dir.resolve("ferry.yaml");
        Files.writeString(file, yaml);
        FerryConfig config = ConfigLoader.load(file);
        balancer = new Balancer(config, 1);
        balancer.start();
        admin = AdminServer.start(config, balancer, new Reloader(balancer, file), "test");
    }

    private HttpResponse<String> call(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.address().getPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        return call(method, path, body, null);
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    private void assertError(HttpResponse<String> r, int status, String error, String detailPart) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(json(r).get("error").asText()).isEqualTo(error);
        assertThat(json(r).get("detail").asText()).contains(detailPart);
    }

    @Test
    void statusShowsFrontendsBackendsAndServersWithTheirCounters() throws Exception {
        TestServer a = naming("A");
        TestServer b = naming("B");
        start(yaml("", "      - { name: a, address: %s, weight: 3 }\n      - { name: b, address: %s }"
                .formatted(a.address(), b.address())));
        for (int i = 0; i < 4; i++) {
            Clients.readAll(balancer.address("front"));
        }

        HttpResponse<String> r = call("GET", "/api/v1/status", null);

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode status = json(r);
        JsonNode front = status.get("frontends").get(0);
        assertThat(front.get("name").asText()).isEqualTo("front");
        assertThat(front.get("mode").asText()).isEqualTo("tcp");
        assertThat(front.get("connections_total").asLong()).isEqualTo(4);
        assertThat(front.get("bytes_out").asLong()).isEqualTo(4);
        JsonNode servers = status.get("backends").get(0).get("servers");
        assertThat(servers).hasSize(2);
        assertThat(servers.get(0).get("name").asText()).isEqualTo("a");
        assertThat(servers.get(0).get("state").asText()).isEqualTo("up");
        assertThat(servers.get(0).get("configured_weight").asInt()).isEqualTo(3);
        assertThat(servers.get(0).get("connections_total").asLong() + servers.get(1).get("connections_total").asLong())
                .isEqualTo(4);
    }

    @Test
    void weightAndStateChangeLiveAndSteerTraffic() throws Exception {
        TestServer a = naming("A");
        TestServer b = naming("B");
        start(yaml("", "      - { name: a, address: %s }\n      - { name: b, address: %s }".formatted(a.address(), b.address())));

        HttpResponse<String> drained = call("PUT", "/api/v1/backends/pool/servers/a", "{\"state\": \"drain\"}");
        assertThat(drained.statusCode()).isEqualTo(200);
        assertThat(json(drained).get("state").asText()).isEqualTo("drain");
        assertThat(json(drained).get("effective_weight").asInt()).isZero();
        for (int i = 0; i < 4; i++) {
            assertThat(Clients.readAll(balancer.address("front"))).isEqualTo("B");
        }

        HttpResponse<String> back = call("PUT", "/api/v1/backends/pool/servers/a", "{\"state\": \"ready\", \"weight\": 7}");
        assertThat(json(back).get("state").asText()).isEqualTo("up");
        assertThat(json(back).get("configured_weight").asInt()).isEqualTo(7);
        assertThat(json(back).get("effective_weight").asInt()).isEqualTo(7);

        HttpResponse<String> maint = call("PUT", "/api/v1/backends/pool/servers/b", "{\"state\": \"maint\"}");
        assertThat(json(maint).get("state").asText()).isEqualTo("maint");
        for (int i = 0; i < 3; i++) {
            assertThat(Clients.readAll(balancer.address("front"))).isEqualTo("A");
        }
    }

    @Test
    void serversAreAddedAndRemovedAtRunTime() throws Exception {
        TestServer a = naming("A");
        TestServer c = naming("C");
        start(yaml("", "      - { name: a, address: %s }".formatted(a.address())));

        HttpResponse<String> added = call("POST", "/api/v1/backends/pool/servers",
                "{\"name\": \"c\", \"address\": \"%s\", \"weight\": 2}".formatted(c.address()));
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        assertThat(json(added).get("name").asText()).isEqualTo("c");
        assertThat(balancer.backends().get("pool").servers()).hasSize(2);

        HttpResponse<String> removed = call("DELETE", "/api/v1/backends/pool/servers/a", null);
        assertThat(removed.statusCode()).isEqualTo(200);
        assertThat(json(removed).get("removed").asText()).isEqualTo("a");
        for (int i = 0; i < 3; i++) {
            assertThat(Clients.readAll(balancer.address("front"))).isEqualTo("C");
        }
    }

    @Test
    void everyBadRequestGetsAFitting4xxNamingTheProblem() throws Exception {
        TestServer a = naming("A");
        start(yaml("", "      - { name: a, address: %s }".formatted(a.address())));

        assertError(call("PUT", "/api/v1/backends/pool/servers/a", "{\"weight\": 70000}"), 400, "bad weight", "0..65535");
        assertError(call("PUT", "/api/v1/backends/pool/servers/a", "{\"weight\": \"heavy\"}"), 400, "bad weight", "whole number");
        assertError(call("PUT", "/api/v1/backends/pool/servers/a", "{\"state\": \"sleep\"}"), 400, "bad state", "ready, drain or maint");
        assertError(call("PUT", "/api/v1/backends/pool/servers/a", "{\"wieght\": 2}"), 400, "unknown field", "[wieght]");
        assertError(call("PUT", "/api/v1/backends/pool/servers/a", "{}"), 400, "nothing to change", "weight");
        assertError(call("PUT", "/api/v1/backends/pool/servers/a", "not json"), 400, "bad JSON", "not valid JSON");
        assertError(call("PUT", "/api/v1/backends/pool/servers/a", "[1]"), 400, "bad JSON", "JSON object");
        assertError(call("PUT", "/api/v1/backends/pool/servers/zz", "{\"weight\": 1}"), 404, "no such server", "it has: a");
        assertError(call("PUT", "/api/v1/backends/nope/servers/a", "{\"weight\": 1}"), 404, "no such backend", "backends: pool");
        assertError(call("POST", "/api/v1/backends/pool/servers", "{\"name\": \"a\", \"address\": \"127.0.0.1:9\"}"),
                409, "server exists", "already has a server 'a'");
        assertError(call("POST", "/api/v1/backends/pool/servers", "{\"name\": \"x\", \"address\": \"nowhere\"}"),
                400, "bad address", "address");
        assertError(call("DELETE", "/api/v1/status", null), 405, "method not allowed", "allowed: GET");
        assertError(call("PATCH", "/api/v1/backends/pool/servers/a", "{}"), 405, "method not allowed", "GET, PUT, DELETE");
        assertError(call("GET", "/api/v2/things", null), 404, "not found", "/api/v2/things");
    }

    @Test
    void withATokenEveryApiCallNeedsIt() throws Exception {
        TestServer a = naming("A");
        Path token = dir.resolve("admin.token");
        Files.writeString(token, "s3cret\n");
        start(yaml("  token_file: " + token, "      - { name: a, address: %s }".formatted(a.address())));

        HttpResponse<String> none = call("GET", "/api/v1/status", null);
        assertError(none, 401, "unauthorised", "Bearer");
        assertThat(none.headers().firstValue("www-authenticate")).hasValue("Bearer");
        assertError(call("GET", "/api/v1/status", null, "wrong"), 401, "unauthorised", "Bearer");
        assertThat(call("GET", "/api/v1/status", null, "s3cret").statusCode()).isEqualTo(200);
        assertThat(call("PUT", "/api/v1/backends/pool/servers/a", "{\"weight\": 2}", "s3cret").statusCode()).isEqualTo(200);
    }

    @Test
    void aNonLoopbackAddressWithoutATokenIsRefused() throws Exception {
        FerryConfig config = ConfigLoader.parse(yaml("", "      - { address: 127.0.0.1:9 }")
                .replace("listen: 127.0.0.1:0\n", "listen: 0.0.0.0:0\n"), Path.of("open.yaml"));
        balancer = new Balancer(config, 1);
        balancer.start();
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> AdminServer.start(config, balancer, new Reloader(balancer, null), "test"));
        assertThat(e.problems().get(0).toString())
                .startsWith("open.yaml:2:3: admin.listen: 0.0.0.0:0 is not a loopback address; set admin.token_file");
    }

    @Test
    void reloadAppliesTheFileAndABrokenFileChangesNothing() throws Exception {
        TestServer a = naming("A");
        TestServer b = naming("B");
        start(yaml("", "      - { name: a, address: %s }".formatted(a.address())));
        int port = balancer.address("front").getPort();

        Files.writeString(file, yaml("", "      - { name: b, address: %s }".formatted(b.address()))
                .replace("listen: 127.0.0.1:0, mode", "listen: 127.0.0.1:" + port + ", mode"));
        HttpResponse<String> ok = call("POST", "/api/v1/reload", null);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(json(ok).get("changes").toString()).contains("backend pool: updated (server b added at "
                + b.address() + ", server a removed (its connections drain))");
        assertThat(Clients.readAll(balancer.address("front"))).isEqualTo("B");

        Files.writeString(file, "frontends: [ { name: front, listen: nowhere } ]\n");
        HttpResponse<String> refused = call("POST", "/api/v1/reload", null);
        assertError(refused, 400, "reload refused, nothing changed", "listen");
        assertThat(Clients.readAll(balancer.address("front"))).isEqualTo("B");
        assertThat(balancer.backends().get("pool").servers()).extracting(s -> s.name()).containsExactly("b");
    }

    @Test
    void healthChecksShowInStatusAndMetrics() throws Exception {
        TestServer a = naming("A");
        start(yaml("", "      - { name: a, address: " + a.address() + " }\n"
                + "    health_check: { type: tcp, interval: 100ms, timeout: 1s, rise: 1, fall: 1 }"));

        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(json(call("GET", "/api/v1/status", null)).at("/backends/0/servers/0/health/checks_passed")
                        .asLong()).isGreaterThanOrEqualTo(2));
        JsonNode health = json(call("GET", "/api/v1/status", null)).at("/backends/0/servers/0/health");
        assertThat(health.get("checks_failed").asLong()).isZero();
        assertThat(call("GET", "/metrics", null).body().lines())
                .anyMatch(l -> l.startsWith("ferry_health_checks_total{backend=\"pool\",result=\"pass\",server=\"a\"}")
                        && !l.endsWith(" 0.0"))
                .contains("ferry_health_checks_total{backend=\"pool\",result=\"fail\",server=\"a\"} 0.0");
    }

    @Test
    void metricsUseProductNamesAndCountKnownTraffic() throws Exception {
        TestServer a = naming("A");
        start(yaml("", "      - { name: a, address: %s, weight: 4 }".formatted(a.address())));
        for (int i = 0; i < 5; i++) {
            Clients.readAll(balancer.address("front"));
        }

        HttpResponse<String> r = call("GET", "/metrics", null);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
        assertThat(r.body().lines())
                .contains("ferry_frontend_connections_total{frontend=\"front\"} 5.0")
                .contains("ferry_frontend_active_connections{frontend=\"front\"} 0.0")
                .contains("ferry_backend_server_connections_total{backend=\"pool\",server=\"a\"} 5.0")
                .contains("ferry_backend_server_active_connections{backend=\"pool\",server=\"a\"} 0.0")
                .contains("ferry_backend_server_up{backend=\"pool\",server=\"a\"} 1.0")
                .contains("ferry_backend_server_weight{backend=\"pool\",kind=\"configured\",server=\"a\"} 4.0")
                .contains("ferry_backend_server_weight{backend=\"pool\",kind=\"effective\",server=\"a\"} 4.0")
                .contains("ferry_bytes_total{direction=\"out\"} 5.0");

        call("DELETE", "/api/v1/backends/pool/servers/a", null);
        assertThat(call("GET", "/metrics", null).body()).doesNotContain("server=\"a\"");
    }
}
