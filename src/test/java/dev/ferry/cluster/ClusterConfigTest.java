package dev.ferry.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.LocalConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.runtime.Reloader;
import dev.ferry.testing.EtcdServer;
import dev.ferry.testing.LeakWatch;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 21 items 1-3 against a real etcd started by the test: three instances (each a real {@link Balancer} with
 * its {@link ClusterNode}, wired as {@code ferry run} wires them) follow the shared configuration, refuse a bad one
 * together, keep serving while etcd is away and catch up, survive a compaction, serve nothing when the key is
 * deleted, and leave the member list when their lease goes.
 */
@ExtendWith(LeakWatch.class)
class ClusterConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    private EtcdServer etcd;
    private EtcdClient client;
    private TestServer a;
    private TestServer b;
    private final List<Instance> instances = new ArrayList<>();

    /** One instance: what Service does for a local file, without the process around it. */
    private record Instance(String name, ClusterNode node, Balancer balancer) implements AutoCloseable {
        @Override
        public void close() {
            node.close();
            balancer.close();
        }

        InetSocketAddress front() {
            return balancer.address("front");
        }

        int weight(String server) {
            return balancer.backends().get("pool").servers().stream().filter(s -> s.name().equals(server))
                    .findFirst().orElseThrow().weight();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        etcd = EtcdServer.start(dir);
        a = TestServer.naming("a");
        b = TestServer.naming("b");
        client = new EtcdClient(local("probe").etcd());
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Instance i : instances) {
            i.close();
        }
        a.close();
        b.close();
        etcd.close();
    }

    private LocalConfig local(String instance) throws Exception {
        Path file = dir.resolve(instance + ".yaml");
        Files.writeString(file, """
                instance: %s
                config_source:
                  etcd: { endpoints: ["%s"], prefix: /test/, dial_timeout: 1s, lease_ttl: 3s }
                """.formatted(instance, etcd.endpoint()));
        return ConfigLoader.loadLocal(file);
    }

    private String shared(int weightA, int weightB) {
        return """
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: pool }
                backends:
                  - name: pool
                    scheduler: wrr
                    servers:
                      - { name: a, address: %s, weight: %d }
                      - { name: b, address: %s, weight: %d }
                """.formatted(a.address(), weightA, b.address(), weightB);
    }

    private long put(String yaml) throws EtcdException {
        return client.put("/test/config", yaml.getBytes(StandardCharsets.UTF_8), 0);
    }

    private Instance instance(String name) throws Exception {
        ClusterNode node = new ClusterNode(local(name), Clock.systemUTC());
        FerryConfig config = node.initial();
        Balancer balancer = new Balancer(config, 1);
        balancer.start();
        Reloader reloader = node.reloader(balancer);
        node.start(reloader, "127.0.0.1:0", "test");
        Instance i = new Instance(name, node, balancer);
        instances.add(i);
        return i;
    }

    private List<Instance> three() throws Exception {
        return List.of(instance("edge-1"), instance("edge-2"), instance("edge-3"));
    }

    private static String through(InetSocketAddress front) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(front, 2000);
            s.setSoTimeout(5000);
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private Optional<JsonNode> key(String key) throws Exception {
        Optional<EtcdClient.KeyValue> kv = client.get(key).first();
        return kv.isEmpty() ? Optional.empty() : Optional.of(JSON.readTree(kv.get().value()));
    }

    @Test
    void aWeightChangedInEtcdReachesThreeInstancesWithinASecond() throws Exception {
        put(shared(1, 1));
        List<Instance> all = three();
        for (Instance i : all) {
            assertThat(i.weight("b")).isEqualTo(1);
        }
        long start = System.nanoTime();
        long revision = put(shared(1, 0));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(2))
                .until(() -> all.stream().allMatch(i -> i.weight("b") == 0));
        long ms = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("weight change in etcd reached all three instances in %d ms%n", ms);
        await().atMost(PATIENCE).until(() -> all.stream().allMatch(i -> i.node().state().revisionApplied() == revision));
        for (Instance i : all) {
            // real traffic through each instance: b has weight 0, so every connection reaches a
            for (int n = 0; n < 5; n++) {
                assertThat(through(i.front())).isEqualTo("a");
            }
        }
        await().atMost(PATIENCE).untilAsserted(() -> {
            for (Instance i : all) {
                JsonNode s = key("/test/status/" + i.name()).orElseThrow();
                assertThat(s.path("revision").asLong()).isEqualTo(revision);
                assertThat(s.path("result").asText()).isEqualTo("applied");
            }
        });
    }

    @Test
    void aBadConfigurationIsRefusedByAllAndReportedWhileTheGoodOneKeepsServing() throws Exception {
        long good = put(shared(0, 1));
        List<Instance> all = three();
        long bad = put(shared(0, 1).replace("scheduler: wrr", "scheduler: wrong"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            for (Instance i : all) {
                assertThat(i.node().state().result()).isEqualTo(ClusterState.Result.REFUSED);
                JsonNode s = key("/test/status/" + i.name()).orElseThrow();
                assertThat(s.path("result").asText()).isEqualTo("refused");
                assertThat(s.path("revision").asLong()).isEqualTo(bad);
                assertThat(s.path("problems").toString()).contains("etcd:/test/config", "scheduler", "wrong");
            }
        });
        for (Instance i : all) {
            assertThat(i.node().state().revisionApplied()).isEqualTo(good);
            assertThat(i.node().state().refusedTotal()).isEqualTo(1);
            assertThat(i.node().state().report().problems()).isNotEmpty();
            assertThat(through(i.front())).isEqualTo("b");
        }
    }

    @Test
    void instancesKeepServingWhileEtcdIsStoppedAndCatchUpWhenItIsBack() throws Exception {
        put(shared(0, 1));
        List<Instance> all = three();
        etcd.stop();
        await().atMost(PATIENCE).until(() -> all.stream().noneMatch(i -> i.node().state().etcdReachable()));
        for (Instance i : all) {
            assertThat(through(i.front())).isEqualTo("b");
            assertThat(i.node().state().report().lastError()).contains("etcd");
        }
        etcd.start();
        long revision = put(shared(1, 0));
        await().atMost(PATIENCE).until(() -> all.stream().allMatch(i -> i.weight("a") == 1 && i.weight("b") == 0
                && i.node().state().etcdReachable() && i.node().state().revisionApplied() == revision));
        for (Instance i : all) {
            assertThat(through(i.front())).isEqualTo("a");
        }
        // and their member keys are back (re-registered if the lease had expired meanwhile)
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(client.getPrefix("/test/members/").kvs())
                .hasSize(3));
    }

    @Test
    void aCompactionWhileWatchingDoesNotLoseChanges() throws Exception {
        put(shared(1, 1));
        List<Instance> all = three();
        for (int w = 2; w <= 6; w++) {
            put(shared(w, 1));
        }
        etcd.compact();
        long revision = put(shared(9, 1));
        await().atMost(PATIENCE).until(() -> all.stream().allMatch(i -> i.weight("a") == 9
                && i.node().state().revisionApplied() == revision));
        // a watch from a compacted revision is told so (what makes ConfigSource read again)
        try (EtcdWatch w = client.watch("/test/config", 2)) {
            EtcdWatch.Response r = w.next();
            while (r.created() && r.compactRevision() == 0 && !r.canceled()) {
                r = w.next();
            }
            assertThat(r.compactRevision()).isGreaterThan(2);
        }
    }

    @Test
    void aDeletedKeyAppliesAnEmptyConfigurationAndAnewOneServesAgain() throws Exception {
        put(shared(1, 0));
        List<Instance> all = three();
        long deleted = client.delete("/test/config");
        await().atMost(PATIENCE).until(() -> all.stream().allMatch(i -> i.balancer().frontends().isEmpty()));
        for (Instance i : all) {
            assertThat(i.node().state().report().empty()).isTrue();
            assertThat(i.node().state().revisionApplied()).isEqualTo(deleted);
        }
        put("   \n");
        put(shared(0, 1));
        await().atMost(PATIENCE).until(() -> all.stream().allMatch(i -> !i.balancer().frontends().isEmpty()));
        for (Instance i : all) {
            assertThat(through(i.front())).isEqualTo("b");
        }
    }

    @Test
    void anInstanceStartedBeforeTheKeyExistsServesOnceItIsWritten() throws Exception {
        Instance i = instance("early");
        assertThat(i.balancer().frontends()).isEmpty();
        put(shared(1, 0));
        await().atMost(PATIENCE).until(() -> !i.balancer().frontends().isEmpty());
        assertThat(through(i.front())).isEqualTo("a");
    }

    @Test
    void aMemberWhoseLeaseIsRevokedOrExpiresDisappears() throws Exception {
        put(shared(1, 0));
        Instance one = instance("edge-1");
        Instance two = instance("edge-2");
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(client.getPrefix("/test/members/").kvs())
                .extracting(EtcdClient.KeyValue::key).containsExactly("/test/members/edge-1", "/test/members/edge-2"));
        JsonNode member = key("/test/members/edge-1").orElseThrow();
        assertThat(member.path("address").asText()).isEqualTo("127.0.0.1:0");
        assertThat(member.path("version").asText()).isEqualTo("test");
        assertThat(member.path("started").asText()).isNotEmpty();
        // revoked behind its back (as an operator or a lost lease would): the instance registers again
        long lease = one.node().client().getPrefix("/test/members/edge-1").kvs().getFirst().lease();
        client.revoke(lease);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(key("/test/members/edge-1")).isPresent());
        // a clean stop revokes: gone at once; the other stays
        instances.remove(two);
        two.close();
        assertThat(key("/test/members/edge-2")).isEmpty();
        assertThat(key("/test/status/edge-2")).isEmpty();
        assertThat(key("/test/members/edge-1")).isPresent();
    }
}
