package dev.ferry.dns;

import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.proxy.udp.UdpFrontend;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.DnsClient;
import dev.ferry.testing.UdpTestServer;
import io.netty.handler.codec.dns.DnsRecordType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Hot reload of a udp frontend and of the DNS responder: same sockets, new backends and records. */
@Timeout(60)
class UdpDnsReloadTest {
    private final UdpTestServer a = UdpTestServer.naming("A");
    private final UdpTestServer b = UdpTestServer.naming("B");
    private Balancer balancer;

    @AfterEach
    void tearDown() {
        if (balancer != null) {
            balancer.close();
        }
        a.close();
        b.close();
    }

    private FerryConfig config(int udpPort, int dnsPort, String backend, String mailAddress) throws Exception {
        return ConfigLoader.parse("""
                frontends: [ { name: front, listen: 127.0.0.1:%d, mode: udp, backend: %s } ]
                backends:
                  - { name: one, servers: [ { name: a, address: %s } ] }
                  - { name: two, servers: [ { name: b, address: %s } ] }
                dns:
                  listen: 127.0.0.1:%d
                  zones:
                    - origin: example.com
                      records:
                        - { name: mail, type: A, value: %s }
                        - { name: svc, type: A, backend: %s }
                """.formatted(udpPort, backend, a.address(), b.address(), dnsPort, mailAddress, backend),
                Path.of("<reload>"));
    }

    private static String exchange(DatagramSocket client, InetSocketAddress front, String text) throws Exception {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        client.send(new DatagramPacket(bytes, bytes.length, front));
        DatagramPacket reply = new DatagramPacket(new byte[100], 100);
        client.receive(reply);
        return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
    }

    @Test
    void aReloadKeepsTheSocketsAndLiveSessionsAndAppliesNewBackendsAndRecords() throws Exception {
        balancer = new Balancer(config(0, 0, "one", "192.0.2.1"), 2);
        balancer.start();
        InetSocketAddress front = balancer.address("front");
        InetSocketAddress dnsAddress = balancer.dnsAddress().orElseThrow();
        DnsClient dns = new DnsClient(dnsAddress);
        assertThat(dns.udp("svc.example.com", DnsRecordType.A).answerData()).containsExactly("127.0.0.1");

        try (DatagramSocket early = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramSocket late = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            early.setSoTimeout(5_000);
            late.setSoTimeout(5_000);
            assertThat(exchange(early, front, "1")).isEqualTo("A:1");
            UdpFrontend udp = (UdpFrontend) balancer.frontends().getFirst();

            balancer.reload(config(front.getPort(), dnsAddress.getPort(), "two", "192.0.2.2"));

            assertThat(balancer.frontends().getFirst()).as("the same frontend, reconfigured").isSameAs(udp);
            assertThat(exchange(early, front, "2")).as("a live session keeps its server").isEqualTo("A:2");
            assertThat(exchange(late, front, "3")).as("a new session uses the new backend").isEqualTo("B:3");
            assertThat(balancer.dnsAddress()).contains(dnsAddress);
            assertThat(dns.udp("mail.example.com", DnsRecordType.A).answerData()).containsExactly("192.0.2.2");
            assertThat(balancer.dns().orElseThrow().stats().queries("example.com", "NOERROR"))
                    .as("counters carry on over a reload").isEqualTo(2);
        }
    }
}
