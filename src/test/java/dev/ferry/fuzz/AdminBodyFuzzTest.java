package dev.ferry.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.admin.AdminApi;
import dev.ferry.admin.AdminResponse;
import dev.ferry.admin.MetricsExporter;
import dev.ferry.config.Addresses;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.HostPort;
import dev.ferry.runtime.Balancer;
import dev.ferry.runtime.Reloader;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes what the admin API reads from requests ({@link AdminApi#handle}): the JSON bodies of {@code PUT
 * /api/v1/backends/B/servers/S} (weight, state) and {@code POST /api/v1/backends/B/servers} (a server added), and
 * the {@code limit} and {@code key} parameters of the stick table's {@code GET} and {@code DELETE}. The first input
 * byte picks the request, the rest is its body (or the parameter). Invariants:
 * <ul>
 *   <li>never a 5xx, always a JSON object; a refusal is a 4xx with non-blank {@code error} and {@code detail}
 *       strings and no Java stack trace or exception name;</li>
 *   <li>a body is accepted exactly when a strict reading here says it is valid (one JSON object, no trailing data, no
 *       duplicate field, only the allowed fields, each of its type and range);</li>
 *   <li>an accepted change reads back the same through the API ({@code GET} of the server): the weight, the state,
 *       the added server's name, address, weight, max_connections and backup; a server added is then removed again
 *       (and is gone), so every input starts from the same two servers.</li>
 * </ul>
 * Bodies that add a server by host name are not sent: they would make the JVM resolve fuzzed names.
 */
class AdminBodyFuzzTest {
    private static final String CONFIG = """
            frontends:
              - { name: front, listen: 127.0.0.1:0, mode: http, routes: [ { backend: pool } ] }
            backends:
              - name: pool
                scheduler: rr
                stick: { on: source_ip, expire: 10m, size: 100 }
                servers:
                  - { name: web1, address: 127.0.0.1:9, weight: 1 }
                  - { name: web2, address: 127.0.0.1:10, weight: 1 }
            """;
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final String SERVERS = "/api/v1/backends/pool/servers";
    private static final AdminApi API;

    static {
        try {
            FerryConfig config = ConfigLoader.parse(CONFIG, Path.of("<fuzz>"));
            Balancer balancer = new Balancer(config, 1);
            balancer.start();
            API = new AdminApi(balancer, new Reloader(balancer, null), new MetricsExporter(balancer), "fuzz");
            Runtime.getRuntime().addShutdownHook(new Thread(balancer::close));
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @FuzzTest
    void body(byte[] data) throws Exception {
        if (data.length == 0) {
            return;
        }
        byte[] body = Arrays.copyOfRange(data, 1, data.length);
        String what = "body: " + new String(body, StandardCharsets.UTF_8);
        switch ((data[0] & 0xff) % 4) {
            case 0 -> update(body, what);
            case 1 -> add(body, what);
            case 2 -> {
                String limit = new String(body, StandardCharsets.UTF_8);
                JsonNode r = call("GET", "/api/v1/backends/pool/stick", Map.of("limit", List.of(limit)), null, what);
                int status = r.path("_status").asInt();
                boolean valid = limit.matches("[0-9]{1,6}") && Integer.parseInt(limit) >= 1
                        && Integer.parseInt(limit) <= 100_000;
                assertThat(status).as(what).isEqualTo(valid ? 200 : 400);
            }
            default -> {
                String key = new String(body, StandardCharsets.UTF_8);
                JsonNode r = call("DELETE", "/api/v1/backends/pool/stick", Map.of("key", List.of(key)), null, what);
                assertThat(r.path("_status").asInt()).as(what).isEqualTo(200);
                assertThat(r.path("cleared").asInt()).as(what).isZero();
            }
        }
    }

    private static void update(byte[] body, String what) throws Exception {
        JsonNode r = call("PUT", SERVERS + "/web1", Map.of(), body, what);
        ObjectNode o = object(body);
        boolean valid = o != null && !o.isEmpty() && only(o, Set.of("weight", "state"))
                && (!o.has("state") || o.get("state").isTextual()
                && Set.of("ready", "drain", "maint").contains(o.get("state").textValue()))
                && (!o.has("weight") || inRange(o.get("weight"), 0, 65_535));
        int status = r.path("_status").asInt();
        assertThat(status).as(what + "\nanswer: " + r).isEqualTo(valid ? 200 : 400);
        if (!valid) {
            return;
        }
        JsonNode back = call("GET", SERVERS + "/web1", Map.of(), null, what);
        if (o.has("weight")) {
            assertThat(back.path("configured_weight").asInt()).as(what + "\nread back: " + back)
                    .isEqualTo(o.get("weight").asInt());
        }
        if (o.has("state")) {
            String expected = switch (o.get("state").textValue()) {
                case "ready" -> "up";
                default -> o.get("state").textValue();
            };
            assertThat(back.path("state").asText()).as(what + "\nread back: " + back).isEqualTo(expected);
        }
        JsonNode reset = call("PUT", SERVERS + "/web1", Map.of(),
                "{\"weight\": 1, \"state\": \"ready\"}".getBytes(StandardCharsets.UTF_8), what);
        assertThat(reset.path("_status").asInt()).as(what + "\nreset: " + reset).isEqualTo(200);
    }

    private static void add(byte[] body, String what) throws Exception {
        ObjectNode o = object(body);
        HostPort address = null;
        if (o != null && o.path("address").isTextual()) {
            try {
                address = Addresses.parseRemote(o.get("address").textValue());
            } catch (IllegalArgumentException e) {
                address = null;
            }
            if (address != null && !literal(address.host())) {
                return;
            }
        }
        String name = o == null ? null : o.has("name") ? o.get("name").textValue()
                : o.path("address").textValue();
        boolean valid = o != null && only(o, Set.of("name", "address", "weight", "max_connections", "backup"))
                && address != null
                && (!o.has("name") || o.get("name").isTextual())
                && name != null && !name.isBlank() && !name.contains("/") && !name.contains(" ")
                && !name.equals("web1") && !name.equals("web2")
                && (!o.has("weight") || inRange(o.get("weight"), 0, 65_535))
                && (!o.has("max_connections") || inRange(o.get("max_connections"), 0, Integer.MAX_VALUE))
                && (!o.has("backup") || o.get("backup").isBoolean());
        JsonNode r = call("POST", SERVERS, Map.of(), body, what);
        int status = r.path("_status").asInt();
        if (!valid) {
            assertThat(status).as(what + "\nanswer: " + r).isIn(400, 409);
            if (status == 409) {
                assertThat(name).as(what).isIn("web1", "web2");
            }
            return;
        }
        try {
            assertThat(status).as(what + "\nanswer: " + r).isEqualTo(201);
            String path = SERVERS + "/" + name;
            JsonNode back = call("GET", path, Map.of(), null, what);
            String read = what + "\nread back: " + back;
            assertThat(back.path("_status").asInt()).as(read).isEqualTo(200);
            assertThat(back.path("name").asText()).as(read).isEqualTo(name);
            HostPort readAddress = Addresses.parseRemote(back.path("address").asText());
            assertThat(socket(readAddress)).as(read).isEqualTo(socket(address));
            assertThat(back.path("configured_weight").asInt()).as(read)
                    .isEqualTo(o.has("weight") ? o.get("weight").asInt() : 1);
            assertThat(back.path("max_connections").asInt()).as(read)
                    .isEqualTo(o.has("max_connections") ? o.get("max_connections").asInt() : 0);
            assertThat(back.path("backup").asBoolean()).as(read)
                    .isEqualTo(o.has("backup") && o.get("backup").booleanValue());
        } finally {
            if (status == 201) {
                String path = SERVERS + "/" + name;
                assertThat(call("DELETE", path, Map.of(), null, what).path("_status").asInt()).as(what).isEqualTo(200);
                assertThat(call("GET", path, Map.of(), null, what).path("_status").asInt()).as(what).isEqualTo(404);
            }
        }
    }

    /** Calls the API and checks the answer's form; returns its JSON with {@code _status} added. */
    private static JsonNode call(String method, String path, Map<String, List<String>> query, byte[] body,
                                 String what) throws Exception {
        AdminResponse r = API.handle(method, path, query, body == null ? new byte[0] : body, "fuzz");
        String text = new String(r.body(), StandardCharsets.UTF_8);
        String answer = what + "\n" + method + " " + path + " " + query + " -> " + r.status() + " " + text;
        assertThat(r.status()).as(answer).isBetween(200, 499);
        assertThat(r.contentType()).as(answer).startsWith("application/json");
        JsonNode node = STRICT.readTree(r.body());
        assertThat(node.isObject()).as(answer).isTrue();
        if (r.status() >= 400) {
            assertThat(node.path("error").isTextual()).as(answer).isTrue();
            assertThat(node.path("error").asText()).as(answer).isNotBlank();
            assertThat(node.path("detail").isTextual()).as(answer).isTrue();
            assertThat(node.path("detail").asText()).as(answer).isNotBlank();
            assertThat(text).as(answer).doesNotContain("Exception", "\tat ", "java.");
        }
        ((ObjectNode) node).put("_status", r.status());
        return node;
    }

    /** The body as one strict JSON object, or null when it is not one. */
    private static ObjectNode object(byte[] body) {
        try {
            return STRICT.readTree(body) instanceof ObjectNode o ? o : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static boolean only(ObjectNode o, Set<String> allowed) {
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            if (!allowed.contains(it.next())) {
                return false;
            }
        }
        return true;
    }

    /** A JSON integer (no fraction, no exponent form that is not whole) whose exact value is in the range. */
    private static boolean inRange(JsonNode n, long low, long high) {
        if (!n.isIntegralNumber()) {
            return false;
        }
        BigInteger v = n.bigIntegerValue();
        return v.compareTo(BigInteger.valueOf(low)) >= 0 && v.compareTo(BigInteger.valueOf(high)) <= 0;
    }

    private static boolean literal(String host) {
        return Addresses.isIpv4(host) || host.contains(":");
    }

    private static InetSocketAddress socket(HostPort hp) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(hp.host()), hp.port());
    }

    static {
        // Keys and limits go in a query string: nothing here needs them encoded, but they must stay one parameter.
        assertThat(URLEncoder.encode("a b", StandardCharsets.UTF_8)).isEqualTo("a+b");
    }
}
