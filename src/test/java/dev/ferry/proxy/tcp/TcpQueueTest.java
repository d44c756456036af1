package dev.ferry.proxy.tcp;

import dev.ferry.backend.BackendQueue;
import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Clients;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 20 item 5 at layer 4: a tcp frontend over a backend whose one server takes one connection at a time
 * ({@code max_connections: 1}); the server writes its name and a connection number, then holds the connection until
 * the client closes. New connections past the limit wait in the backend's queue, connect in the order they came as
 * the connection before them ends, are reset when the queue is full or their wait times out, and leave the queue
 * when they reset first. Real sockets, two event loops.
 */
@Timeout(120)
class TcpQueueTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    /** Writes "held N\n" (N: its connection number, from 1) and holds the connection until the client closes. */
    private TestServer holdingServer() {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        TestServer s = TestServer.start("held", socket -> {
            socket.getOutputStream().write(("held " + n.incrementAndGet() + "\n").getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            socket.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        });
        closing.add(s);
        return s;
    }

    private Balancer start(TestServer server, String queue) throws Exception {
        return start(server, queue, "");
    }

    private Balancer start(TestServer server, String queue, String frontendKeys) throws Exception {
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, """
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: pool%s }
                backends:
                  - name: pool
                    queue: %s
                    servers: [ { name: held, address: %s, max_connections: 1 } ]
                """.formatted(frontendKeys, queue, server.address()));
        Balancer balancer = new Balancer(ConfigLoader.load(file), 2);
        balancer.start();
        closing.add(balancer);
        return balancer;
    }

    private static String line(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) != -1 && c != '\n'; ) {
            b.append((char) c);
        }
        return b.toString();
    }

    private Socket connect(Balancer balancer) {
        Socket s = Clients.connect(balancer.address("front"));
        closing.add(s);
        return s;
    }

    @Test
    void connectionsWaitForTheHeldOneAndConnectInTheOrderTheyCame() throws Exception {
        TestServer server = holdingServer();
        Balancer balancer = start(server, "{ size: 2, timeout: 30s }");
        BackendQueue queue = balancer.backends().get("pool").queue();

        Socket first = connect(balancer);
        assertThat(line(first)).isEqualTo("held 1");
        Socket second = connect(balancer);
        await().atMost(WAIT).until(() -> queue.length() == 1);
        Socket third = connect(balancer);
        await().atMost(WAIT).until(() -> queue.length() == 2);
        // The queue is full: the next connection is reset at once.
        Clients.expectReset(balancer.address("front"));
        assertThat(queue.fullTotal()).isEqualTo(1);
        assertThat(server.accepted()).as("the server saw only the connection it may take").isEqualTo(1);

        first.close();
        assertThat(line(second)).isEqualTo("held 2");
        assertThat(queue.length()).isEqualTo(1);
        second.close();
        assertThat(line(third)).isEqualTo("held 3");
        assertThat(queue.length()).isZero();
        assertThat(queue.dispatchedTotal()).isEqualTo(2);
        assertThat(queue.waits().count()).isEqualTo(2);
    }

    /** A connection from {@code source} (an address of 127.0.0.0/8). */
    private Socket connectFrom(Balancer balancer, String source) throws IOException {
        Socket s = new Socket();
        closing.add(s);
        s.bind(new java.net.InetSocketAddress(source, 0));
        s.connect(balancer.address("front"), 10_000);
        s.setSoTimeout(30_000);
        return s;
    }

    @Test
    void withPersistenceAConnectionTheQueueSentToAServerLeavesItsClientATemplateThere() throws Exception {
        TestServer server = holdingServer();
        Balancer balancer = start(server, "{ size: 5, timeout: 30s }", ", persistence: { timeout: 5m }");
        BackendQueue queue = balancer.backends().get("pool").queue();
        Socket other = connectFrom(balancer, "127.0.0.2");
        assertThat(line(other)).isEqualTo("held 1");
        Socket queued = connectFrom(balancer, "127.0.0.3");
        await().atMost(WAIT).until(() -> queue.length() == 1);
        other.close();
        assertThat(line(queued)).isEqualTo("held 2");

        // The server is full again, but 127.0.0.3 has its template on it now: its next connection goes there at once
        // (a template does not look at max_connections, as in IPVS) instead of waiting in the queue.
        Socket again = connectFrom(balancer, "127.0.0.3");
        assertThat(line(again)).isEqualTo("held 3");
        assertThat(queue.length()).isZero();
        assertThat(queue.queuedTotal()).isEqualTo(1);
    }

    @Test
    void aConnectionThatWaitsPastTheQueueTimeoutIsReset() throws Exception {
        TestServer server = holdingServer();
        Balancer balancer = start(server, "{ size: 5, timeout: 300ms }");
        BackendQueue queue = balancer.backends().get("pool").queue();
        Socket first = connect(balancer);
        assertThat(line(first)).isEqualTo("held 1");

        long before = System.nanoTime();
        Clients.expectReset(balancer.address("front"));
        assertThat(Duration.ofNanos(System.nanoTime() - before)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(queue.timeoutsTotal()).isEqualTo(1);
        assertThat(queue.length()).isZero();
        assertThat(server.accepted()).isEqualTo(1);
    }

    @Test
    void aClientThatResetsWhileQueuedLeavesTheQueueAndTakesNoSlot() throws Exception {
        TestServer server = holdingServer();
        Balancer balancer = start(server, "{ size: 5, timeout: 30s }");
        BackendQueue queue = balancer.backends().get("pool").queue();
        Socket first = connect(balancer);
        assertThat(line(first)).isEqualTo("held 1");

        Socket leaving = connect(balancer);
        await().atMost(WAIT).until(() -> queue.length() == 1);
        leaving.setSoLinger(true, 0);
        leaving.close(); // a reset
        await().atMost(WAIT).until(() -> queue.length() == 0);
        assertThat(queue.abandonedTotal()).isEqualTo(1);

        Socket next = connect(balancer);
        await().atMost(WAIT).until(() -> queue.length() == 1);
        first.close();
        assertThat(line(next)).as("the slot went to the next one, not to the client that left").isEqualTo("held 2");
        assertThat(server.accepted()).isEqualTo(2);
    }

    @Test
    void aQueuedClientThatSentBytesAndHalfClosedStillGetsThroughWithThem() throws Exception {
        TestServer echo = TestServer.echo("echo");
        closing.add(echo);
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, """
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: pool }
                backends:
                  - name: pool
                    queue: { size: 5, timeout: 30s }
                    servers: [ { name: echo, address: %s, max_connections: 1 } ]
                """.formatted(echo.address()));
        Balancer balancer = new Balancer(ConfigLoader.load(file), 2);
        balancer.start();
        closing.add(balancer);
        BackendQueue queue = balancer.backends().get("pool").queue();

        Socket first = connect(balancer);
        first.getOutputStream().write("a\n".getBytes(StandardCharsets.UTF_8));
        assertThat(line(first)).isEqualTo("a");
        Socket queued = connect(balancer);
        await().atMost(WAIT).until(() -> queue.length() == 1);
        queued.getOutputStream().write("hello queue\n".getBytes(StandardCharsets.UTF_8));
        queued.shutdownOutput();

        first.close();
        assertThat(new String(queued.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("hello queue\n");
        assertThat(queue.dispatchedTotal()).isEqualTo(1);
    }

    @Test
    void withoutAQueueAFullServerResetsAtOnce() throws Exception {
        TestServer server = holdingServer();
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, """
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: pool }
                backends:
                  - name: pool
                    servers: [ { name: held, address: %s, max_connections: 1 } ]
                """.formatted(server.address()));
        Balancer balancer = new Balancer(ConfigLoader.load(file), 2);
        balancer.start();
        closing.add(balancer);
        Socket first = connect(balancer);
        assertThat(line(first)).isEqualTo("held 1");
        Clients.expectReset(balancer.address("front"));
        assertThat(balancer.backends().get("pool").queue()).isNull();
    }
}
