package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A WebSocket upgrade passes through Ferry, which then relays the frames as bytes: the JDK's WebSocket client. */
@Timeout(60)
class WebSocketTest {

    @Test
    void aWebSocketEchoWorksThroughFerry() throws Exception {
        Origin seen = new Origin();
        try (TestServer echo = TestServer.start("ws", s -> {
            Origin.Request r = Origin.read(s.getInputStream(), s, s.getOutputStream());
            seen.requests.add(r);
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept(r.header("Sec-WebSocket-Key")) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            echoFrames(new DataInputStream(s.getInputStream()), out);
        })) {
            Balancer balancer = new Balancer(ConfigLoader.parse("""
                    frontends:
                      - { name: web, listen: 127.0.0.1:0, mode: http, routes: [ { match: { path: /ws }, backend: pool } ] }
                    backends:
                      - { name: pool, servers: [ { name: ws, address: %s } ] }
                    """.formatted(echo.address()), Path.of("test.yaml")), 1);
            balancer.start();
            try (HttpClient client = HttpClient.newHttpClient()) {
                LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
                WebSocket ws = client.newWebSocketBuilder().buildAsync(
                        URI.create("ws://127.0.0.1:" + balancer.address("web").getPort() + "/ws"),
                        new WebSocket.Listener() {
                            private final StringBuilder parts = new StringBuilder();

                            @Override
                            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                                parts.append(data);
                                if (last) {
                                    received.add(parts.toString());
                                    parts.setLength(0);
                                }
                                w.request(1);
                                return null;
                            }
                        }).get(10, TimeUnit.SECONDS);
                ws.sendText("hello", true).get(5, TimeUnit.SECONDS);
                assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("hello");
                String big = "x".repeat(200_000);
                ws.sendText(big, true).get(5, TimeUnit.SECONDS);
                String echoed = received.poll(10, TimeUnit.SECONDS);
                assertThat(echoed).hasSize(big.length());
                assertThat(echoed.equals(big)).isTrue();
                // Both directions counted: the upgrade exchange by the HTTP side, the frames by the tunnel.
                var stats = balancer.frontends().get(0).stats();
                assertThat(stats.bytesFromClients()).isGreaterThan(big.length());
                assertThat(stats.bytesToClients()).isGreaterThan(big.length());
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
            } finally {
                balancer.close();
            }
            Origin.Request upgrade = seen.requests.get(0);
            assertThat(upgrade.header("Upgrade")).isEqualToIgnoringCase("websocket");
            assertThat(upgrade.header("Connection")).isEqualToIgnoringCase("upgrade");
            assertThat(upgrade.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
        }
    }

    private static final String UPGRADE = "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    private static Balancer ferryTo(TestServer origin) throws Exception {
        Balancer balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, routes: [ { match: { path_prefix: /ws }, backend: pool } ] }
                backends:
                  - { name: pool, servers: [ { name: ws, address: %s } ] }
                """.formatted(origin.address()), Path.of("test.yaml")), 1);
        balancer.start();
        return balancer;
    }

    /**
     * Issue 15 item 17c: bytes sent in the same packet as the upgrade request, behind its head, were read as the
     * next request, and lost when they held a line feed. They reach the server as they were sent.
     */
    @Test
    void bytesSentRightBehindAnUpgradeRequestReachTheServerByteForByte() throws Exception {
        byte[] early = "early\r\nbytes\nGET /not-a-request HTTP/1.1\r\n\r\n\u0000\u00ff\r\n\r\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        try (TestServer origin = TestServer.start("ws", s -> {
            Origin.read(s.getInputStream(), s, s.getOutputStream());
            OutputStream out = s.getOutputStream();
            out.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(s.getInputStream().readNBytes(early.length));
            out.flush();
        })) {
            Balancer balancer = ferryTo(origin);
            try (Raw c = new Raw(balancer.address("web"))) {
                c.send("GET /ws HTTP/1.1\r\n" + UPGRADE + new String(early, StandardCharsets.ISO_8859_1));
                assertThat(c.read().status()).isEqualTo(101);
                assertThat(c.in.readNBytes(early.length)).isEqualTo(early);
            } finally {
                balancer.close();
            }
        }
    }

    /** What follows a declined upgrade (the server answers 200, or Ferry answers itself) is the next request. */
    @Test
    void requestsBehindADeclinedUpgradeAreServedInOrder() throws Exception {
        Origin seen = new Origin();
        try (TestServer origin = Origin.start("o", (r, out, s) -> {
            Origin.text(out, 200, "plain " + r.target());
            return true;
        }, seen)) {
            Balancer balancer = ferryTo(origin);
            try (Raw c = new Raw(balancer.address("web"))) {
                c.send("GET /ws/declined HTTP/1.1\r\n" + UPGRADE + "GET /ws/next HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(c.read().body()).isEqualTo("plain /ws/declined");
                assertThat(c.read().body()).isEqualTo("plain /ws/next");
                c.send("GET /unrouted HTTP/1.1\r\n" + UPGRADE + "GET /ws/after-404 HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(c.read().status()).isEqualTo(404);
                assertThat(c.read().body()).isEqualTo("plain /ws/after-404");
            } finally {
                balancer.close();
            }
        }
        assertThat(seen.requests).extracting(Origin.Request::target)
                .containsExactly("/ws/declined", "/ws/next", "/ws/after-404");
    }

    private static String accept(String key) {
        try {
            byte[] sha = MessageDigest.getInstance("SHA-1").digest(
                    (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Echoes client frames (masked) back unmasked until a close frame, which is echoed too. */
    private static void echoFrames(DataInputStream in, OutputStream out) throws IOException {
        while (true) {
            int b0 = in.readUnsignedByte();
            int b1 = in.readUnsignedByte();
            long len = b1 & 0x7F;
            if (len == 126) {
                len = in.readUnsignedShort();
            } else if (len == 127) {
                len = in.readLong();
            }
            byte[] mask = new byte[4];
            in.readFully(mask);
            byte[] payload = new byte[(int) len];
            in.readFully(payload);
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i & 3];
            }
            out.write(b0);
            if (len < 126) {
                out.write((int) len);
            } else if (len < 65536) {
                out.write(126);
                out.write((int) (len >> 8));
                out.write((int) len);
            } else {
                out.write(127);
                for (int i = 7; i >= 0; i--) {
                    out.write((int) (len >> (8 * i)));
                }
            }
            out.write(payload);
            out.flush();
            if ((b0 & 0x0F) == 8) {
                return;
            }
        }
    }
}
