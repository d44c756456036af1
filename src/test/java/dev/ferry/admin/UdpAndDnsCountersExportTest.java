package dev.ferry.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.backend.Backend;
import io.netty.handler.codec.dns.DnsRecordType;
import dev.ferry.testing.DnsClient;
import dev.ferry.testing.UdpTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.ferry.admin.AdminHarness.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 15 item 32: the UDP and DNS counters the README promises (droppedBusy, tableFull, serverUnreachable; DNS
 * truncated, fail-open, dropped, TCP queries) reach {@code /metrics} and the status API, driven by real datagrams.
 */
@Timeout(60)
class UdpAndDnsCountersExportTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private AdminHarness ferry;

    @AfterEach
    void tearDown() throws Exception {
        if (ferry != null) {
            ferry.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private DatagramSocket client() throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.setSoTimeout(5_000);
        resources.add(s);
        return s;
    }

    private static void send(DatagramSocket s, InetSocketAddress to, String text) throws Exception {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(b, b.length, to));
    }

    private static String receive(DatagramSocket s) throws Exception {
        DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
        s.receive(in);
        return new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
    }

    private static int closedUdpPort() throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return s.getLocalPort();
        }
    }

    @Test
    void udpAndDnsCountersAreInMetricsAndTheStatusApi() throws Exception {
        UdpTestServer echo = UdpTestServer.echo("echo");
        resources.add(echo);
        ferry = AdminHarness.start(dir, """
                admin: { listen: 127.0.0.1:0 }
                frontends:
                  - { name: small, listen: 127.0.0.1:0, mode: udp, backend: echo, max_connections: 1 }
                  - { name: dead, listen: 127.0.0.1:0, mode: udp, backend: dead }
                backends:
                  - { name: echo, servers: [ { name: e, address: %s } ] }
                  - { name: dead, servers: [ { name: gone, address: 127.0.0.1:%d } ] }
                  - { name: web, servers: [ { name: w1, address: 127.0.0.1:80 } ] }
                dns:
                  listen: 127.0.0.1:0
                  zones:
                    - origin: zone.test
                      records:
                        - { name: big, type: TXT, value: "%s" }
                        - { name: www, type: A, backend: web }
                """.formatted(echo.address(), closedUdpPort(), "x".repeat(1000)));

        // UDP: one session fills the table, a second client's datagram is dropped; a dead server answers ICMP.
        DatagramSocket first = client();
        send(first, ferry.balancer.address("small"), "one");
        assertThat(receive(first)).isEqualTo("one");
        send(client(), ferry.balancer.address("small"), "two");
        send(client(), ferry.balancer.address("dead"), "anyone?");
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            String m = ferry.metrics();
            return value(m, "ferry_udp_dropped_total", "frontend", "small", "reason", "table_full") == 1
                    && value(m, "ferry_udp_server_unreachable_total", "frontend", "dead") == 1;
        });

        // DNS: a truncated UDP answer, a TCP query, a datagram too short to be one, a fail-open answer.
        DnsClient dns = new DnsClient(ferry.balancer.dnsAddress().orElseThrow());
        assertThat(dns.udp("big.zone.test", DnsRecordType.TXT).truncated()).isTrue();
        assertThat(dns.tcp("big.zone.test", DnsRecordType.TXT).answers()).hasSize(1);
        assertThat(dns.raw(new byte[]{1, 2, 3}, 300)).isNull();
        Backend web = ferry.balancer.backends().get("web");
        web.setHealthy(web.server("w1").orElseThrow(), false);
        assertThat(dns.udp("www.zone.test", DnsRecordType.A).answerData()).containsExactly("127.0.0.1");

        String m = ferry.metrics();
        assertThat(value(m, "ferry_udp_datagrams_total", "frontend", "small", "direction", "in")).isEqualTo(2);
        assertThat(value(m, "ferry_udp_datagrams_total", "frontend", "small", "direction", "out")).isEqualTo(1);
        assertThat(value(m, "ferry_udp_dropped_total", "frontend", "small", "reason", "busy")).isZero();
        assertThat(value(m, "ferry_udp_sessions_expired_total", "frontend", "small")).isZero();
        assertThat(value(m, "ferry_dns_truncated_total")).isEqualTo(1);
        assertThat(value(m, "ferry_dns_tcp_queries_total")).isEqualTo(1);
        assertThat(value(m, "ferry_dns_dropped_total")).isEqualTo(1);
        assertThat(value(m, "ferry_dns_fail_open_total")).isEqualTo(1);

        JsonNode status = ferry.status();
        JsonNode small = AdminHarness.frontend(status, "small").get("udp");
        assertThat(small.get("table_full").asLong()).isEqualTo(1);
        assertThat(small.get("dropped_busy").asLong()).isZero();
        assertThat(small.get("datagrams_in").asLong()).isEqualTo(2);
        assertThat(AdminHarness.frontend(status, "dead").get("udp").get("server_unreachable").asLong()).isEqualTo(1);
        JsonNode d = status.get("dns");
        assertThat(d.get("truncated").asLong()).isEqualTo(1);
        assertThat(d.get("tcp_queries").asLong()).isEqualTo(1);
        assertThat(d.get("dropped").asLong()).isEqualTo(1);
        assertThat(d.get("fail_open").asLong()).isEqualTo(1);
        assertThat(d.get("queries").get("zone.test").get("NOERROR").asLong()).isEqualTo(3);
    }
}
