package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The Host a request is routed on and forwarded with (issue 15): absolute-form targets, HTTP/1.0, invalid values. */
@Timeout(60)
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

    /** Issue 15 item 17d: invalid Host values were forwarded to the server as they came. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            a space                   | GET / HTTP/1.1\\r\\nHost: a b\\r\\n\\r\\n
            a tab                     | GET / HTTP/1.1\\r\\nHost: a\\tb\\r\\n\\r\\n
            a control character       | GET / HTTP/1.1\\r\\nHost: a\\u0001b\\r\\n\\r\\n
            user info                 | GET / HTTP/1.1\\r\\nHost: user@a.example\\r\\n\\r\\n
            a slash                   | GET / HTTP/1.1\\r\\nHost: a.example/x\\r\\n\\r\\n
            a backslash               | GET / HTTP/1.1\\r\\nHost: a.example\\\\x\\r\\n\\r\\n
            a port that is no number  | GET / HTTP/1.1\\r\\nHost: a.example:http\\r\\n\\r\\n
            a port over 65535         | GET / HTTP/1.1\\r\\nHost: a.example:65536\\r\\n\\r\\n
            an empty port             | GET / HTTP/1.1\\r\\nHost: a.example:\\r\\n\\r\\n
            two ports                 | GET / HTTP/1.1\\r\\nHost: a.example:80:80\\r\\n\\r\\n
            an unclosed IPv6 address  | GET / HTTP/1.1\\r\\nHost: [::1\\r\\n\\r\\n
            a bad %-escape            | GET / HTTP/1.1\\r\\nHost: a%zz\\r\\n\\r\\n
            two Host fields           | GET / HTTP/1.1\\r\\nHost: a.example\\r\\nHost: a.example\\r\\n\\r\\n
            two Host fields on 1.0    | GET / HTTP/1.0\\r\\nHost: a.example\\r\\nHost: b.example\\r\\n\\r\\n
            user info in the target   | GET http://user@a.example/ HTTP/1.1\\r\\nHost: a.example\\r\\n\\r\\n
            an empty target host      | GET http:///x HTTP/1.1\\r\\nHost: a.example\\r\\n\\r\\n
            a bad target port         | GET http://a.example:99999/ HTTP/1.1\\r\\nHost: a.example\\r\\n\\r\\n
            """)
    void anInvalidHostIs400AndNeverForwarded(String what, String wire) throws Exception {
        start("{ backend: pool }");
        try (Raw c = raw()) {
            c.send(wire.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t")
                    .replace("\\u0001", "\u0001").replace("\\\\", "\\"));
            Raw.Response r = c.read();
            assertThat(r.status()).as(what).isEqualTo(400);
            assertThat(c.closedByPeer()).isTrue();
        }
        assertThat(seen.requests).as(what).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            a name and port    | a.example:8080
            an IPv4 address    | 192.0.2.1
            an IPv6 address    | [2001:db8::1]:443
            sub-delims, escape | a_b~c!$&'()*+,;=%41
            """)
    void validHostsPass(String what, String host) throws Exception {
        start("{ backend: pool }");
        try (Raw c = raw()) {
            c.send("GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
            Raw.Response r = c.read();
            assertThat(r.status()).as(what).isEqualTo(200);
            assertThat(r.body()).isEqualTo("host " + host);
            c.send("GET / HTTP/1.1\r\nHost:\r\n\r\n");
            assertThat(c.read().status()).as("an empty Host (RFC 9112 3.2)").isEqualTo(200);
        }
    }

    /**
     * Issue 15 item 17b: an HTTP/1.0 request without Host went to the server as HTTP/1.1 without Host, which an
     * HTTP/1.1 server must refuse. It now names the frontend address the client connected to.
     */
    @Test
    void anHttp10RequestWithoutHostIsForwardedWithTheFrontendsAddressAsHost() throws Exception {
        start("{ backend: pool }");
        String frontend = "127.0.0.1:" + front.getPort();
        try (Raw c = raw()) {
            c.send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            Raw.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("host " + frontend);
            c.send("GET /named HTTP/1.0\r\nHost: a.example\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("host a.example");
        }
        assertThat(seen.requests).extracting(Origin.Request::version).containsOnly("HTTP/1.1");
        assertThat(seen.requests.get(0).all("Host")).containsExactly(frontend);
        assertThat(seen.requests.get(0).header("X-Forwarded-Host")).isEqualTo(frontend);
    }
}
