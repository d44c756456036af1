package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.LeakWatch;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The Host a request is routed on and forwarded with (issue 15): absolute-form targets, HTTP/1.0, invalid values. */
@Timeout(60)
@ExtendWith(LeakWatch.class)
class HttpRequestHostTest {
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Origin seen = new Origin();
    private Balancer balancer;
    private InetSocketAddress front;

    @AfterEach
    void tearDown() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    /** One frontend whose only route is {@code routes}, to an origin recording what it receives. */
    private void start(String routes) throws Exception {
        TestServer origin = Origin.start("o", (r, out, s) -> {
            Origin.text(out, 200, "host " + r.header("Host"));
            return true;
        }, seen);
        resources.add(origin);
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, routes: [ %s ] }
                backends:
                  - { name: pool, servers: [ { name: o, address: %s } ] }
                """.formatted(routes, origin.address()), Path.of("test.yaml")), 1);
        balancer.start();
        front = balancer.address("web");
    }

    private Raw raw() throws IOException {
        Raw r = new Raw(front);
        resources.add(r);
        return r;
    }

    @Test
    void anAbsoluteFormTargetsAuthorityReplacesTheHostTheClientSent() throws Exception {
        start("{ match: { host: public.example }, backend: pool }");
        try (Raw c = raw()) {
            c.send("GET http://public.example/x HTTP/1.1\r\nHost: internal.example\r\n\r\n");
            Raw.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("host public.example");
            c.send("GET http://Public.Example:8080?q=1 HTTP/1.1\r\nHost: internal.example\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("host Public.Example:8080");
            // The same request in origin form is for internal.example, which no route allows.
            c.send("GET /x HTTP/1.1\r\nHost: internal.example\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(404);
        }
        assertThat(seen.requests).hasSize(2);
        for (Origin.Request r : seen.requests) {
            assertThat(r.all("Host")).hasSize(1);
            assertThat(r.all("Host").getFirst()).isNotEqualTo("internal.example");
            assertThat(r.header("X-Forwarded-Host")).isEqualTo(r.header("Host"));
        }
        assertThat(seen.requests.get(0).target()).isEqualTo("http://public.example/x");
    }
}
