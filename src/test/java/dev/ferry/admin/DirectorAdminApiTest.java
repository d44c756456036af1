package dev.ferry.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.backend.Server;
import dev.ferry.director.Director;
import dev.ferry.director.device.InMemoryDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static dev.ferry.director.TestPackets.ACK;
import static dev.ferry.director.TestPackets.FIN;
import static dev.ferry.director.TestPackets.SYN;
import static dev.ferry.director.TestPackets.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The admin API of a Ferry with a director (issue 16): a server added at run time to a backend that a director uses
 * must have an IPv4 address, as the config reader requires at load time; {@code GET /api/v1/directors} and the
 * status say each service's forwarding method, the director's workers and its active and inactive entries. The
 * director runs over an {@link InMemoryDevice}: the packets below exist only in memory, none goes on a network.
 */
@Timeout(60)
class DirectorAdminApiTest {
    private static final String CLIENT = "10.100.0.2";
    private static final String VIP = "10.200.0.100";
    private static final String YAML = """
            admin: { listen: 127.0.0.1:0 }
            backends:
              - name: web
                servers:
                  - { name: rs1, address: 10.101.0.11:8080 }
              - name: plain
                servers:
                  - { name: p1, address: 127.0.0.1:9 }
            directors:
              - name: lvs1
                device: test0
                services:
                  - { vip: 10.200.0.100:80, backend: web }
            """;

    @TempDir
    Path dir;
    private final Map<String, InMemoryDevice> devices = new HashMap<>();
    private AdminHarness harness;

    @AfterEach
    void stop() {
        if (harness != null) {
            harness.close();
        }
    }

    private AdminHarness start() throws Exception {
        harness = AdminHarness.start(dir, YAML, (config, backends) -> {
            InMemoryDevice device = new InMemoryDevice(config.device());
            devices.put(config.device(), device);
            return new Director(config, backends, device, () -> System.nanoTime() / 1_000_000);
        });
        return harness;
    }

    private HttpResponse<String> addServer(String backend, String body) throws Exception {
        return harness.call("POST", "/api/v1/backends/" + backend + "/servers", body);
    }

    @Test
    void aServerAddedToADirectorsBackendMustHaveAnIpv4Address() throws Exception {
        start();

        HttpResponse<String> named = addServer("web", "{\"name\": \"rs2\", \"address\": \"localhost:8080\"}");
        assertThat(named.statusCode()).as(named.body()).isEqualTo(400);
        JsonNode error = AdminApi.JSON.readTree(named.body());
        assertThat(error.path("error").asText()).isEqualTo("bad address");
        assertThat(error.path("detail").asText()).contains("server 'rs2' of backend 'web' must have an IPv4 address",
                "not localhost", "director 'lvs1'");
        HttpResponse<String> v6 = addServer("web", "{\"name\": \"rs3\", \"address\": \"[::1]:8080\"}");
        assertThat(v6.statusCode()).as(v6.body()).isEqualTo(400);
        assertThat(v6.body()).contains("not ::1");
        assertThat(harness.balancer.backends().get("web").servers()).extracting(Server::name).containsExactly("rs1");

        HttpResponse<String> literal = addServer("web", "{\"name\": \"rs2\", \"address\": \"10.101.0.12:8080\"}");
        assertThat(literal.statusCode()).as(literal.body()).isEqualTo(201);
        // A backend no director uses still takes a host name.
        HttpResponse<String> plain = addServer("plain", "{\"name\": \"p2\", \"address\": \"localhost:9\"}");
        assertThat(plain.statusCode()).as(plain.body()).isEqualTo(201);
        assertThat(harness.balancer.backends().get("web").servers()).extracting(Server::name)
                .containsExactlyInAnyOrder("rs1", "rs2");
    }

    @Test
    void directorsAndStatusSayTheForwardingMethodTheWorkersAndActiveAndInactiveEntries() throws Exception {
        start();
        InMemoryDevice device = devices.get("test0");
        // Two SYNs: both entries SYN_RECV (active); the client's FIN then takes the second to TIME_WAIT (inactive).
        device.inject(tcp(CLIENT, 40_000, VIP, 80, SYN, 64, new byte[0]));
        assertThat(device.take(5_000)).as("the SYN, forwarded").isNotNull();
        device.inject(tcp(CLIENT, 40_001, VIP, 80, SYN, 64, new byte[0]));
        assertThat(device.take(5_000)).isNotNull();
        device.inject(tcp(CLIENT, 40_001, VIP, 80, FIN | ACK, 64, new byte[0]));
        assertThat(device.take(5_000)).as("the FIN, forwarded").isNotNull();

        JsonNode d = await().atMost(Duration.ofSeconds(10)).until(
                () -> AdminApi.JSON.readTree(harness.call("GET", "/api/v1/directors", null).body())
                        .path("directors").path(0),
                n -> n.path("connections").asInt() == 2 && n.path("states").path("TIME_WAIT").asInt() == 1);

        assertThat(d.path("name").asText()).isEqualTo("lvs1");
        assertThat(d.path("device").asText()).isEqualTo("test0");
        assertThat(d.path("workers").asInt()).isEqualTo(1);
        assertThat(d.path("states").path("SYN_RECV").asInt()).isEqualTo(1);
        assertThat(d.path("active_states")).extracting(JsonNode::asText)
                .containsExactly("ESTABLISHED", "SYN_SENT", "SYN_RECV", "SYNACK");
        assertThat(d.path("active").asInt()).isEqualTo(1);
        assertThat(d.path("inactive").asInt()).isEqualTo(1);
        JsonNode service = d.path("services").path(0);
        assertThat(service.path("vip").asText()).isEqualTo(VIP + ":80");
        assertThat(service.path("forwarding").asText()).isEqualTo("nat");
        assertThat(service.path("active").asInt()).isEqualTo(1);
        assertThat(service.path("inactive").asInt()).isEqualTo(1);

        JsonNode inStatus = harness.status().path("directors").path(0);
        assertThat(inStatus.path("workers").asInt()).isEqualTo(1);
        assertThat(inStatus.path("services").path(0).path("forwarding").asText()).isEqualTo("nat");
        assertThat(inStatus.path("active").asInt() + inStatus.path("inactive").asInt())
                .isEqualTo(inStatus.path("connections").asInt());
    }
}
