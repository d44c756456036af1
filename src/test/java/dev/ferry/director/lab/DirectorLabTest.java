package dev.ferry.director.lab;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Collectors;

import static dev.ferry.director.lab.NetnsLab.VIP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The director end to end, in director.md's lab: a client namespace, the director's namespace with Ferry and its TUN
 * device, three real servers behind a bridge whose default route is the director. Real clients (curl, wrk, Java
 * sockets inside the client's namespace), real servers, real packets; the TCP connection is the client's own.
 * Needs root (network namespaces); in CI a run without root fails.
 */
class DirectorLabTest {
    private static final int SERVERS = 3;
    private static NetnsLab lab;

    private final List<LabServer> servers = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private LabFerry ferry;
    @TempDir
    Path dir;

    @BeforeAll
    static void buildLab() throws Exception {
        Requirements.requireRoot();
        Requirements.requireCommand("ip", "apt-get install iproute2");
        Requirements.requireCommand("curl", "apt-get install curl");
        Requirements.require(Files.exists(Path.of("/dev/net/tun")), "/dev/net/tun (the tun module)");
        lab = NetnsLab.up(SERVERS);
    }

    @AfterAll
    static void removeLab() throws Exception {
        if (lab != null) {
            lab.close();
        }
    }

    @BeforeEach
    void startServers() throws Exception {
        for (int i = 1; i <= SERVERS; i++) {
            servers.add(LabServer.start(lab.ns("rs" + i), "rs" + i));
        }
    }

    @AfterEach
    void stopEverything() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (ferry != null) {
            ferry.close();
        }
        for (LabServer s : servers) {
            s.close();
        }
    }

    /** Three backends over the real servers (HTTP, the TCP greeter, UDP) and a director with their services. */
    private static String config(String scheduler, String weights, String director) {
        String[] w = weights.split(",");
        StringBuilder s = new StringBuilder("backends:\n");
        for (String[] b : List.of(new String[]{"web", "8080", "check"}, new String[]{"greeter", "9000", "check"},
                new String[]{"dgram", "5300", ""}, new String[]{"closed", "5399", ""})) {
            s.append("  - name: ").append(b[0]).append("\n    scheduler: ").append(scheduler).append('\n');
            if (!b[2].isEmpty()) {
                s.append("    health_check: { type: tcp, interval: 300ms, timeout: 250ms, fall: 2, rise: 1 }\n");
            }
            s.append("    servers:\n");
            for (int i = 1; i <= SERVERS; i++) {
                s.append("      - { name: rs").append(i).append(", address: ").append(NetnsLab.realServer(i))
                        .append(':').append(b[1]).append(", weight: ").append(w[i - 1].trim()).append(" }\n");
            }
        }
        return s + "directors:\n  - name: lvs1\n" + director + """
                    services:
                      - { vip: 10.200.0.100:80, backend: web }
                      - { vip: 10.200.0.100:9000, backend: greeter }
                      - { vip: 10.200.0.100:5300, protocol: udp, backend: dgram }
                      - { vip: 10.200.0.100:5399, protocol: udp, backend: closed }
                """;
    }

    private void startFerry(String yaml) throws IOException {
        ferry = LabFerry.start(lab, dir, yaml);
    }

    /**
     * Ferry on {@code yaml} whose director moves packets with {@code io} ({@code uring}: through an io_uring per
     * queue; {@code syscalls}: a read and a write per packet), checked in its report: a uring run that fell back to
     * system calls would not test the ring.
     */
    private void startFerry(String yaml, String io) throws Exception {
        startFerry(yaml.replace("directors:\n  - name: lvs1\n", "directors:\n  - name: lvs1\n" + io(io)));
        assertThat(ferry.director().path("io").asText()).as(ferry.director().toString()).isEqualTo(io);
    }

    private static String io(String io) {
        return "    io: " + io + "\n";
    }

    private NetnsLab.Result fromClient(int seconds, String... command) throws Exception {
        return lab.exec("client", seconds, command);
    }

    /** A TCP connection from the client's namespace to the VIP's greeter service; returns it with the greeting. */
    private Greeted greeter() throws Exception {
        Greeted g = Greeted.connect(lab, VIP);
        sockets.add(g.socket());
        return g;
    }

    /** A TCP socket of the client's namespace. */
    private Socket clientSocket() throws Exception {
        return Netns.call(lab.ns("client"), DirectorLabTest::boundSocket);
    }

    /**
     * A socket bound to an ephemeral port: binding makes its descriptor now, on this thread and so in this thread's
     * namespace ({@code new Socket()} alone makes it only when connecting, on whatever thread that is).
     */
    private static Socket boundSocket() throws IOException {
        Socket s = new Socket();
        s.bind(null);
        return s;
    }

    private LabServer server(String name) {
        return servers.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    @ParameterizedTest(name = "io: {0}")
    @ValueSource(strings = {"syscalls", "uring"})
    void curlThroughTheVipReachesEveryRealServerInWrrProportionAndEachSeesTheClientsOwnAddress(String io) throws Exception {
        startFerry(config("wrr", "1,2,3", ""), io);
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "-m", "30", "-H", "Connection: close"));
        for (int i = 0; i < 60; i++) {
            command.add("http://" + VIP + "/");
        }

        NetnsLab.Result r = fromClient(60, command.toArray(String[]::new));

        assertThat(r.exit()).as(r.output()).isZero();
        List<String> lines = r.output().lines().toList();
        assertThat(lines).hasSize(60).allSatisfy(l -> assertThat(l).matches("rs[123] 10\\.100\\.0\\.2:\\d+"));
        Map<String, Long> byServer = lines.stream().collect(Collectors.groupingBy(l -> l.split(" ")[0],
                TreeMap::new, Collectors.counting()));
        // IPVS wrr over weights 1, 2, 3: every round of six gives exactly 1, 2 and 3.
        assertThat(byServer).isEqualTo(Map.of("rs1", 10L, "rs2", 20L, "rs3", 30L));
        for (LabServer s : servers) {
            assertThat(s.clients()).as("addresses %s saw", s.name()).isNotEmpty().containsOnly("10.100.0.2");
        }
        // The table's counters are published every 100 ms.
        await().atMost(Duration.ofSeconds(5)).until(() -> ferry.director().path("services").path(0)
                .path("connections").asInt() == 60);
        JsonNode d = ferry.director();
        assertThat(d.path("packets").path("in").asLong()).isPositive();
        assertThat(d.path("packets").path("out").asLong()).isPositive();
        assertThat(ferry.metrics()).contains("ferry_director_packets_total{direction=\"in\",director=\"lvs1\"}")
                .contains("ferry_director_connections{director=\"lvs1\",service=\"tcp 10.200.0.100:80\","
                        + "state=\"TIME_WAIT\"}");
    }

    @Test
    void wrkFromTheClientNamespaceSpreadsNewConnectionsInWrrProportion() throws Exception {
        Requirements.requireCommand("wrk", "apt-get install wrk");
        startFerry(config("wrr", "1,2,3", ""));

        NetnsLab.Result r = fromClient(60, "wrk", "-t1", "-c6", "-d2s", "-H", "Connection: close",
                "http://" + VIP + "/");

        assertThat(r.exit()).as(r.output()).isZero();
        int total = servers.stream().mapToInt(s -> s.clients().size()).sum();
        assertThat(total).as(r.output()).isGreaterThan(60);
        // Each request came on its own connection; wrr hands those out 1:2:3 in rounds of six, so a server is at
        // most a few in-flight connections off its share.
        for (int i = 0; i < SERVERS; i++) {
            double share = total * (i + 1) / 6.0;
            assertThat((double) servers.get(i).clients().size()).as("requests of rs%d of %d", i + 1, total)
                    .isBetween(share - 6 - total * 0.02, share + 6 + total * 0.02);
        }
    }

    @ParameterizedTest(name = "io: {0}")
    @ValueSource(strings = {"syscalls", "uring"})
    void aHundredMebibyteDownloadAndUploadPassIntact(String io) throws Exception {
        startFerry(config("rr", "1,1,1", ""), io);
        long size = 100L << 20;
        MessageDigest expected = LabServer.sha256();
        byte[] chunk = new byte[64 * 1024];
        for (long at = 0; at < size; at += chunk.length) {
            for (int i = 0; i < chunk.length; i++) {
                chunk[i] = LabServer.pattern(at + i);
            }
            expected.update(chunk);
        }

        NetnsLab.Result down = fromClient(300, "sh", "-c", "curl -sS -m 240 http://" + VIP + "/bytes/" + size
                + " | sha256sum");

        assertThat(down.exit()).as(down.output()).isZero();
        assertThat(down.output()).startsWith(HexFormat.of().formatHex(expected.digest()));

        Path upload = dir.resolve("upload.bin");
        byte[] data = new byte[(int) size];
        new Random(16).nextBytes(data);
        Files.write(upload, data);
        NetnsLab.Result up = fromClient(300, "curl", "-sS", "-m", "240", "--data-binary", "@" + upload,
                "http://" + VIP + "/upload");

        assertThat(up.exit()).as(up.output()).isZero();
        assertThat(up.output().trim()).isEqualTo(size + " "
                + HexFormat.of().formatHex(LabServer.sha256().digest(data)));
    }

    @ParameterizedTest(name = "io: {0}")
    @ValueSource(strings = {"syscalls", "uring"})
    void twoWorkersOnTwoQueuesKeepWrrExactAndCarryADownloadAndKeepAliveLoadIntact(String io) throws Exception {
        Requirements.requireCommand("wrk", "apt-get install wrk");
        startFerry(config("wrr", "1,2,3", "    workers: 2\n"), io);
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "-m", "30", "-H", "Connection: close"));
        for (int i = 0; i < 60; i++) {
            command.add("http://" + VIP + "/");
        }

        NetnsLab.Result r = fromClient(60, command.toArray(String[]::new));

        assertThat(r.exit()).as(r.output()).isZero();
        Map<String, Long> byServer = r.output().lines().collect(Collectors.groupingBy(l -> l.split(" ")[0],
                TreeMap::new, Collectors.counting()));
        // The workers schedule on the same backend: one wrr sequence, whichever worker a connection belongs to.
        assertThat(byServer).isEqualTo(Map.of("rs1", 10L, "rs2", 20L, "rs3", 30L));

        long size = 32L << 20;
        NetnsLab.Result down = fromClient(120, "sh", "-c", "curl -sS -m 100 http://" + VIP + "/bytes/" + size
                + " | wc -c");
        assertThat(down.exit()).as(down.output()).isZero();
        assertThat(down.output().trim()).isEqualTo(Long.toString(size));

        NetnsLab.Result load = fromClient(60, "wrk", "-t2", "-c16", "-d2s", "http://" + VIP + "/");
        assertThat(load.exit()).as(load.output()).isZero();
        assertThat(load.output()).as(load.output()).doesNotContain("Socket errors").doesNotContain("Non-2xx");
        JsonNode d = ferry.director();
        long packets = d.path("packets").path("in").asLong() + d.path("packets").path("out").asLong();
        long handedOver = d.path("handed_over").asLong();
        assertThat(d.path("workers").asInt()).isEqualTo(2);
        // The kernel learns which queue writes a flow and steers the flow there: hand-overs are the exception.
        assertThat(handedOver).as(d.toString()).isPositive().isLessThan(packets / 10);
        assertThat(d.path("drops").path("handoff_full").asLong()).isZero();
    }

    @ParameterizedTest(name = "io: {0}")
    @ValueSource(strings = {"syscalls", "uring"})
    void halfCloseAndResetPassEndToEnd(String io) throws Exception {
        startFerry(config("rr", "1,1,1", ""), io);

        Greeted g = greeter();
        assertThat(g.server()).isEqualTo("rs1");
        // The client's FIN reaches the server, whose answer still comes back on the half-closed connection.
        assertThat(g.finish("hello".getBytes(StandardCharsets.US_ASCII))).isEqualTo("bye 5");

        // The server resets: its RST comes back to the client through the director.
        Greeted r = greeter();
        assertThat(r.server()).isEqualTo("rs2");
        r.socket().getOutputStream().write('R');
        assertThatThrownBy(() -> r.in().readLine()).isInstanceOf(java.net.SocketException.class)
                .hasMessageContaining("reset");
        await().atMost(Duration.ofSeconds(5)).until(() -> ferry.director().path("services").path(1).path("states")
                .path("CLOSE").asInt() == 1);

        // The client resets: its RST reaches the server, whose read ends in "connection reset".
        Greeted c = greeter();
        assertThat(c.server()).isEqualTo("rs3");
        c.socket().setSoLinger(true, 0);
        c.socket().close();
        await().atMost(Duration.ofSeconds(5)).until(() -> server("rs3").resets() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> ferry.director().path("services").path(1).path("states")
                .path("CLOSE").asInt() == 2);
    }

    @Test
    void aKilledServerIsTakenOutAndNewConnectionsGoElsewhereWhileOthersCarryOn() throws Exception {
        startFerry(config("rr", "1,1,1", ""));
        Greeted held = greeter();
        assertThat(held.server()).isEqualTo("rs1");

        server("rs2").close();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            for (JsonNode b : ferry.get("/api/v1/status").path("backends")) {
                if (b.path("name").asText().equals("greeter")) {
                    return "down".equals(b.path("servers").path(1).path("state").asText());
                }
            }
            return false;
        });

        List<String> picked = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Greeted g = greeter();
            picked.add(g.server());
            assertThat(g.finish(new byte[0])).isEqualTo("bye 0");
        }
        assertThat(picked).doesNotContain("rs2").contains("rs1", "rs3");
        assertThat(held.finish(new byte[100])).as("the connection held across the failure").isEqualTo("bye 100");
    }

    /** The web backend with checks, and a director whose services persist (issue 19 item 5). */
    private static String persistentConfig(String services) {
        StringBuilder s = new StringBuilder("""
                backends:
                  - name: web
                    scheduler: rr
                    health_check: { type: tcp, interval: 300ms, timeout: 250ms, fall: 2, rise: 1 }
                    servers:
                """);
        for (int i = 1; i <= SERVERS; i++) {
            s.append("      - { name: rs").append(i).append(", address: ").append(NetnsLab.realServer(i))
                    .append(':').append(LabServer.HTTP).append(" }\n");
        }
        return s + "directors:\n  - name: lvs1\n    services:\n" + services;
    }

    /** {@code count} requests with curl from the client, a new connection each; the servers that answered, in order. */
    private List<String> curlServers(String url, int count) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "-m", "30", "-H", "Connection: close"));
        for (int i = 0; i < count; i++) {
            command.add(url);
        }
        NetnsLab.Result r = fromClient(60, command.toArray(String[]::new));
        assertThat(r.exit()).as(r.output()).isZero();
        return r.output().lines().map(l -> l.split(" ")[0]).toList();
    }

    @Test
    void persistenceKeepsAClientOnOneServerAcrossFiftyConnectionsAndMovesItWhenThatServerGoesDown() throws Exception {
        startFerry(persistentConfig("      - { vip: 10.200.0.100:80, backend: web, persistence: { timeout: 60s } }\n"));

        List<String> first = curlServers("http://" + VIP + "/", 50);
        assertThat(first).hasSize(50).containsOnly(first.getFirst());
        JsonNode listed = ferry.get("/api/v1/directors/lvs1/connections");
        assertThat(listed.path("templates_total").asInt()).isEqualTo(1);
        assertThat(listed.path("templates").path(0).path("client").asText()).isEqualTo("10.100.0.2:0");
        assertThat(listed.path("templates").path(0).path("server").asText()).isEqualTo(first.getFirst());

        server(first.getFirst()).close();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            for (JsonNode b : ferry.get("/api/v1/status").path("backends")) {
                for (JsonNode srv : b.path("servers")) {
                    if (srv.path("name").asText().equals(first.getFirst())) {
                        return "down".equals(srv.path("state").asText());
                    }
                }
            }
            return false;
        });
        List<String> after = curlServers("http://" + VIP + "/", 20);
        assertThat(after).hasSize(20).containsOnly(after.getFirst()).doesNotContain(first.getFirst());
        assertThat(ferry.metrics()).contains("ferry_director_persistence_templates{director=\"lvs1\"} 1");
    }

    @Test
    void aServiceOfEveryPortKeepsTwoPortsOfOneClientOnOneServer() throws Exception {
        startFerry(persistentConfig("      - { vip: 10.200.0.100:0, backend: web, persistence: { timeout: 60s } }\n"));

        for (int i = 0; i < 5; i++) {
            // HTTP on port 8080 and the greeter on 9000, each reaching the real server's own port.
            List<String> web = curlServers("http://" + VIP + ":" + LabServer.HTTP + "/", 1);
            Greeted g = greeter();
            assertThat(g.server()).as("round %d", i).isEqualTo(web.getFirst());
            assertThat(g.finish(new byte[10])).isEqualTo("bye 10");
        }
        JsonNode listed = ferry.get("/api/v1/directors/lvs1/connections");
        assertThat(listed.path("templates")).singleElement()
                .satisfies(t -> assertThat(t.path("virtual").asText()).isEqualTo(VIP + ":0"));
    }

    @Test
    void leastConnectionFollowsIpvsActiveAndInactiveCountsThroughRealHandshakesAndCloses() throws Exception {
        startFerry(config("lc", "1,1,1", ""));
        Greeted a = greeter();
        Greeted b = greeter();
        Greeted c = greeter();
        assertThat(List.of(a.server(), b.server(), c.server())).containsExactly("rs1", "rs2", "rs3");

        // b ends: its entry leaves ESTABLISHED, so rs2 has 0 active and 1 inactive (overhead 1) against 256.
        assertThat(b.finish(new byte[0])).isEqualTo("bye 0");
        await().atMost(Duration.ofSeconds(10)).until(() -> ferry.director().path("services").path(1).path("states")
                .path("ESTABLISHED").asInt() == 2);
        Greeted d = greeter();
        assertThat(d.server()).isEqualTo("rs2");
        // Now rs1 and rs3 cost 256 and rs2 257: the first of the least, rs1.
        assertThat(greeter().server()).isEqualTo("rs1");
        JsonNode rs2 = ferry.get("/api/v1/backends/greeter/servers/rs2");
        assertThat(rs2.path("active").asInt()).as(rs2.toString()).isEqualTo(1);
        assertThat(rs2.path("inactive").asInt()).as(rs2.toString()).isEqualTo(1);
    }

    @ParameterizedTest(name = "io: {0}")
    @ValueSource(strings = {"syscalls", "uring"})
    void entriesExpireAtTheirTimeoutAndALaterNonSynPacketIsDropped(String io) throws Exception {
        startFerry(config("rr", "1,1,1", "    timeouts: { tcp: 1s }\n"), io);
        Greeted g = greeter();
        await().atMost(Duration.ofSeconds(5)).until(() -> ferry.director().path("states").path("ESTABLISHED")
                .asInt() == 1);

        await().atMost(Duration.ofSeconds(10)).until(() -> ferry.director().path("connections").asInt() == 0);
        assertThat(ferry.director().path("expired").asLong()).isEqualTo(1);
        assertThat(ferry.get("/api/v1/directors/lvs1/connections").path("connections")).isEmpty();

        g.socket().getOutputStream().write("late".getBytes(StandardCharsets.US_ASCII));
        g.socket().getOutputStream().flush();
        await().atMost(Duration.ofSeconds(10)).until(() -> ferry.director().path("drops").path("no_entry")
                .asLong() >= 1);
        assertThat(server(g.server()).clients()).hasSize(1);
    }

    @ParameterizedTest(name = "io: {0}")
    @ValueSource(strings = {"syscalls", "uring"})
    void udpIsBalancedAndAnIcmpPortUnreachableFromARealServerReachesTheClient(String io) throws Exception {
        startFerry(config("rr", "1,1,1", ""), io);
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            DatagramSocket s = Netns.call(lab.ns("client"), DatagramSocket::new);
            try (s) {
                s.setSoTimeout(5_000);
                s.connect(new InetSocketAddress(VIP, LabServer.UDP));
                s.send(new DatagramPacket("ping".getBytes(), 4));
                DatagramPacket p = new DatagramPacket(new byte[100], 100);
                s.receive(p);
                answers.add(new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII));
                assertThat(p.getSocketAddress()).isEqualTo(new InetSocketAddress(VIP, LabServer.UDP));
            }
        }
        assertThat(answers).containsExactlyInAnyOrder("rs1 ping", "rs2 ping", "rs3 ping");
        await().atMost(Duration.ofSeconds(5)).until(() -> ferry.director().path("udp").asInt() == 3);

        DatagramSocket s = Netns.call(lab.ns("client"), DatagramSocket::new);
        try (s) {
            s.setSoTimeout(5_000);
            s.connect(new InetSocketAddress(VIP, 5399));
            s.send(new DatagramPacket("ping".getBytes(), 4));
            // The real server's ICMP port unreachable, its addresses put back to the VIP's: the connected socket
            // hears it as ECONNREFUSED.
            assertThatThrownBy(() -> s.receive(new DatagramPacket(new byte[100], 100)))
                    .isInstanceOf(PortUnreachableException.class);
        }
        assertThat(ferry.director().path("icmp_forwarded").asLong()).isEqualTo(1);
    }

    @Test
    void theTableLimitHoldsUnderAFloodOfNewConnections() throws Exception {
        startFerry(config("rr", "1,1,1", "    max_connections: 20\n"));
        int flood = 60;
        List<Socket> unconnected = Netns.call(lab.ns("client"), () -> {
            List<Socket> l = new ArrayList<>();
            for (int i = 0; i < flood; i++) {
                l.add(boundSocket());
            }
            return l;
        });
        sockets.addAll(unconnected);
        int connected = 0;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (Socket s : unconnected) {
                results.add(pool.submit(() -> {
                    try {
                        s.connect(new InetSocketAddress(VIP, LabServer.TCP), 1_500);
                        return true;
                    } catch (IOException e) {
                        return false;
                    }
                }));
            }
            for (Future<Boolean> f : results) {
                connected += f.get() ? 1 : 0;
            }
        }

        assertThat(connected).isEqualTo(20);
        await().atMost(Duration.ofSeconds(5)).until(() -> ferry.director().path("connections").asInt() == 20);
        JsonNode d = ferry.director();
        assertThat(d.path("max_connections").asInt()).isEqualTo(20);
        assertThat(d.path("drops").path("table_full").asLong()).isGreaterThanOrEqualTo(flood - 20);
        int atServers = servers.stream().mapToInt(LabServer::tcpConnections).sum();
        assertThat(atServers).isEqualTo(20);
    }

    @Test
    void aSynFloodLeavesAKeepAliveClientWithoutErrorsTheTableWithinItsLimitAndTheApiAnswering() throws Exception {
        Requirements.requireCommand("wrk", "apt-get install wrk");
        Requirements.requireCommand("gcc", "apt-get install gcc libc6-dev");
        Path flooder = dir.resolve("synflood");
        NetnsLab.Result built = NetnsLab.run(60, "gcc", "-O2", "-o", flooder.toString(),
                Path.of("bench/lib/synflood.c").toAbsolutePath().toString());
        assertThat(built.exit()).as(built.output()).isZero();
        startFerry(config("rr", "1,1,1", """
                    max_connections: 3000
                    defense: { threshold: 80, drop_entry: auto, drop_packet: auto, secure_tcp: auto }
                """));
        Path wrkLog = dir.resolve("wrk.txt");
        Process wrk = lab.start("client", wrkLog, "wrk", "-t1", "-c8", "-d14s", "--timeout", "10s",
                "http://" + VIP + "/");
        try {
            Thread.sleep(2_000); // wrk's eight connections are established before the flood
            List<Long> apiMillis = new ArrayList<>();
            List<String> active = new ArrayList<>();
            Thread watcher = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 8; i++) {
                        long t0 = System.nanoTime();
                        JsonNode d = ferry.director();
                        apiMillis.add((System.nanoTime() - t0) / 1_000_000);
                        d.path("defense").path("active").forEach(a -> active.add(a.asText()));
                        assertThat(d.path("connections").asInt()).isLessThanOrEqualTo(3000);
                        Thread.sleep(700);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // Bounded: 300,000 forged SYNs or 8 s, whichever comes first.
            NetnsLab.Result flood = fromClient(30, flooder.toString(), VIP, "80", "300000", "8");
            assertThat(flood.exit()).as(flood.output()).isZero();
            watcher.join(30_000);
            assertThat(wrk.waitFor(40, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            String w = Files.readString(wrkLog);
            System.out.println("syn flood: " + flood.output().strip() + "; admin API answered in " + apiMillis
                    + " ms; in force: " + active.stream().distinct().toList() + "\n" + w);
            assertThat(w).contains("requests in").doesNotContain("Socket errors").doesNotContain("Non-2xx");
            assertThat(apiMillis).hasSize(8);
            assertThat(active).contains("drop_entry", "drop_packet", "secure_tcp");
            JsonNode d = ferry.director();
            assertThat(d.path("connections").asInt()).isLessThanOrEqualTo(3000);
            long refused = d.path("drops").path("defense").asLong() + d.path("drops").path("table_full").asLong();
            assertThat(refused + d.path("defense").path("entries_dropped").asLong()).isPositive();
            assertThat(d.path("defense").path("new_connections_dropped").asLong())
                    .isEqualTo(d.path("drops").path("defense").asLong());
        } finally {
            wrk.destroyForcibly();
        }
    }

    @ParameterizedTest(name = "io: {0}")
    @ValueSource(strings = {"syscalls", "uring"})
    void aReloadChangesWeightsAndTimeoutsWithoutDroppingATrackedConnection(String io) throws Exception {
        startFerry(config("wrr", "1,1,1", ""), io);
        Greeted held = greeter();
        assertThat(held.server()).isEqualTo("rs1");

        JsonNode report = ferry.reload(config("wrr", "0,1,1", "    timeouts: { tcp: 600s }\n" + io(io)));

        assertThat(report.path("reloaded").asBoolean()).as(report.toString()).isTrue();
        assertThat(report.path("changes").toString()).contains("director lvs1: updated");
        List<String> picked = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Greeted g = greeter();
            picked.add(g.server());
            g.finish(new byte[0]);
        }
        assertThat(picked).as("weight 0 quiesces rs1").containsOnly("rs2", "rs3");
        assertThat(held.finish(new byte[7])).isEqualTo("bye 7");
        assertThat(ferry.director().path("timeouts").path("tcp").asText()).isEqualTo("600s");
        Function<JsonNode, String> device = j -> j.path("device").asText();
        assertThat(device.apply(ferry.director())).isEqualTo("ferry0");
    }

    @Test
    void withoutCapNetAdminFerrySaysSoInOneLineAndExits2() throws Exception {
        Requirements.requireCommand("setpriv", "apt-get install util-linux");
        Path config = dir.resolve("nocap.yaml");
        Files.writeString(config, config("rr", "1,1,1", ""));
        String java = ProcessHandle.current().info().command().orElse("java");

        // In the client's namespace, so that nothing could touch the machine's own devices even with the capability.
        NetnsLab.Result r = fromClient(60, "setpriv", "--inh-caps=-net_admin", "--bounding-set=-net_admin", java,
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.ferry.Ferry",
                "run", "-c", config.toString());

        assertThat(r.exit()).as(r.output()).isEqualTo(2);
        assertThat(r.output().lines().filter(l -> l.startsWith("ferry:")).toList()).as(r.output()).singleElement()
                .satisfies(l -> assertThat(l).contains("director 'lvs1'").contains("CAP_NET_ADMIN"));
        assertThat(r.output()).doesNotContain("Exception").doesNotContain("\tat ");
    }
}
