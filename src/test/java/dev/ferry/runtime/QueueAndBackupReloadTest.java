package dev.ferry.runtime;

import dev.ferry.backend.Backend;
import dev.ferry.backend.BackendQueue;
import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.testing.GateOrigin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Hot reload of {@code queue:}, {@code allbackups} and {@code servers[].backup}: applied in place (no restart), named in
 * the reload's changes; a queue added takes the next waiters, a new size applies to newcomers, a queue removed sends
 * its waiters on (here: 503, as the server is still full); a server turned into a backup leaves the snapshot while a
 * primary is usable.
 */
@Timeout(120)
class QueueAndBackupReloadTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
        client.close();
    }

    private static String yaml(GateOrigin one, GateOrigin two, String backendExtra, boolean twoIsBackup) {
        return """
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: app }
                backends:
                  - name: app
                    %s
                    servers:
                      - { name: one, address: %s, max_connections: 1 }
                      - { name: two, address: %s, max_connections: 1, backup: %s }
                """.formatted(backendExtra, one.address(), two.address(), twoIsBackup);
    }

    private CompletableFuture<HttpResponse<String>> get(Balancer balancer, String path) {
        return client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + balancer.address("web").getPort() + path)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void queueAndBackupChangesApplyInPlace() throws Exception {
        GateOrigin one = GateOrigin.start("one");
        GateOrigin two = GateOrigin.start("two");
        closing.add(one);
        closing.add(two);
        Path file = dir.resolve("ferry.yaml");
        Files.writeString(file, yaml(one, two, "scheduler: rr", false));
        Balancer balancer = new Balancer(ConfigLoader.load(file), 2);
        balancer.start();
        closing.add(balancer);
        Reloader reloader = new Reloader(balancer, file);
        Backend app = balancer.backends().get("app");
        assertThat(app.snapshot().servers()).extracting(Server::name).containsExactly("one", "two");

        // two becomes a backup, and a queue is added.
        Files.writeString(file, yaml(one, two, "queue: { size: 5, timeout: 30s }", true));
        Reloader.Outcome outcome = reloader.reload();
        assertThat(outcome.problems()).isEmpty();
        assertThat(outcome.applied()).isTrue();
        assertThat(String.join("\n", outcome.changes())).contains("server two: backup false -> true")
                .contains("queue added");
        assertThat(balancer.backends().get("app")).as("the same backend, reconfigured").isSameAs(app);
        assertThat(app.snapshot().servers()).extracting(Server::name).containsExactly("one");
        BackendQueue queue = app.queue();
        assertThat(queue).isNotNull();

        CompletableFuture<HttpResponse<String>> holder = get(balancer, "/gate/held");
        await().atMost(WAIT).until(() -> one.held() == 1);
        CompletableFuture<HttpResponse<String>> waiting = get(balancer, "/gate/waiting");
        await().atMost(WAIT).until(() -> queue.length() == 1);
        assertThat(two.arrivals()).as("the backup stands by although the primary is full").isEmpty();

        // A new size applies to newcomers; the queue and its waiter stay.
        Files.writeString(file, yaml(one, two, "queue: { size: 1, timeout: 30s }", true));
        outcome = reloader.reload();
        assertThat(outcome.changes()).anyMatch(c -> c.contains("queue.size 5 -> 1"));
        assertThat(app.queue()).isSameAs(queue);
        assertThat(get(balancer, "/gate/refused").get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
        assertThat(queue.fullTotal()).isEqualTo(1);

        // The queue goes: its waiter finds no room (one is still full) and is answered 503.
        Files.writeString(file, yaml(one, two, "scheduler: wlc", true));
        outcome = reloader.reload();
        assertThat(outcome.changes()).anyMatch(c -> c.contains("queue removed"));
        assertThat(app.queue()).isNull();
        assertThat(waiting.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
        assertThat(queue.length()).isZero();

        one.pass(1);
        assertThat(holder.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(one.arrivals()).containsExactly("/gate/held");
    }
}
