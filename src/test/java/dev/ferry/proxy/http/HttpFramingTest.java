package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.LeakWatch;
import dev.ferry.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
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
@ExtendWith(LeakWatch.class)
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

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            chunked with a parameter    | 400 | chunked;foo=bar
            leading empty element       | 400 | ', chunked'
            trailing empty element      | 400 | 'chunked,'
            chunked not last            | 400 | chunked, gzip
            a coding before chunked     | 501 | gzip, chunked
            an unknown coding           | 501 | xchunked
            identity                    | 501 | identity
            """)
    void aRequestTransferEncodingOtherThanChunkedIsRefusedAndNeverForwarded(String what, int status, String te)
            throws Exception {
        Origin seen = new Origin();
        start(echoing(seen));
        try (Raw c = raw()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te + "\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
            Raw.Response r = c.read();
            assertThat(r.status()).as(what).isEqualTo(status);
            assertThat(r.header("Connection")).isEqualTo("close");
            assertThat(c.closedByPeer()).isTrue();
        }
        assertThat(seen.requests).as(what).isEmpty();
    }

    @Test
    void twoTransferEncodingFieldsAreOneListAndRefused() throws Exception {
        Origin seen = new Origin();
        start(echoing(seen));
        try (Raw c = raw()) {
            c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "0\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(501);
        }
        assertThat(seen.requests).isEmpty();
    }

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
}
