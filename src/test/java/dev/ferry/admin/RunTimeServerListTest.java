package dev.ferry.admin;

import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.runtime.Reloader;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 15 item 23, through the admin API and real connections: a server added at run time goes to the front of
 * the list (the kernel's {@code list_add_rcu} at the head), and one removed and added again while its connections
 * live comes back with its counts (the kernel's trash), so lblc entries for it are valid again.
 */
@Timeout(60)
class RunTimeServerListTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<AutoCloseable> resources = new ArrayList<>();
    @TempDir
    Path dir;
    private Balancer balancer;
    private AdminServer admin;

    @AfterEach
    void tearDown() throws Exception {
        release.countDown();
        for (AutoCloseable r : resources.reversed()) {
            r.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (balancer != null) {
            balancer.close();
        }
    }

    /** A server that writes its one-letter name and holds the connection until the test ends. */
    private TestServer holding(String name) {
        TestServer s = TestServer.start(name, sock -> {
            sock.getOutputStream().write(name.getBytes(StandardCharsets.UTF_8));
            sock.getOutputStream().flush();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        resources.add(s);
        return s;
    }

    private InetSocketAddress start(String scheduler, TestServer first) throws Exception {
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, """
                admin:
                  listen: 127.0.0.1:0
                frontends:
                  - { name: front, listen: 127.0.0.1:0, mode: tcp, backend: pool }
                backends:
                  - name: pool
                    scheduler: %s
                    servers:
                      - { name: A, address: %s }
                """.formatted(scheduler, first.address()));
        FerryConfig config = ConfigLoader.load(file);
        balancer = new Balancer(config, 1);
        balancer.start();
        admin = AdminServer.start(config, balancer, new Reloader(balancer, file), "test");
        return balancer.address("front");
    }

    private int call(String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.address().getPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private int add(String name, TestServer server) throws Exception {
        return call("POST", "/api/v1/backends/pool/servers",
                "{\"name\": \"%s\", \"address\": \"%s\"}".formatted(name, server.address()));
    }

    /** Opens a connection, keeps it open, and returns the name of the server it reached. */
    private String open(InetSocketAddress front) throws IOException {
        Socket s = new Socket();
        resources.add(s);
        s.connect(front, 5_000);
        s.setSoTimeout(10_000);
        return new String(s.getInputStream().readNBytes(1), StandardCharsets.UTF_8);
    }

    private Server server(String name) {
        return balancer.backends().get("pool").server(name).orElseThrow();
    }

    private List<String> order() {
        return balancer.backends().get("pool").servers().stream().map(Server::name).toList();
    }

    @Test
    void aServerAddedAtRunTimeGoesToTheFrontAndWinsTies() throws Exception {
        InetSocketAddress front = start("lc", holding("A"));
        assertThat(add("B", holding("B"))).isEqualTo(201);
        assertThat(add("C", holding("C"))).isEqualTo(201);
        assertThat(order()).containsExactly("C", "B", "A");
        // lc at equal loads keeps the first in list order: C, then B, then A, then C again.
        assertThat(open(front) + open(front) + open(front) + open(front)).isEqualTo("CBAC");
    }

    @Test
    void aServerRemovedAndAddedAgainWhileItsConnectionsLiveComesBackWithItsCounts() throws Exception {
        TestServer b = holding("B");
        InetSocketAddress front = start("wlc", holding("A"));
        assertThat(add("B", b)).isEqualTo(201);
        assertThat(open(front)).isEqualTo("B"); // the front of the list wins the tie at zero load
        Server first = server("B");
        await().atMost(5, TimeUnit.SECONDS).until(() -> first.active() == 1);

        assertThat(call("DELETE", "/api/v1/backends/pool/servers/B", null)).isEqualTo(200);
        assertThat(add("B", b)).isEqualTo(201);
        assertThat(server("B")).isSameAs(first);
        assertThat(first.active()).isEqualTo(1);
        assertThat(order()).containsExactly("B", "A");
        // wlc sees B's live connection: A (0 active) is chosen, then B and A tie at one each and B, first, wins.
        assertThat(open(front) + open(front)).isEqualTo("AB");
    }

    @Test
    void lblcEntriesForAServerThatComesBackFromTheTrashAreValidAgain() throws Exception {
        TestServer b = holding("B");
        InetSocketAddress front = start("lblc", holding("A"));
        assertThat(add("B", b)).isEqualTo(201);
        assertThat(open(front)).isEqualTo("B"); // the frontend's address is cached to B
        Server first = server("B");
        await().atMost(5, TimeUnit.SECONDS).until(() -> first.active() == 1);

        assertThat(call("DELETE", "/api/v1/backends/pool/servers/B", null)).isEqualTo(200);
        assertThat(add("B", b)).isEqualTo(201);
        // The cached entry points at B again: B is returned although wlc alone would take the idle A.
        assertThat(open(front)).isEqualTo("B");
        // Now B has 2 active > weight 1 while A is under half load: lblc's own overload test sends this one to A.
        assertThat(open(front)).isEqualTo("A");
    }
}
