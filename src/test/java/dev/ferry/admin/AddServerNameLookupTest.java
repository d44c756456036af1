package dev.ferry.admin;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.testing.StallingResolver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15 item 19: {@code POST /api/v1/backends/{b}/servers} with a host name resolves it before the backend's lock
 * is taken, so a slow DNS server holds up the admin call only, never the health checks, discovery and other changes
 * that wait on that lock. The JVM's resolver is {@link StallingResolver}: the gated name answers only when told.
 */
@Timeout(60)
class AddServerNameLookupTest {
    @TempDir
    Path dir;

    @Test
    void aSlowNameHoldsUpOnlyTheAdminCallNotTheBackendsLock() throws Exception {
        try (AdminHarness h = AdminHarness.start(dir, """
                admin: { listen: 127.0.0.1:0 }
                frontends: [ { name: f, listen: 127.0.0.1:0, backend: web } ]
                backends:
                  - name: web
                    servers: [ { name: s1, address: 127.0.0.1:9, weight: 1 } ]
                """)) {
            Backend web = h.balancer.backends().get("web");
            Server s1 = web.server("s1").orElseThrow();
            String host = "slow-" + System.nanoTime() + ".stall.test";
            try (StallingResolver.Gate gate = StallingResolver.gate(host, web)) {
                CompletableFuture<HttpResponse<String>> post = CompletableFuture.supplyAsync(() -> {
                    try {
                        return h.call("POST", "/api/v1/backends/web/servers",
                                "{\"name\": \"slow\", \"address\": \"" + host + ":80\"}");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertThat(gate.awaitLookup(20)).as("the admin call looks the name up").isTrue();
                assertThat(gate.watchedLockHeld()).as("the backend's lock is held while resolving").isFalse();

                // What a health check or discovery does meanwhile: it takes the lock, and must not wait for DNS.
                CompletableFuture<Void> change = CompletableFuture.runAsync(() -> web.setWeight(s1, 7));
                change.get(20, TimeUnit.SECONDS);
                assertThat(s1.configuredWeight()).isEqualTo(7);
                assertThat(post).isNotDone();

                gate.open();
                HttpResponse<String> added = post.get(20, TimeUnit.SECONDS);
                assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
                assertThat(web.servers()).extracting(Server::name).containsExactly("slow", "s1");
            }
        }
    }
}
