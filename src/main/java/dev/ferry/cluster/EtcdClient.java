package dev.ferry.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.config.EtcdSourceConfig;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * A small etcd v3 client over etcd's JSON gateway ({@code POST /v3/kv/range}, {@code /v3/kv/txn}, {@code
 * /v3/lease/*}, {@code /v3/watch}) with the JDK's HttpClient and Jackson; keys and values travel base64-encoded, as
 * the gateway wants. Chosen over jetcd, whose gRPC, Vert.x and second Netty line would double Ferry's dependency
 * tree for a handful of calls. etcd 3.3 serves the gateway under {@code /v3beta/}: a 404 on {@code /v3/} switches
 * to it once.
 *
 * <p>Endpoints are tried in order; the one that last answered is tried first. With {@code username}, the client
 * authenticates and sends the token, authenticating again when etcd says it expired.
 *
 * <p>Threading: thread-safe; every call blocks (connect time-out {@code dial_timeout}, a unary call gets
 * {@code dial_timeout} + 3 s to answer), so call it off the event loops.
 */
public final class EtcdClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration ANSWER_SLACK = Duration.ofSeconds(3);

    private final EtcdSourceConfig config;
    private final HttpClient http;
    private volatile int preferred;
    private volatile String base = "/v3/";
    private volatile String token;

    public EtcdClient(EtcdSourceConfig config) throws EtcdException {
        this.config = config;
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.dialTimeout());
        if (config.tls().isPresent()) {
            b.sslContext(sslContext(config.tls().get()));
        }
        this.http = b.build();
    }

    private static SSLContext sslContext(EtcdSourceConfig.Tls tls) throws EtcdException {
        try {
            SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK);
            if (tls.ca().isPresent()) {
                b.trustManager(tls.ca().get().toFile());
            }
            if (tls.cert().isPresent() && tls.key().isPresent()) {
                b.keyManager(tls.cert().get().toFile(), tls.key().get().toFile());
            }
            return ((JdkSslContext) b.build()).context();
        } catch (SSLException | IllegalArgumentException e) {
            throw new EtcdException("cannot use the etcd TLS files: " + e.getMessage(), false);
        }
    }

    public EtcdSourceConfig config() {
        return config;
    }

    /** One key and its value as etcd holds it. */
    public record KeyValue(String key, byte[] value, long modRevision, long lease) {
        public String text() {
            return new String(value, StandardCharsets.UTF_8);
        }
    }

    /** The answer to a read: the store's revision when it answered and the keys found (sorted by key). */
    public record Range(long revision, List<KeyValue> kvs) {
        public Optional<KeyValue> first() {
            return kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.getFirst());
        }
    }

    /** A compare-and-swap's result: whether it wrote, the store's revision, and the key's revision when it did not. */
    public record CasResult(boolean succeeded, long revision, long currentModRevision) {
    }

    /** Reads one key. */
    public Range get(String key) throws EtcdException {
        ObjectNode body = JSON.createObjectNode().put("key", b64(key));
        return range(call("kv/range", body));
    }

    /** Reads every key that starts with {@code prefix}. */
    public Range getPrefix(String prefix) throws EtcdException {
        ObjectNode body = JSON.createObjectNode().put("key", b64(prefix)).put("range_end", b64(prefixEnd(prefix)));
        return range(call("kv/range", body));
    }

    /** Writes {@code key}; {@code lease} 0 = no lease. Returns the new revision. */
    public long put(String key, byte[] value, long lease) throws EtcdException {
        ObjectNode body = JSON.createObjectNode().put("key", b64(key)).put("value", b64(value));
        if (lease != 0) {
            body.put("lease", Long.toString(lease));
        }
        return revision(call("kv/put", body));
    }

    /**
     * Writes {@code key} only if its mod revision is still {@code expectedModRevision} (0: only if it does not exist),
     * in one transaction, so two writers cannot overwrite each other.
     */
    public CasResult putIfUnchanged(String key, byte[] value, long expectedModRevision) throws EtcdException {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode cmp = body.putArray("compare").addObject().put("key", b64(key)).put("result", "EQUAL");
        if (expectedModRevision == 0) {
            cmp.put("target", "CREATE").put("create_revision", "0");
        } else {
            cmp.put("target", "MOD").put("mod_revision", Long.toString(expectedModRevision));
        }
        body.putArray("success").addObject().putObject("request_put").put("key", b64(key)).put("value", b64(value));
        body.putArray("failure").addObject().putObject("request_range").put("key", b64(key));
        JsonNode answer = call("kv/txn", body);
        boolean ok = answer.path("succeeded").asBoolean(false);
        long current = 0;
        if (!ok) {
            JsonNode kvs = answer.path("responses").path(0).path("response_range").path("kvs");
            current = kvs.path(0).path("mod_revision").asLong(0);
        }
        return new CasResult(ok, revision(answer), current);
    }

    /** Deletes {@code key}; returns the new revision. */
    public long delete(String key) throws EtcdException {
        return revision(call("kv/deleterange", JSON.createObjectNode().put("key", b64(key))));
    }

    /** Compacts the history up to {@code revision} (older revisions can no longer be watched). */
    public void compact(long revision) throws EtcdException {
        call("kv/compaction", JSON.createObjectNode().put("revision", Long.toString(revision)).put("physical", true));
    }

    /** Grants a lease of {@code ttlSeconds}; returns its id. */
    public long grantLease(long ttlSeconds) throws EtcdException {
        JsonNode answer = call("lease/grant", JSON.createObjectNode().put("TTL", Long.toString(ttlSeconds)));
        long id = answer.path("ID").asLong(0);
        if (id == 0) {
            throw new EtcdException("etcd granted no lease: " + answer, false);
        }
        return id;
    }

    /** Renews a lease once; returns its remaining TTL in seconds, 0 when it has expired or was revoked. */
    public long keepAlive(long lease) throws EtcdException {
        JsonNode answer = call("lease/keepalive", JSON.createObjectNode().put("ID", Long.toString(lease)));
        return answer.path("result").path("TTL").asLong(0);
    }

    /** Revokes a lease: every key attached to it goes at once. A lease that is already gone is not an error. */
    public void revoke(long lease) throws EtcdException {
        try {
            call("lease/revoke", JSON.createObjectNode().put("ID", Long.toString(lease)));
        } catch (EtcdException e) {
            if (e.unreachable() || !String.valueOf(e.getMessage()).contains("not found")) {
                throw e;
            }
        }
    }

    /**
     * Opens a watch on {@code key} from {@code startRevision}; read it with {@link EtcdWatch#next()} and close it
     * when done.
     */
    public EtcdWatch watch(String key, long startRevision) throws EtcdException {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("create_request").put("key", b64(key)).put("start_revision", Long.toString(startRevision));
        EtcdException last = null;
        for (int i = 0; i < config.endpoints().size(); i++) {
            int index = (preferred + i) % config.endpoints().size();
            try {
                HttpResponse<InputStream> r = http.send(request(index, "watch", body, null),
                        HttpResponse.BodyHandlers.ofInputStream());
                if (r.statusCode() != 200) {
                    String text = new String(r.body().readAllBytes(), StandardCharsets.UTF_8);
                    r.body().close();
                    throw answerError(r.statusCode(), text);
                }
                preferred = index;
                return new EtcdWatch(r.body(), config.endpoints().get(index) + " watch " + key);
            } catch (IOException e) {
                last = unreachable(index, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EtcdException("interrupted", true);
            }
        }
        throw last;
    }

    private JsonNode call(String path, ObjectNode body) throws EtcdException {
        return call(path, body, true);
    }

    private JsonNode call(String path, ObjectNode body, boolean mayAuthenticate) throws EtcdException {
        if (config.username().isPresent() && token == null && mayAuthenticate) {
            authenticate();
        }
        EtcdException last = null;
        int n = config.endpoints().size();
        for (int i = 0; i < n; i++) {
            int index = (preferred + i) % n;
            try {
                HttpResponse<String> r = http.send(request(index, path, body, config.dialTimeout().plus(ANSWER_SLACK)),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 404 && base.equals("/v3/") && r.body().startsWith("404 page not found")) {
                    base = "/v3beta/";
                    i--;
                    continue;
                }
                preferred = index;
                if (r.statusCode() != 200) {
                    EtcdException e = answerError(r.statusCode(), r.body());
                    if (mayAuthenticate && config.username().isPresent() && r.body().contains("auth token")) {
                        token = null;
                        return call(path, body, false);
                    }
                    throw e;
                }
                return JSON.readTree(r.body());
            } catch (IOException e) {
                last = unreachable(index, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EtcdException("interrupted", true);
            }
        }
        throw last;
    }

    private void authenticate() throws EtcdException {
        ObjectNode body = JSON.createObjectNode().put("name", config.username().orElseThrow())
                .put("password", config.password().orElse(""));
        JsonNode answer = call("auth/authenticate", body, false);
        String t = answer.path("token").asText("");
        if (t.isEmpty()) {
            throw new EtcdException("etcd gave no token for user " + config.username().get(), false);
        }
        token = t;
    }

    private HttpRequest request(int endpoint, String path, ObjectNode body, Duration timeout) throws IOException {
        URI uri = config.endpoints().get(endpoint).resolve(base + path);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        if (timeout != null) {
            b.timeout(timeout);
        }
        String t = token;
        if (t != null && !path.startsWith("auth/")) {
            b.header("Authorization", t);
        }
        return b.build();
    }

    private EtcdException unreachable(int endpoint, IOException e) {
        String why = e instanceof HttpTimeoutException ? "no answer in time"
                : e instanceof java.net.ConnectException ? "connection refused (is etcd running there?)"
                : e.getMessage() == null ? "the connection failed" : e.getMessage();
        return new EtcdException("cannot reach etcd at " + config.endpoints().get(endpoint) + ": " + why, true);
    }

    private static EtcdException answerError(int status, String body) {
        String message = body;
        try {
            JsonNode j = JSON.readTree(body);
            message = j.path("message").asText(j.path("error").asText(body));
        } catch (IOException ignored) {
            // not JSON: keep the text
        }
        // A gateway that cannot reach its own etcd answers 503: as good as unreachable.
        return new EtcdException("etcd refused the request (HTTP " + status + "): " + message.strip(), status >= 500);
    }

    private static Range range(JsonNode answer) {
        List<KeyValue> kvs = new ArrayList<>();
        for (JsonNode kv : answer.path("kvs")) {
            kvs.add(keyValue(kv));
        }
        return new Range(revision(answer), kvs);
    }

    static KeyValue keyValue(JsonNode kv) {
        return new KeyValue(new String(unb64(kv.path("key").asText("")), StandardCharsets.UTF_8),
                unb64(kv.path("value").asText("")), kv.path("mod_revision").asLong(0), kv.path("lease").asLong(0));
    }

    static long revision(JsonNode answer) {
        return answer.path("header").path("revision").asLong(0);
    }

    static String b64(String s) {
        return b64(s.getBytes(StandardCharsets.UTF_8));
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    static byte[] unb64(String s) {
        return Base64.getDecoder().decode(s);
    }

    /** The end of the range of keys starting with {@code prefix}: the prefix with its last byte incremented. */
    static byte[] prefixEnd(String prefix) {
        byte[] end = prefix.getBytes(StandardCharsets.UTF_8);
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                return java.util.Arrays.copyOf(end, i + 1);
            }
        }
        return new byte[]{0};
    }
}
