package dev.ferry.proxy.http;

import dev.ferry.config.HeaderRules;
import dev.ferry.config.RouteActions;
import dev.ferry.config.ValueTemplate;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pieces of the route actions on their own: the Location a redirect builds (IPv6 hosts, default ports,
 * absolute-form targets), path rewrites, and header rules with templates on a protocol-neutral head.
 */
class RouteRewritesTest {
    private static RequestTarget target(String authority, String path) {
        return new RequestTarget(Http2RequestHead.of(new DefaultHttp2Headers().method("GET").scheme("http")
                .authority(authority).path(path), true, null));
    }

    private static RouteActions.Redirect redirect(String scheme, String host, Integer port, String path,
                                                  String prefix, boolean strip) {
        return new RouteActions.Redirect(Optional.ofNullable(scheme), Optional.ofNullable(host),
                port == null ? OptionalInt.empty() : OptionalInt.of(port), Optional.ofNullable(path),
                Optional.ofNullable(prefix), 302, strip);
    }

    @Test
    void theLocationKeepsWhatIsNotReplaced() {
        RedirectAnswer https = new RedirectAnswer(redirect("https", null, null, null, null, false), null);
        assertThat(https.location(target("[::1]:8080", "/a?b=c"), "http")).isEqualTo("https://[::1]/a?b=c");
        assertThat(https.location(target("site", "/"), "http")).isEqualTo("https://site/");

        RedirectAnswer same = new RedirectAnswer(redirect(null, null, null, null, "/n/", true), "/o/");
        assertThat(same.location(target("[::1]:8080", "/o/x?y"), "http")).isEqualTo("http://[::1]:8080/n/x");
        assertThat(same.location(target("site:80", "/o/x"), "http")).as("a default port is left out")
                .isEqualTo("http://site/n/x");

        RedirectAnswer port = new RedirectAnswer(redirect(null, null, 443, null, null, false), null);
        assertThat(port.location(target("site:8443", "/p"), "https")).isEqualTo("https://site/p");
        RedirectAnswer host = new RedirectAnswer(redirect(null, "www.example.com", null, "/landing", null, false),
                null);
        assertThat(host.location(target("example.com:8080", "/x?q"), "http"))
                .as("a new host drops the old port").isEqualTo("http://www.example.com/landing?q");
    }

    @Test
    void anAbsoluteFormTargetRedirectsByItsAuthority() {
        RequestTarget t = new RequestTarget(Http2RequestHead.of(new DefaultHttp2Headers().method("GET")
                .scheme("http").authority("ignored").path("http://a.example:81/p?q"), true, null));
        RedirectAnswer https = new RedirectAnswer(redirect("https", null, null, null, null, false), null);
        assertThat(https.location(t, "http")).isEqualTo("https://a.example/p?q");
    }

    @Test
    void pathRewritesKeepTheQueryAndStartWithASlash() {
        PathRewriter strip = new PathRewriter(new RouteActions.PathRewrite("/api", "", false));
        assertThat(strip.rewrite(target("h", "/api/x?y=1"))).isEqualTo("/x?y=1");
        assertThat(strip.rewrite(target("h", "/api"))).isEqualTo("/");
        assertThat(strip.rewrite(target("h", "/apix"))).isEqualTo("/x");
        assertThat(strip.rewrite(target("h", "/other"))).isNull();
        PathRewriter regex = new PathRewriter(new RouteActions.PathRewrite("^/u/(\\d+)$", "/users?id=$1", true));
        assertThat(regex.rewrite(target("h", "/u/42"))).isEqualTo("/users?id=42");
        assertThat(regex.rewrite(target("h", "/u/x"))).isNull();
    }

    @Test
    void headerRulesRemoveThenSetThenAddWithTheirValues() {
        Http2RequestHead head = Http2RequestHead.of(new DefaultHttp2Headers().method("GET").scheme("http")
                .authority("h:1").path("/p").add("x-a", "1").add("x-a", "2").add("x-gone", "g"), true, null);
        ActionValues values = new ActionValues(head, new RequestTarget(head), "rid", "web", false,
                new InetSocketAddress("127.0.0.1", 4000), "pool");
        values.attempt("s1");
        HeaderRewriter rules = HeaderRewriter.of(new HeaderRules(
                List.of(new HeaderRules.Field("x-a", ValueTemplate.parse("$server/$request_id"))),
                List.of(new HeaderRules.Field("x-gone", ValueTemplate.parse("$client_ip:$client_port $method $uri"))),
                List.of("x-gone")));
        rules.apply(head.fields(), values);
        assertThat(head.fields().getAll("x-a")).containsExactly("s1/rid");
        assertThat(head.fields().getAll("x-gone")).containsExactly("127.0.0.1:4000 GET /p");
        values.attempt("s2");
        rules.applyAgain(head.fields(), values);
        assertThat(head.fields().getAll("x-a")).containsExactly("s2/rid");
        assertThat(head.fields().getAll("x-gone")).hasSize(1);
        assertThat(HeaderRewriter.of(HeaderRules.NONE)).isNull();
    }
}
