package dev.ferry.proxy.tcp;

import dev.ferry.config.ProxyProtocolVersion;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Clients;
import dev.ferry.testing.Configs;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The PROXY protocol: sent to servers ({@code send_proxy}) and accepted from clients ({@code proxy_protocol}). */
@Timeout(30)
class TcpProxyProtocolTest {
    private static final byte[] V2_SIGNATURE = HexFormat.of().parseHex("0D0A0D0A000D0A515549540A");
    private Balancer balancer;
    private TestServer server;

    @AfterEach
    void tearDown() {
        if (balancer != null) {
            balancer.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** A server that reports the first line it receives (the PROXY v1 header), then everything after it. */
    private static TestServer reportingV1(CompletableFuture<String> header, CompletableFuture<String> rest) {
        return TestServer.start("S", sock -> {
            InputStream in = sock.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c; (c = in.read()) != '\n' && c >= 0; ) {
                line.append((char) c);
            }
            header.complete(line.toString());
            rest.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        });
    }

    @Test
    void sendProxyV1TellsTheServerTheClientsAddress() throws Exception {
        CompletableFuture<String> header = new CompletableFuture<>();
        CompletableFuture<String> rest = new CompletableFuture<>();
        server = reportingV1(header, rest);
        balancer = new Balancer(Configs.tcp("rr").server(server, 1, ProxyProtocolVersion.V1).build(), 1);
        balancer.start();
        InetSocketAddress front = balancer.address("front");

        try (Socket client = Clients.connect(front)) {
            client.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
            client.shutdownOutput();
            assertThat(header.get(5, TimeUnit.SECONDS)).isEqualTo("PROXY TCP4 127.0.0.1 127.0.0.1 "
                    + client.getLocalPort() + " " + front.getPort() + "\r");
            assertThat(rest.get(5, TimeUnit.SECONDS)).isEqualTo("hello");
        }
    }

    @Test
    void sendProxyV2TellsTheServerTheClientsAddressInBinary() throws Exception {
        CompletableFuture<byte[]> header = new CompletableFuture<>();
        server = TestServer.start("S", sock -> {
            DataInputStream in = new DataInputStream(sock.getInputStream());
            byte[] fixed = in.readNBytes(16);
            byte[] addresses = in.readNBytes(((fixed[14] & 0xff) << 8) | (fixed[15] & 0xff));
            byte[] all = new byte[fixed.length + addresses.length];
            System.arraycopy(fixed, 0, all, 0, fixed.length);
            System.arraycopy(addresses, 0, all, fixed.length, addresses.length);
            header.complete(all);
            sock.getOutputStream().write(in.readAllBytes());
        });
        balancer = new Balancer(Configs.tcp("rr").server(server, 1, ProxyProtocolVersion.V2).build(), 1);
        balancer.start();
        InetSocketAddress front = balancer.address("front");

        try (Socket client = Clients.connect(front)) {
            client.getOutputStream().write("after the header".getBytes(StandardCharsets.UTF_8));
            client.shutdownOutput();
            byte[] h = header.get(5, TimeUnit.SECONDS);
            assertThat(java.util.Arrays.copyOf(h, 12)).isEqualTo(V2_SIGNATURE);
            assertThat(h[12]).isEqualTo((byte) 0x21); // version 2, PROXY
            assertThat(h[13]).isEqualTo((byte) 0x11); // TCP over IPv4
            assertThat(java.util.Arrays.copyOfRange(h, 16, 24)).isEqualTo(new byte[] {127, 0, 0, 1, 127, 0, 0, 1});
            assertThat(((h[24] & 0xff) << 8) | (h[25] & 0xff)).isEqualTo(client.getLocalPort());
            assertThat(((h[26] & 0xff) << 8) | (h[27] & 0xff)).isEqualTo(front.getPort());
            assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("after the header");
        }
    }

    @Test
    void aReceivedProxyHeaderBecomesTheClientAddressPassedOn() throws Exception {
        CompletableFuture<String> header = new CompletableFuture<>();
        CompletableFuture<String> rest = new CompletableFuture<>();
        server = reportingV1(header, rest);
        balancer = new Balancer(Configs.tcp("rr").acceptProxyProtocol()
                .server(server, 1, ProxyProtocolVersion.V1).build(), 1);
        balancer.start();

        try (Socket client = Clients.connect(balancer.address("front"))) {
            // The header may come in pieces; data may follow it in the same segment.
            client.getOutputStream().write("PROXY TCP4 192.0.2.7 ".getBytes(StandardCharsets.UTF_8));
            client.getOutputStream().flush();
            client.getOutputStream().write("198.51.100.1 5555 443\r\npayload".getBytes(StandardCharsets.UTF_8));
            client.shutdownOutput();
            assertThat(header.get(5, TimeUnit.SECONDS)).isEqualTo("PROXY TCP4 192.0.2.7 198.51.100.1 5555 443\r");
            assertThat(rest.get(5, TimeUnit.SECONDS)).isEqualTo("payload");
        }
    }

    @Test
    void aBadProxyHeaderClosesTheClientWithoutTouchingAServer() throws Exception {
        server = TestServer.echo("E");
        balancer = new Balancer(Configs.tcp("rr").acceptProxyProtocol().server(server, 1).build(), 1);
        balancer.start();

        try (Socket client = Clients.connect(balancer.address("front"))) {
            client.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.UTF_8));
            try {
                assertThat(client.getInputStream().read()).isEqualTo(-1);
            } catch (IOException reset) {
                assertThat(reset).hasMessageContaining("reset");
            }
        }
        assertThat(server.accepted()).isZero();
    }

    /** Item 16: a short first line that cannot start a PROXY header is refused at once, not at the header timeout. */
    @Test
    void aShortFirstLineThatIsNoProxyHeaderIsRefusedAtOnce() throws Exception {
        server = TestServer.echo("E");
        balancer = new Balancer(Configs.tcp("rr").acceptProxyProtocol().server(server, 1).build(), 1);
        balancer.start();
        assertThat(balancer.config().frontends().get(0).timeouts().requestHeader()).isGreaterThan(Duration.ofSeconds(5));

        try (Socket client = Clients.connect(balancer.address("front"))) {
            client.setSoTimeout(5_000); // well below the header timeout: a read timeout fails the test
            client.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
            try {
                assertThat(client.getInputStream().read()).isEqualTo(-1);
            } catch (IOException reset) {
                assertThat(reset).hasMessageContaining("reset");
            }
        }
        assertThat(server.accepted()).isZero();
    }

    /** A header that arrives a few bytes at a time is still a header. */
    @Test
    void aProxyHeaderArrivingInPiecesIsAccepted() throws Exception {
        server = TestServer.echo("E");
        balancer = new Balancer(Configs.tcp("rr").acceptProxyProtocol().server(server, 1).build(), 1);
        balancer.start();
        try (Socket client = Clients.connect(balancer.address("front"))) {
            client.setTcpNoDelay(true);
            OutputStream out = client.getOutputStream();
            for (String piece : new String[]{"PR", "OXY TCP4 ", "192.0.2.7 198.51.100.1 4321 80\r\n", "payload"}) {
                out.write(piece.getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            client.shutdownOutput();
            assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("payload");
        }
    }
}
