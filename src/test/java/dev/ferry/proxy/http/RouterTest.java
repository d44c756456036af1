package dev.ferry.proxy.http;

import dev.ferry.config.RouteConfig;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Route conditions one by one, on request heads built in memory. */
class RouterTest {

    private static RouteConfig.Match match() {
        return new RouteConfig.Match(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                List.of(), Map.of(), Map.of());
    }

    private static RouteConfig.Match host(String h) {
        return new RouteConfig.Match(Optional.of(h), Optional.empty(), Optional.empty(), Optional.empty(),
                List.of(), Map.of(), Map.of());
    }

    private static boolean matches(RouteConfig.Match m, String method, String uri, String... headers) {
        StringBuilder wire = new StringBuilder(method + " " + uri + " HTTP/1.1\r\n");
        for (int i = 0; i < headers.length; i += 2) {
            wire.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        return new RouteMatcher(m).matches(new RequestTarget(head(wire.append("\r\n").toString())));
    }

    private static RequestHead head(String wire) {
        try {
            return HeadParser.request(Unpooled.copiedBuffer(wire, StandardCharsets.ISO_8859_1), 8192, 8192, 100);
        } catch (HeadParser.BadMessage e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    @Test
    void hostsMatchExactlyOrBySuffixIgnoringCaseAndPort() {
        assertThat(matches(host("api.test"), "GET", "/", "Host", "API.test:8080")).isTrue();
        assertThat(matches(host("api.test"), "GET", "/", "Host", "www.api.test")).isFalse();
        assertThat(matches(host("*.api.test"), "GET", "/", "Host", "www.api.test")).isTrue();
        assertThat(matches(host("*.api.test"), "GET", "/", "Host", "a.b.API.test:1")).isTrue();
        assertThat(matches(host("*.api.test"), "GET", "/", "Host", "api.test")).isFalse();
        assertThat(matches(host("*.api.test"), "GET", "/", "Host", "xapi.test")).isFalse();
        assertThat(matches(host("api.test:8080"), "GET", "/", "Host", "api.test:8080")).isTrue();
        assertThat(matches(host("api.test:8080"), "GET", "/", "Host", "api.test")).isFalse();
        assertThat(matches(host("api.test"), "GET", "/")).isFalse();
        assertThat(matches(host("api.test"), "GET", "http://api.test:81/x", "Host", "other")).isTrue();
        assertThat(matches(host("[::1]"), "GET", "/", "Host", "[::1]:8080")).isTrue();
    }

    @Test
    void pathsIgnoreTheQueryAndFragmentAndAreNotDecoded() {
        RouteConfig.Match exact = new RouteConfig.Match(Optional.empty(), Optional.empty(), Optional.of("/a/b"),
                Optional.empty(), List.of(), Map.of(), Map.of());
        RouteConfig.Match prefix = new RouteConfig.Match(Optional.empty(), Optional.of("/api/"), Optional.empty(),
                Optional.empty(), List.of(), Map.of(), Map.of());
        RouteConfig.Match regex = new RouteConfig.Match(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of("\\.(png|jpg)$"), List.of(), Map.of(), Map.of());
        assertThat(matches(exact, "GET", "/a/b?x=1")).isTrue();
        assertThat(matches(exact, "GET", "/a/b/")).isFalse();
        assertThat(matches(exact, "GET", "/a%2Fb")).isFalse();
        assertThat(matches(prefix, "GET", "/api/")).isTrue();
        assertThat(matches(prefix, "GET", "/api")).isFalse();
        assertThat(matches(prefix, "GET", "/ap?/api/")).isFalse();
        assertThat(matches(prefix, "GET", "http://h/api/v1")).isTrue();
        assertThat(matches(regex, "GET", "/x/y.png?size=2")).isTrue();
        assertThat(matches(regex, "GET", "/x/y.png.txt")).isFalse();
        assertThat(matches(regex, "GET", "/x?y.png")).isFalse();
    }

    @Test
    void methodsHeadersAndQueryParameters() {
        RouteConfig.Match m = new RouteConfig.Match(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), List.of("GET", "HEAD"), Map.of("X-Canary", "1"), Map.of("v", "a b", "k", ""));
        assertThat(matches(m, "GET", "/?v=a+b&k=", "x-canary", "1")).isTrue();
        assertThat(matches(m, "HEAD", "/?k&v=a%20b", "X-Canary", "1")).isTrue();
        assertThat(matches(m, "POST", "/?v=a+b&k=", "X-Canary", "1")).isFalse();
        assertThat(matches(m, "GET", "/?v=a+b&k=", "X-Canary", "2")).isFalse();
        assertThat(matches(m, "GET", "/?v=a+b&k=", "X-Canary", "2", "X-Canary", "1")).isTrue();
        assertThat(matches(m, "GET", "/?v=ab&k=", "X-Canary", "1")).isFalse();
        assertThat(matches(m, "GET", "/?v=a+b", "X-Canary", "1")).isFalse();
        assertThat(matches(m, "GET", "/#?v=a+b&k=", "X-Canary", "1")).isFalse();
        assertThat(matches(match(), "DELETE", "*")).isTrue();
    }

    @Test
    void theFirstMatchingRouteWinsAndNoMatchIsNull() {
        Route api = new Route("routes[0]", new RouteMatcher(host("api.test")), null);
        Route any = new Route("routes[1]", null, null);
        RequestHead r = head("GET / HTTP/1.1\r\nHost: api.test\r\n\r\n");
        assertThat(new Router(List.of(api, any)).route(new RequestTarget(r))).isSameAs(api);
        r = head("GET / HTTP/1.1\r\nHost: www.test\r\n\r\n");
        assertThat(new Router(List.of(api, any)).route(new RequestTarget(r))).isSameAs(any);
        assertThat(new Router(List.of(api)).route(new RequestTarget(r))).isNull();
    }
}
