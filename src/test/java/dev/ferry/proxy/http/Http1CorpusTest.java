package dev.ferry.proxy.http;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The HTTP/1 corpus (issue 22 item 2): each case of {@code src/test/resources/http1-cases.txt} (its format is
 * described at the top of that file) sent through a real Ferry on real sockets, to a {@link StrictOrigin} that
 * records what reached it. A refused request never reaches the origin; a forwarded one reaches it as bytes that a
 * strict reader reads as the same message, and nothing else reaches it (no smuggled second request).
 */
@Timeout(60)
class Http1CorpusTest {
    private static final String CASES = "/http1-cases.txt";

    static List<Http1Case> cases() {
        try (InputStream in = Http1CorpusTest.class.getResourceAsStream(CASES)) {
            return Http1Case.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theCorpusHoldsAtLeast150Cases() {
        assertThat(cases()).hasSizeGreaterThanOrEqualTo(150);
        assertThat(cases()).extracting(Http1Case::name).doesNotHaveDuplicates();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void http1Case(Http1Case c) throws Exception {
        StrictOrigin origin = new StrictOrigin(c.reply(), c.originCloses());
        List<Raw.Response> got = new ArrayList<>();
        boolean closed = false;
        try (Balancer balancer = new Balancer(ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: pool }
                backends:
                  - { name: pool, retries: 0, servers: [ { name: o, address: %s } ] }
                """.formatted(origin.server().address()), Path.of("corpus.yaml")), 1)) {
            balancer.start();
            try (Raw client = new Raw(balancer.address("web"))) {
                client.socket.getOutputStream().write(c.request());
                client.socket.getOutputStream().flush();
                for (int i = 0; i < c.statuses().size(); i++) {
                    Raw.Response r = client.read(c.head());
                    assertThat(r).as("response %d of %s", i + 1, c.statuses()).isNotNull();
                    got.add(r);
                }
                if (c.statuses().isEmpty()) {
                    assertThat(client.read(c.head())).as("a response, where none was expected").isNull();
                }
                if (c.closed()) {
                    closed = client.closedByPeer();
                }
            }
        } finally {
            // Whatever Ferry forwarded has reached the origin once its connections to it are gone.
            await().atMost(Duration.ofSeconds(20)).until(() -> origin.server().openConnections() == 0);
            origin.server().close();
        }
        assertThat(got).extracting(Raw.Response::status).as("statuses").containsExactlyElementsOf(c.statuses());
        if (c.closed()) {
            assertThat(closed).as("Ferry closed the connection").isTrue();
        }
        Raw.Response last = got.isEmpty() ? null : got.getLast();
        for (Http1Case.Check k : c.client()) {
            k.assertOn(last.body(), last::header, n -> (int) last.headers().stream()
                    .filter(h -> h[0].equalsIgnoreCase(n)).count(), "the client's last response");
        }
        // A request refused for its body may have had its head forwarded already (Ferry streams): the origin then
        // sees it cut off, never whole.
        assertThat(origin.problems).as("what the origin could not read strictly")
                .allMatch(p -> p.startsWith(StrictOrigin.CUT_OFF) && c.forwarded() != null && c.forwarded().isEmpty());
        if (c.forwarded() != null) {
            assertThat(origin.requests).extracting(r -> r.method() + " " + r.target())
                    .as("what reached the origin").containsExactlyElementsOf(
                            c.forwarded().stream().map(Http1Case.Forwarded::line).toList());
            for (int i = 0; i < c.forwarded().size(); i++) {
                StrictOrigin.Request r = origin.requests.get(i);
                for (Http1Case.Check k : c.forwarded().get(i).checks()) {
                    k.assertOn(new String(r.body(), StandardCharsets.ISO_8859_1), r::header, r::count,
                            "forwarded " + StrictOrigin.escape(r.wire()));
                }
            }
        }
    }
}
