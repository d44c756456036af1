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
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How bodies are framed on the way through (issue 15): the Transfer-Encoding Ferry forwards is the one it writes, and
 * trailer fields that would change framing, routing or the connection are dropped, in both directions.
 */
@Timeout(60)
class HttpFramingTest {
    private final List<AutoCloseable> resources = new ArrayList<>();
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

    private void start(TestServer origin) throws Exception {
        resources.add(origin);
        balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool }
                backends:
                  - { name: pool, servers: [ { name: o, address: %s } ] }
                """.formatted(origin.address()), Path.of("test.yaml")), 1);
        balancer.start();
        front = balancer.address("web");
    }

    private Raw raw() throws IOException {
        Raw r = new Raw(front);
        resources.add(r);
        return r;
    }

    private static TestServer echoing(Origin seen) {
        return Origin.start("o", (r, out, s) -> {
            Origin.text(out, 200, "got " + r.bodyText());
            return true;
        }, seen);
    }

    @Test
    void aChunkedRequestIsForwardedSayingExactlyChunkedWhateverCaseOrSpacingItCameIn() throws Exception {
        Origin seen = new Origin();
        start(echoing(seen));
        try (Raw c = raw()) {
            c.send("POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:  CHUNKED \t\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("got abc");
            c.send("POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("got de");
        }
        assertThat(seen.requests).hasSize(2);
        for (Origin.Request r : seen.requests) {
            assertThat(r.all("Transfer-Encoding")).as(r.target()).containsExactly("chunked");
            assertThat(r.header("Content-Length")).isNull();
        }
    }

    // Request Transfer-Encodings other than chunked (refused, never forwarded): the HTTP/1 corpus, Http1CorpusTest.

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            chunked with a parameter | chunked;foo=bar   | chunked
            leading empty element    | ', chunked'       | chunked
            trailing empty element   | 'chunked , '      | chunked
            upper case               | CHUNKED           | chunked
            gzip then chunked        | 'gzip ,, chunked' | gzip, chunked
            """)
    void aChunkedResponseReachesTheClientSayingTheCodingsFerryWrites(String what, String te, String expected)
            throws Exception {
        start(Origin.start("o", (r, out, s) -> {
            out.write(("HTTP/1.1 200 OK\r\nTransfer-Encoding: " + te + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            return true;
        }));
        try (Raw c = raw()) {
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            Raw.Response r = c.read();
            assertThat(r.status()).as(what).isEqualTo(200);
            assertThat(r.headers()).filteredOn(h -> h[0].equalsIgnoreCase("Transfer-Encoding"))
                    .as(what).extracting(h -> h[1]).containsExactly(expected);
            assertThat(r.body()).isEqualTo("hello");
            // The framing was read as it was written: the connection carries on.
            c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("hello");
        }
    }

    /** Reads a chunked body from its first size line; returns its data, then "|", then its trailer lines. */
    private static String readChunkedWithTrailers(InputStream in) throws IOException {
        StringBuilder body = new StringBuilder();
        for (int chunks = 0; chunks < 100; chunks++) {
            int n = Integer.parseInt(Origin.readLine(in).split(";")[0].trim(), 16);
            if (n == 0) {
                List<String> trailers = new ArrayList<>();
                for (String t; !(t = Origin.readLine(in)).isEmpty(); ) {
                    trailers.add(t);
                }
                return body + "|" + String.join("|", trailers);
            }
            body.append(new String(in.readNBytes(n), StandardCharsets.ISO_8859_1));
            assertThat(Origin.readLine(in)).isEmpty();
        }
        throw new AssertionError("more than 100 chunks");
    }

    private static final String FORBIDDEN_TRAILERS = "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"
            + "Host: evil.example\r\nTrailer: X-Ok\r\nConnection: close\r\nX-Ok: 1\r\nContent-Type: text/evil\r\n";

    /** Issue 15 item 7: such a request used to get no response at all (an exception on the event loop). */
    @Test
    void forbiddenRequestTrailerFieldsAreDroppedAndTheRestForwarded() throws Exception {
        List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>();
        start(TestServer.start("o", s -> {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            for (int requests = 0; requests < 10; requests++) {
                if (Origin.readLine(in) == null) {
                    return;
                }
                boolean chunked = false;
                for (String h; !(h = Origin.readLine(in)).isEmpty(); ) {
                    chunked |= h.equalsIgnoreCase("Transfer-Encoding: chunked");
                }
                String got = chunked ? readChunkedWithTrailers(in) : "";
                received.add(got);
                Origin.text(out, 200, got);
            }
        }));
        try (Raw c = raw()) {
            c.send("POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
                    + FORBIDDEN_TRAILERS + "\r\n");
            Raw.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("abc|X-Ok: 1");
            // Only the trailer was dropped: the connection carries on.
            c.send("POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 9\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("|");
        }
        assertThat(received).containsExactly("abc|X-Ok: 1", "|");
    }

    /** Issue 15 item 7: such a response used to be cut off after its body, before the last chunk. */
    @Test
    void forbiddenResponseTrailerFieldsAreDroppedAndTheRestReachTheClient() throws Exception {
        start(Origin.start("o", (r, out, s) -> {
            out.write(("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
                    + FORBIDDEN_TRAILERS + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            return true;
        }));
        try (Raw c = raw()) {
            for (int i = 0; i < 2; i++) {
                c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(Origin.readLine(c.in)).startsWith("HTTP/1.1 200");
                List<String> head = new ArrayList<>();
                for (String h; !(h = Origin.readLine(c.in)).isEmpty(); ) {
                    head.add(h);
                }
                assertThat(head).contains("Transfer-Encoding: chunked");
                assertThat(readChunkedWithTrailers(c.in)).isEqualTo("hello|X-Ok: 1");
            }
        }
    }
}
