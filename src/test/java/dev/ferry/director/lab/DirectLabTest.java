package dev.ferry.director.lab;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.testing.Requirements;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
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
import java.util.stream.Collectors;

import static dev.ferry.director.lab.NetnsLab.TUNNEL_DIRECTOR;
import static dev.ferry.director.lab.NetnsLab.TUNNEL_VIP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * VS/DR end to end (issue 19 item 3), in director.md's DIRECT lab: client, director and three real servers on one
 * bridge; the client routes the VIP to the director, whose Ferry sends each packet unchanged in a frame to a real
 * server's MAC (an AF_PACKET socket on its interface d0, the MAC from the kernel's neighbour table); each real
 * server holds the VIP on lo without answering ARP for it, and answers the client directly, from the VIP. Real
 * clients (curl, wrk, Java sockets in the client's namespace), real servers, real frames. Needs root; in CI a run
 * without root fails.
 */
class DirectLabTest {
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
        lab = NetnsLab.upDirect(SERVERS);
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
            // UDP bound to the VIP, whose answers must come from it (see TunnelLabTest).
            servers.add(LabServer.start(lab.ns("rs" + i), "rs" + i, TUNNEL_DIRECTOR, TUNNEL_VIP));
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

    /** Backends over the real servers (HTTP, the TCP greeter, UDP) and a director with direct services for them. */
    private static String config(String scheduler, String weights) {
        String[] w = weights.split(",");
        StringBuilder s = new StringBuilder("backends:\n");
        for (String[] b : List.of(new String[]{"web", "8080", "check"}, new String[]{"greeter", "9000", "check"},
                new String[]{"dgram", "5300", ""})) {
            s.append("  - name: ").append(b[0]).append("\n    scheduler: ").append(scheduler).append('\n');
            if (!b[2].isEmpty()) {
                s.append("    health_check: { type: tcp, interval: 300ms, timeout: 250ms, fall: 2, rise: 1 }\n");
            }
            s.append("    servers:\n");
            for (int i = 1; i <= SERVERS; i++) {
                s.append("      - { name: rs").append(i).append(", address: ").append(NetnsLab.tunnelServer(i))
                        .append(':').append(b[1]).append(", weight: ").append(w[i - 1].trim()).append(" }\n");
            }
        }
        return s + """
                directors:
                  - name: lvs1
                    interface: d0
                    services:
                      - { vip: 10.100.0.100:8080, backend: web, forwarding: direct }
                      - { vip: 10.100.0.100:9000, backend: greeter, forwarding: direct }
                      - { vip: 10.100.0.100:5300, protocol: udp, backend: dgram, forwarding: direct }
                """;
    }

    /**
     * Starts Ferry and waits until the health checks have passed on every server of the checked backends: their
     * connects made the director's kernel resolve the servers' MACs, so no first SYN meets an unknown one.
     */
    private void startFerry(String yaml) throws Exception {
        ferry = LabFerry.start(lab, dir, yaml);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            for (JsonNode b : ferry.get("/api/v1/status").path("backends")) {
                if (b.path("name").asText().equals("dgram")) {
                    continue;
                }
                for (JsonNode s : b.path("servers")) {
                    if (!"up".equals(s.path("state").asText())) {
                        return false;
                    }
                }
            }
            return true;
        });
    }

    private NetnsLab.Result fromClient(int seconds, String... command) throws Exception {
        return lab.exec("client", seconds, command);
    }

    private static String url(String path) {
        return "http://" + TUNNEL_VIP + ":" + LabServer.HTTP + path;
    }

    private LabServer server(String name) {
        return servers.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    /** The director's packet counters: nothing may have come back through it. */
    private void assertNoPacketFromTheServersPassedTheDirector() throws Exception {
        JsonNode d = ferry.director();
        assertThat(d.path("packets").path("in").asLong()).as(d.toString()).isPositive();
        assertThat(d.path("packets").path("out").asLong()).as("server-to-client packets through the director: %s",
                d).isZero();
        assertThat(d.path("passed").asLong()).as("packets the director wrote back unchanged: %s", d).isZero();
    }

    @Test
    void curlThroughTheVipReachesEveryRealServerInWrrProportionAndTheRepliesBypassTheDirector() throws Exception {
        startFerry(config("wrr", "1,2,3"));
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "-m", "30", "-H", "Connection: close"));
        for (int i = 0; i < 60; i++) {
            command.add(url("/"));
        }

        NetnsLab.Result r = fromClient(60, command.toArray(String[]::new));

        assertThat(r.exit()).as(r.output() + ferry.log()).isZero();
        List<String> lines = r.output().lines().toList();
        assertThat(lines).hasSize(60).allSatisfy(l -> assertThat(l).matches("rs[123] 10\\.100\\.0\\.2:\\d+"));
        Map<String, Long> byServer = lines.stream().collect(Collectors.groupingBy(l -> l.split(" ")[0],
                TreeMap::new, Collectors.counting()));
        assertThat(byServer).isEqualTo(Map.of("rs1", 10L, "rs2", 20L, "rs3", 30L));
        for (LabServer s : servers) {
            assertThat(s.clients()).as("addresses %s saw", s.name()).isNotEmpty().containsOnly("10.100.0.2");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> ferry.director().path("services").path(0)
                .path("connections").asInt() == 60);
        JsonNode service = ferry.director().path("services").path(0);
        assertThat(service.path("forwarding").asText()).isEqualTo("direct");
        // INPUT-ONLY: the client's FIN takes ESTABLISHED to FIN_WAIT, where NAT's INPUT table would say CLOSE_WAIT.
        assertThat(service.path("states").path("FIN_WAIT").asInt()).as(service.toString()).isPositive();
        assertThat(service.path("states").path("CLOSE_WAIT").asInt()).as(service.toString()).isZero();
        assertThat(ferry.director().path("drops").path("no_neighbour").asLong()).isZero();
        assertNoPacketFromTheServersPassedTheDirector();
    }

    @Test
    void wrkFromTheClientSpreadsNewConnectionsInWrrProportion() throws Exception {
        Requirements.requireCommand("wrk", "apt-get install wrk");
        startFerry(config("wrr", "1,2,3"));

        NetnsLab.Result r = fromClient(60, "wrk", "-t1", "-c6", "-d2s", "-H", "Connection: close", url("/"));

        assertThat(r.exit()).as(r.output()).isZero();
        // (wrk counts each close by the lab's server after its answer as a read error: no check on those.)
        assertThat(r.output()).as(r.output()).doesNotContain("Non-2xx");
        int total = servers.stream().mapToInt(s -> s.clients().size()).sum();
        assertThat(total).as(r.output()).isGreaterThan(60);
        for (int i = 0; i < SERVERS; i++) {
            double share = total * (i + 1) / 6.0;
            assertThat((double) servers.get(i).clients().size()).as("requests of rs%d of %d", i + 1, total)
                    .isBetween(share - 6 - total * 0.02, share + 6 + total * 0.02);
        }
        assertNoPacketFromTheServersPassedTheDirector();
    }

    @Test
    void aHundredMebibyteDownloadAndASixteenMebibyteUploadPassIntact() throws Exception {
        startFerry(config("rr", "1,1,1"));
        long size = 100L << 20;
        MessageDigest expected = LabServer.sha256();
        byte[] chunk = new byte[64 * 1024];
        for (long at = 0; at < size; at += chunk.length) {
            for (int i = 0; i < chunk.length; i++) {
                chunk[i] = LabServer.pattern(at + i);
            }
            expected.update(chunk);
        }
        Path file = dir.resolve("download.bin");

        NetnsLab.Result down = fromClient(300, "sh", "-c", "curl -sS -m 240 -w '%{speed_download}\\n' -o " + file
                + " " + url("/bytes/" + size) + " && sha256sum " + file);

        assertThat(down.exit()).as(down.output()).isZero();
        List<String> lines = down.output().lines().toList();
        assertThat(lines.get(1)).startsWith(HexFormat.of().formatHex(expected.digest()));
        System.out.printf("direct: 100 MiB download at %.1f MB/s%n", Double.parseDouble(lines.get(0)) / 1e6);
        assertNoPacketFromTheServersPassedTheDirector();

        // Full-size segments from the client fit a frame on the same link (MTU 1500): nothing is too big.
        Path upload = dir.resolve("upload.bin");
        byte[] data = new byte[16 << 20];
        new Random(23).nextBytes(data);
        Files.write(upload, data);
        NetnsLab.Result up = fromClient(120, "curl", "-sS", "-m", "100", "--data-binary", "@" + upload,
                url("/upload"));

        assertThat(up.exit()).as(up.output()).isZero();
        assertThat(up.output().trim()).isEqualTo(data.length + " "
                + HexFormat.of().formatHex(LabServer.sha256().digest(data)));
        assertThat(ferry.director().path("drops").path("too_big").asLong()).isZero();
    }

    /** A TCP connection from the client's namespace to the VIP's greeter service; returns it with the greeting. */
    private Greeted greeter() throws Exception {
        Greeted g = Greeted.connect(lab, TUNNEL_VIP);
        sockets.add(g.socket());
        return g;
    }

    private String state(String backend, int server) throws Exception {
        for (JsonNode b : ferry.get("/api/v1/status").path("backends")) {
            if (b.path("name").asText().equals(backend)) {
                return b.path("servers").path(server).path("state").asText();
            }
        }
        return null;
    }

    @Test
    void aKilledServerIsTakenOutByHealthChecksWhileAHeldConnectionCarriesOn() throws Exception {
        startFerry(config("rr", "1,1,1"));
        Greeted held = greeter();
        assertThat(held.server()).isEqualTo("rs1");

        server("rs2").close();
        await().atMost(Duration.ofSeconds(20)).until(() -> "down".equals(state("greeter", 1)));

        List<String> picked = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Greeted g = greeter();
            picked.add(g.server());
            assertThat(g.finish(new byte[0])).isEqualTo("bye 0");
        }
        assertThat(picked).doesNotContain("rs2").contains("rs1", "rs3");
        assertThat(held.finish(new byte[100])).as("the connection held across the failure").isEqualTo("bye 100");
        assertNoPacketFromTheServersPassedTheDirector();
    }

    @Test
    void aServerWhoseMacCannotBeResolvedCountsAFailedConnectAndIsEjected() throws Exception {
        // 10.100.0.19 is on the segment but nobody holds it: ARP never completes. No health check, only outlier
        // detection, which the failed connects feed.
        startFerry("""
                backends:
                  - name: greeter
                    scheduler: rr
                    outlier: { consecutive_failures: 1, ejection: 60s, max_ejected_percent: 50 }
                    servers:
                      - { name: ghost, address: 10.100.0.19:9000 }
                      - { name: rs1, address: 10.100.0.11:9000 }
                directors:
                  - name: lvs1
                    interface: d0
                    services: [ { vip: 10.100.0.100:9000, backend: greeter, forwarding: direct } ]
                """);

        // The first SYN goes to the ghost and is dropped; the client's retransmission (1 s later) is a new
        // connection to the director, which no longer picks the ejected ghost.
        Greeted g = greeter();
        assertThat(g.server()).isEqualTo("rs1");
        assertThat(g.finish(new byte[10])).isEqualTo("bye 10");
        await().atMost(Duration.ofSeconds(5)).until(() -> "ejected".equals(state("greeter", 0)));
        JsonNode d = ferry.director();
        assertThat(d.path("drops").path("no_neighbour").asLong()).as(d.toString()).isPositive();
        for (int i = 0; i < 4; i++) {
            Greeted next = greeter();
            assertThat(next.server()).isEqualTo("rs1");
            next.finish(new byte[0]);
        }
    }

    @Test
    void udpIsBalancedAndAnsweredFromTheVipStraightFromTheServers() throws Exception {
        startFerry(config("rr", "1,1,1"));
        List<String> answers = new ArrayList<>();
        for (int i = 1; i <= SERVERS; i++) {
            // The dgram backend has no health check: make sure the director's kernel knows each server's MAC.
            lab.exec("dir", 10, "bash", "-c", "echo > /dev/udp/" + NetnsLab.tunnelServer(i) + "/9 || true");
        }
        for (int i = 0; i < 3; i++) {
            DatagramSocket s = Netns.call(lab.ns("client"), DatagramSocket::new);
            try (s) {
                s.setSoTimeout(5_000);
                s.connect(new InetSocketAddress(TUNNEL_VIP, LabServer.UDP));
                s.send(new DatagramPacket("ping".getBytes(), 4));
                DatagramPacket p = new DatagramPacket(new byte[100], 100);
                s.receive(p);
                answers.add(new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII));
                assertThat(p.getSocketAddress()).isEqualTo(new InetSocketAddress(TUNNEL_VIP, LabServer.UDP));
            }
        }
        assertThat(answers).containsExactlyInAnyOrder("rs1 ping", "rs2 ping", "rs3 ping");
        assertNoPacketFromTheServersPassedTheDirector();
    }

    @Test
    void withoutCapNetRawTheDirectorSaysSoInOneLineAndExits2() throws Exception {
        Requirements.requireCommand("setpriv", "apt-get install util-linux");
        Path config = dir.resolve("ferry.yaml");
        Files.writeString(config, config("rr", "1,1,1"));
        String java = ProcessHandle.current().info().command().orElse("java");

        // In the director's namespace (its interface d0 exists there), with CAP_NET_ADMIN kept for the TUN device.
        NetnsLab.Result r = lab.exec("dir", 60, "setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw", java,
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.ferry.Ferry", "run", "-c", config.toString());

        assertThat(r.exit()).as(r.output()).isEqualTo(2);
        assertThat(r.output().lines().filter(l -> l.startsWith("ferry")).toList()).as(r.output()).singleElement()
                .satisfies(l -> assertThat(l).startsWith("ferry: director 'lvs1'").contains("interface d0")
                        .contains("CAP_NET_RAW"));
        assertThat(r.output()).doesNotContain("Exception").doesNotContain("\tat ");
    }
}
