package dev.ferry.director.lab;

import dev.ferry.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.ferry.director.lab.ClusterLab.DIRECTOR_VIP;
import static dev.ferry.director.lab.ClusterLab.PROXY_VIP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 21 item 6, through {@code scripts/cluster-lab}'s topology: a client behind a router whose ECMP route (L4
 * hash) spreads the VIPs over three Ferry instances, each its own process in its own namespace on the same shared
 * configuration (proxies on one VIP, the VS/DR director with mh and sloppy_tcp on the other), three real servers.
 * New connections spread over the instances; with instance f1 stopped (its next hop withdrawn, its process ended),
 * established director connections (long TCP streams) go on to the very real servers they had, and new connections
 * go to f2 and f3. Needs root; in CI a run without it fails. The tests run in order: the second stops f1.
 */
@Timeout(600)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterLabTest {
    private static final int STREAMS = 24;
    private static final int REQUESTS = 45;
    private static ClusterLab lab;
    private static final List<LabServer> servers = new ArrayList<>();
    private static final List<Process> instances = new ArrayList<>();
    @TempDir
    static Path dir;

    @BeforeAll
    static void buildLab() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("ip", "apt-get install iproute2");
        Requirements.requireCommand("curl", "apt-get install curl");
        Requirements.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun (the tun module)");
        lab = ClusterLab.up();
        for (int i = 1; i <= 3; i++) {
            servers.add(LabServer.start(lab.ns("rs" + i), "rs" + i, ClusterLab.instance(1)));
        }
        NetnsLab.Result config = NetnsLab.run(10, Path.of("scripts/cluster-lab").toAbsolutePath().toString(),
                "config");
        assertThat(config.exit()).isZero();
        for (int i = 1; i <= 3; i++) {
            instances.add(lab.startInstance(i, dir, config.output()));
        }
    }

    @AfterAll
    static void removeLab() throws Exception {
        for (LabServer s : servers) {
            s.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    /** How many of {@code REQUESTS} new HTTP connections through the proxies' VIP each instance took. */
    private static Map<String, Integer> proxiedSpread() throws Exception {
        Map<String, Integer> byInstance = new TreeMap<>();
        for (int i = 0; i < REQUESTS; i++) {
            NetnsLab.Result r = lab.exec("client", 15, "curl", "-sS", "--max-time", "10",
                    "http://" + PROXY_VIP + ":" + LabServer.HTTP + "/");
            assertThat(r.exit()).as("request %d: %s", i, r.output()).isZero();
            // "rsN 10.102.0.1X:PORT": the real server saw instance X's address.
            String from = r.output().trim().split(" ")[1].split(":")[0];
            byInstance.merge("f" + from.substring(from.length() - 1), 1, Integer::sum);
        }
        return byInstance;
    }

    @Test
    @Order(1)
    void newConnectionsSpreadOverTheThreeInstances() throws Exception {
        Map<String, Integer> spread = proxiedSpread();
        System.out.println("cluster lab: " + REQUESTS + " proxied connections by instance: " + spread);
        assertThat(spread).containsOnlyKeys("f1", "f2", "f3");
    }

    /** A director connection from the client: the greeter's socket and the real server that greeted it. */
    private record Stream(Socket socket, BufferedReader in, String server) {
    }

    private static Stream open() throws Exception {
        Socket s = Netns.call(lab.ns("client"), () -> {
            Socket b = new Socket();
            b.bind(null);
            return b;
        });
        s.setSoTimeout(30_000);
        s.connect(new InetSocketAddress(DIRECTOR_VIP, LabServer.TCP), 10_000);
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
        return new Stream(s, in, in.readLine());
    }

    @Test
    @Order(2)
    void establishedDirectorConnectionsContinueOnTheirRealServersWhenTheirInstanceStops() throws Exception {
        List<Stream> streams = new ArrayList<>();
        try {
            for (int i = 0; i < STREAMS; i++) {
                streams.add(open());
            }
            byte[] chunk = new byte[1000];
            for (Stream s : streams) {
                assertThat(s.server()).isIn("rs1", "rs2", "rs3");
                s.socket().getOutputStream().write(chunk);
            }
            // f1 carries some of them (24 flows over 3 next hops: all elsewhere has odds of 6e-5).
            await().atMost(Duration.ofSeconds(20)).until(() -> lab.get(1, "/api/v1/directors")
                    .path("directors").path(0).path("connections").asInt() > 0);
            int onF1 = lab.get(1, "/api/v1/directors").path("directors").path(0).path("connections").asInt();

            lab.route(2, 3);
            ClusterLab.stop(instances.get(0));

            // Every stream goes on: more data, then the client's FIN; its server counts every byte, so the whole
            // stream reached the one server that greeted it (another would have reset it: it has no such socket).
            for (Stream s : streams) {
                s.socket().getOutputStream().write(chunk);
                s.socket().shutdownOutput();
            }
            for (Stream s : streams) {
                assertThat(s.in().readLine()).as("the stream greeted by %s", s.server()).isEqualTo("bye 2000");
            }
            int picked = 0;
            for (int n = 2; n <= 3; n++) {
                picked += lab.get(n, "/api/v1/directors").path("directors").path(0).path("connections").asInt();
            }
            System.out.printf("cluster lab: %d director streams, %d of them on f1 when it stopped; all %d went on "
                    + "to their real servers (f2 and f3 hold %d entries)%n", STREAMS, onF1, STREAMS, picked);
        } finally {
            for (Stream s : streams) {
                s.socket().close();
            }
        }
    }

    @Test
    @Order(3)
    void withTheInstanceStoppedItsNewConnectionsGoToTheOthers() throws Exception {
        if (instances.get(0).isAlive()) {
            lab.route(2, 3);
            ClusterLab.stop(instances.get(0));
        }
        Map<String, Integer> spread = proxiedSpread();
        System.out.println("cluster lab: with f1 stopped, " + REQUESTS + " proxied connections by instance: "
                + spread);
        assertThat(spread).containsOnlyKeys("f2", "f3");
    }
}
