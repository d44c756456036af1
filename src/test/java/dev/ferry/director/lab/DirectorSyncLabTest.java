package dev.ferry.director.lab;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.ferry.director.lab.NetnsLab.VIP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Failover to a synced standby, in the pair lab (two directors between the client and the real servers, see
 * {@code scripts/netns-lab up-pair}): connections established through the active director are synced to the
 * standby; the active one is killed, the client's VIP route and the servers' default route move to the standby,
 * and the open connections carry on through it — data both ways and a clean close. Needs root; in CI a run
 * without root fails.
 */
class DirectorSyncLabTest {
    private static final int SERVERS = 3;
    private static final int CONNECTIONS = 200;
    private static NetnsLab lab;

    private final List<LabServer> servers = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private final List<LabFerry> ferries = new ArrayList<>();
    @TempDir
    Path dir;

    @BeforeAll
    static void buildLab() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("ip", "apt-get install iproute2");
        Requirements.requireCommand("curl", "apt-get install curl");
        Requirements.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun (the tun module)");
        lab = NetnsLab.upPair(SERVERS);
    }

    @AfterAll
    static void removeLab() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    @AfterEach
    void stopEverything() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        ferries.forEach(LabFerry::close);
        for (LabServer s : servers) {
            s.close();
        }
    }

    private static String config(String name, String sync, String io) {
        StringBuilder s = new StringBuilder("""
                backends:
                  - name: greeter
                    scheduler: rr
                    health_check: { type: tcp, interval: 300ms, timeout: 250ms, fall: 2, rise: 1 }
                    servers:
                """);
        for (int i = 1; i <= SERVERS; i++) {
            s.append("      - { name: rs").append(i).append(", address: ").append(NetnsLab.realServer(i))
                    .append(':').append(LabServer.TCP).append(" }\n");
        }
        return s + "directors:\n  - name: " + name + "\n    io: " + io + "\n    sync: " + sync + "\n"
                + "    services: [ { vip: " + VIP + ":" + LabServer.TCP + ", backend: greeter } ]\n";
    }

    private LabFerry ferry(String role, String yaml) throws IOException {
        Path home = Files.createDirectories(dir.resolve(role));
        LabFerry f = LabFerry.start(lab, role, home, yaml);
        ferries.add(f);
        return f;
    }

    private static Socket boundSocket() throws IOException {
        Socket s = new Socket();
        s.bind(null);
        return s;
    }

    @ParameterizedTest(name = "io: {0}")
    @ValueSource(strings = {"syscalls", "uring"})
    void establishedConnectionsSurviveTheActiveDirectorsDeathThroughTheSyncedStandby(String io) throws Exception {
        for (int i = 1; i <= SERVERS; i++) {
            servers.add(LabServer.start(lab.ns("rs" + i), "rs" + i));
        }
        LabFerry standby = ferry("dir2", config("lvs2", "{ role: standby, listen: 10.100.0.3:8848, id: 19 }", io));
        LabFerry active = ferry("dir", config("lvs1", "{ role: active, peer: 10.100.0.3:8848, id: 19 }", io));

        List<BufferedReader> readers = new ArrayList<>();
        List<String> greeted = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            Socket s = Netns.call(lab.ns("client"), DirectorSyncLabTest::boundSocket);
            sockets.add(s);
            s.setSoTimeout(10_000);
            s.connect(new InetSocketAddress(VIP, LabServer.TCP), 5_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                    StandardCharsets.US_ASCII));
            readers.add(in);
            greeted.add(in.readLine());
        }
        assertThat(greeted).allSatisfy(g -> assertThat(g).matches("rs[123]"));
        long syncStart = System.nanoTime();
        JsonNode synced = await().atMost(Duration.ofSeconds(10)).until(standby::director,
                d -> d.path("states").path("ESTABLISHED").asInt() == CONNECTIONS);
        long syncMillis = (System.nanoTime() - syncStart) / 1_000_000;
        assertThat(synced.path("sync").path("rejected").asInt()).isZero();
        JsonNode sent = active.director().path("sync");
        assertThat(sent.path("role").asText()).isEqualTo("active");
        assertThat(sent.path("dropped").asInt()).isZero();

        // The active director dies; the routes move to the standby (what keepalived would do).
        active.close();
        lab.failover();

        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<String>> answers = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            Socket s = sockets.get(i);
            BufferedReader in = readers.get(i);
            answers.add(pool.submit(() -> {
                OutputStream out = s.getOutputStream();
                out.write("after the failover\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                s.shutdownOutput();
                String bye = in.readLine();
                return in.read() == -1 ? bye : bye + " (not closed)";
            }));
        }
        int survived = 0;
        List<String> failures = new ArrayList<>();
        for (Future<String> f : answers) {
            try {
                String bye = f.get();
                if ("bye 19".equals(bye)) {
                    survived++;
                } else {
                    failures.add(String.valueOf(bye));
                }
            } catch (java.util.concurrent.ExecutionException e) {
                failures.add(e.getCause().toString());
            }
        }
        pool.close();
        JsonNode after = standby.director();
        System.out.printf("sync lab: %d of %d established connections survived the failover (synced in <= %d ms"
                        + " after the last handshake; standby packets in %d out %d, no_entry drops %d)%s%n",
                survived, CONNECTIONS, syncMillis, after.path("packets").path("in").asLong(),
                after.path("packets").path("out").asLong(), after.path("drops").path("no_entry").asLong(),
                failures.isEmpty() ? "" : "; failures: " + failures.subList(0, Math.min(5, failures.size())));
        assertThat(survived).as("connections that survived, of %d", CONNECTIONS)
                .isGreaterThanOrEqualTo(CONNECTIONS * 99 / 100);
        assertThat(after.path("packets").path("in").asLong()).isPositive();
        assertThat(after.path("packets").path("out").asLong()).isPositive();
    }
}
