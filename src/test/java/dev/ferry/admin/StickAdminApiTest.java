package dev.ferry.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin API's persistence tables over real HTTP (issue 20 items 2 and 3): a backend's stick table listed and
 * cleared (all of it, or one key), a tcp frontend's persistence templates listed, and the 404s and 405s around them.
 */
@Timeout(60)
class StickAdminApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    @TempDir
    Path dir;
    private AdminHarness harness;

    @AfterEach
    void tearDown() throws Exception {
        if (harness != null) {
            harness.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    /** An HTTP/1.1 server answering every request with 200 and its name, one request per connection. */
    private TestServer http(String name) {
        TestServer s = TestServer.start(name, socket -> {
            InputStream in = socket.getInputStream();
            int matched = 0;
            for (int b; matched < 4 && (b = in.read()) >= 0; ) {
                matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            socket.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + name.length()
                    + "\r\nConnection: close\r\n\r\n" + name).getBytes(StandardCharsets.ISO_8859_1));
            socket.close();
        });
        resources.add(s);
        return s;
    }

    private String get(InetSocketAddress front, String user) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.getPort() + "/"))
                .header("X-User", user).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void theStickTableIsListedAndClearedByKeyOrWhole() throws Exception {
        TestServer a = http("a");
        TestServer b = http("b");
        TestServer t = TestServer.naming("t");
        resources.add(t);
        harness = AdminHarness.start(dir, """
                admin: { listen: 127.0.0.1:0 }
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: app }
                  - { name: l4, listen: 127.0.0.1:0, backend: tcp, persistence: { timeout: 5m, netmask: 24 } }
                backends:
                  - name: app
                    scheduler: rr
                    stick: { on: header:X-User, expire: 10m, size: 1000 }
                    servers: [ { name: a, address: %s }, { name: b, address: %s } ]
                  - { name: tcp, servers: [ { name: t, address: %s } ] }
                """.formatted(a.address(), b.address(), t.address()));
        InetSocketAddress front = harness.balancer.address("web");
        assertThat(get(front, "alice")).isEqualTo("a");
        assertThat(get(front, "bob")).isEqualTo("b");
        assertThat(get(front, "carol")).isEqualTo("a");
        assertThat(get(front, "bob")).isEqualTo("b");

        HttpResponse<String> list = harness.call("GET", "/api/v1/backends/app/stick", null);
        assertThat(list.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(list.body());
        assertThat(body.get("on").asText()).isEqualTo("header:X-User");
        assertThat(body.get("size").asInt()).isEqualTo(1000);
        assertThat(body.get("total").asInt()).isEqualTo(3);
        List<String> entries = new ArrayList<>();
        body.get("entries").forEach(e -> entries.add(e.get("key").asText() + "=" + e.get("server").asText()));
        assertThat(entries).containsExactlyInAnyOrder("alice=a", "bob=b", "carol=a");
        assertThat(body.get("entries").get(0).get("expires_in_millis").asLong()).isPositive();
        assertThat(JSON.readTree(harness.call("GET", "/api/v1/backends/app/stick?limit=1", null).body())
                .get("entries")).hasSize(1);

        HttpResponse<String> one = harness.call("DELETE", "/api/v1/backends/app/stick?key=bob", null);
        assertThat(JSON.readTree(one.body()).get("cleared").asInt()).isEqualTo(1);
        assertThat(JSON.readTree(harness.call("GET", "/api/v1/backends/app/stick", null).body()).get("total")
                .asInt()).isEqualTo(2);
        // bob is scheduled anew (rr's next is b again after a, b, a) and stuck once more.
        get(front, "bob");
        // ferry_sticky_requests_total: alice, bob, carol and bob again after the clear were scheduled, bob's second
        // request went by the table; the tcp backend (no sticky:, no stick:) has no series.
        String metrics = harness.call("GET", "/metrics", null).body();
        assertThat(metrics).contains("ferry_sticky_requests_total{backend=\"app\",outcome=\"scheduled\"} 4.0",
                "ferry_sticky_requests_total{backend=\"app\",outcome=\"table\"} 1.0",
                "ferry_sticky_requests_total{backend=\"app\",outcome=\"moved\"} 0.0",
                "ferry_sticky_requests_total{backend=\"app\",outcome=\"cookie\"} 0.0");
        assertThat(metrics).doesNotContain("ferry_sticky_requests_total{backend=\"tcp\"");
        HttpResponse<String> all = harness.call("DELETE", "/api/v1/backends/app/stick", null);
        assertThat(JSON.readTree(all.body()).get("cleared").asInt()).isEqualTo(3);
        assertThat(JSON.readTree(harness.call("GET", "/api/v1/backends/app/stick", null).body()).get("entries"))
                .isEmpty();

        assertThat(harness.call("GET", "/api/v1/backends/tcp/stick", null).statusCode()).isEqualTo(404);
        assertThat(harness.call("GET", "/api/v1/backends/nope/stick", null).statusCode()).isEqualTo(404);
        assertThat(harness.call("PUT", "/api/v1/backends/app/stick", "{}").statusCode()).isEqualTo(405);
        assertThat(harness.call("GET", "/api/v1/backends/app/stick?limit=0", null).statusCode()).isEqualTo(400);

        // Layer-4 templates of the tcp frontend: three addresses of one /24 make one template.
        InetSocketAddress l4 = harness.balancer.address("l4");
        for (String local : List.of("127.0.0.2", "127.0.0.3", "127.0.0.4")) {
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
                s.connect(l4, 5000);
                s.setSoTimeout(10_000);
                assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("t");
            }
        }
        JsonNode templates = JSON.readTree(harness.call("GET", "/api/v1/frontends/l4/persistence", null).body());
        assertThat(templates.get("total").asInt()).isEqualTo(1);
        assertThat(templates.get("netmask").asInt()).isEqualTo(24);
        assertThat(templates.get("templates").get(0).get("group").asText()).isEqualTo("127.0.0.0");
        assertThat(templates.get("templates").get(0).get("server").asText()).isEqualTo("t");
        assertThat(harness.call("GET", "/api/v1/frontends/web/persistence", null).statusCode()).isEqualTo(404);
        assertThat(harness.call("GET", "/api/v1/frontends/nope/persistence", null).statusCode()).isEqualTo(404);
    }
}
