package dev.ferry.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.runtime.DirectorOpener;
import dev.ferry.runtime.Reloader;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A running balancer with its admin server, for tests that look at what operators see: the status API and
 * {@code /metrics} over real HTTP.
 */
final class AdminHarness implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
    private final HttpClient http = HttpClient.newHttpClient();
    final Balancer balancer;
    final AdminServer admin;

    private AdminHarness(Balancer balancer, AdminServer admin) {
        this.balancer = balancer;
        this.admin = admin;
    }

    /** Starts {@code yaml} (which must have {@code admin: {listen: 127.0.0.1:0}}) from a file in {@code dir}. */
    static AdminHarness start(Path dir, String yaml) throws Exception {
        return start(dir, yaml, DirectorOpener.TUN);
    }

    /**
     * {@link #start(Path, String)} with the directors' devices opened by {@code directors}, e.g. over an
     * {@link dev.ferry.director.device.InMemoryDevice} (a TUN device needs root and a namespace to route into).
     */
    static AdminHarness start(Path dir, String yaml, DirectorOpener directors) throws Exception {
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, yaml);
        FerryConfig config = ConfigLoader.load(file);
        Balancer balancer = new Balancer(config, 1, true, directors);
        balancer.start();
        try {
            AdminServer admin = AdminServer.start(config, balancer, new Reloader(balancer, file), "test");
            return new AdminHarness(balancer, admin);
        } catch (Exception | Error e) {
            balancer.close();
            throw e;
        }
    }

    HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.address().getPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    JsonNode status() throws Exception {
        return JSON.readTree(call("GET", "/api/v1/status", null).body());
    }

    String metrics() throws Exception {
        return call("GET", "/metrics", null).body();
    }

    /** The server {@code server} of backend {@code backend} in a status document. */
    static JsonNode server(JsonNode status, String backend, String server) {
        for (JsonNode b : status.get("backends")) {
            if (b.get("name").asText().equals(backend)) {
                for (JsonNode s : b.get("servers")) {
                    if (s.get("name").asText().equals(server)) {
                        return s;
                    }
                }
            }
        }
        throw new AssertionError("no server " + backend + "/" + server + " in " + status);
    }

    static JsonNode frontend(JsonNode status, String name) {
        for (JsonNode f : status.get("frontends")) {
            if (f.get("name").asText().equals(name)) {
                return f;
            }
        }
        throw new AssertionError("no frontend " + name + " in " + status);
    }

    /**
     * The value of the one sample of {@code metric} whose labels include every {@code label="value"} given (as
     * {@code "label", "value"} pairs); fails when there is none or more than one.
     */
    static double value(String scrape, String metric, String... labels) {
        List<Double> found = new ArrayList<>();
        for (String line : scrape.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches() || !m.group(1).equals(metric)) {
                continue;
            }
            String have = m.group(3) == null ? "" : m.group(3);
            boolean all = true;
            for (int i = 0; i < labels.length; i += 2) {
                all &= ("," + have + ",").contains("," + labels[i] + "=\"" + labels[i + 1] + "\",");
            }
            if (all) {
                found.add(Double.parseDouble(m.group(4)));
            }
        }
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " samples of " + metric + " " + List.of(labels) + " in:\n"
                    + scrape.lines().filter(l -> l.startsWith(metric)).reduce("", (a, b) -> a + b + "\n"));
        }
        return found.get(0);
    }

    @Override
    public void close() {
        admin.close();
        balancer.close();
    }
}
