package dev.ferry.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Found by AdminBodyFuzzTest: bodies the admin API used to accept as something other than what they said (a weight
 * or max_connections beyond 64 bits wrapped into range, a number or boolean taken as a name, a repeated field read
 * as its last value, data after the object ignored). Each is now a 400 naming the problem, and changes nothing.
 */
@Timeout(60)
class AdminBodyStrictnessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    private static AdminHarness h;

    @BeforeAll
    static void start() throws Exception {
        h = AdminHarness.start(dir, """
                admin: { listen: 127.0.0.1:0 }
                frontends: [ { name: f, listen: 127.0.0.1:0, backend: web } ]
                backends:
                  - name: web
                    servers: [ { name: s1, address: 127.0.0.1:9, weight: 1 } ]
                """);
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @ParameterizedTest(name = "{0} {2}")
    @CsvSource(delimiter = '|', textBlock = """
            PUT  | /api/v1/backends/web/servers/s1 | {"weight": 18446744073709551621}                        | bad weight
            PUT  | /api/v1/backends/web/servers/s1 | {"weight": 1, "weight": 70000}                          | bad JSON
            PUT  | /api/v1/backends/web/servers/s1 | {"weight": 3} {"weight": 4}                             | bad JSON
            PUT  | /api/v1/backends/web/servers/s1 | {"state": null}                                         | bad state
            POST | /api/v1/backends/web/servers    | {"name": 5, "address": "127.0.0.1:8080"}                | bad name
            POST | /api/v1/backends/web/servers    | {"name": null, "address": "127.0.0.1:8080"}             | bad name
            POST | /api/v1/backends/web/servers    | {"name": "w", "address": 8080}                          | bad address
            POST | /api/v1/backends/web/servers    | {"name": "w", "address": "127.0.0.1:1", "max_connections": 4294967301} | bad max_connections
            POST | /api/v1/backends/web/servers    | {"name": "w", "address": "127.0.0.1:1", "max_connections": "12"} | bad max_connections
            POST | /api/v1/backends/web/servers    | {"name": "w", "address": "127.0.0.1:1", "max_connections": 1.5} | bad max_connections
            """)
    void aBodyThatDoesNotSayExactlyOneThingIsRefused(String method, String path, String body, String error)
            throws Exception {
        HttpResponse<String> r = h.call(method, path, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        JsonNode answer = JSON.readTree(r.body());
        assertThat(answer.path("error").asText()).as(r.body()).isEqualTo(error);
        assertThat(answer.path("detail").asText()).as(r.body()).isNotBlank().doesNotContain("Exception");
        JsonNode s1 = JSON.readTree(h.call("GET", "/api/v1/backends/web/servers/s1", null).body());
        assertThat(s1.path("configured_weight").asInt()).isEqualTo(1);
        assertThat(h.call("GET", "/api/v1/backends/web/servers/w", null).statusCode()).isEqualTo(404);
        assertThat(h.call("GET", "/api/v1/backends/web/servers/5", null).statusCode()).isEqualTo(404);
    }
}
