package dev.ferry.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Route actions as the reader makes them (issue 20 item 8): defaults, templates parsed once, rewrite kinds. */
class RouteActionsConfigTest {

    private static List<RouteConfig> routes(String routes) throws ConfigException {
        return ConfigLoaderTest.parse("""
                frontends:
                  - name: web
                    listen: 127.0.0.1:0
                    mode: http
                    routes:
                %s
                backends:
                  - { name: pool, servers: [ { address: 127.0.0.1:9001 } ] }
                """.formatted(routes.indent(6))).frontends().getFirst().routes();
    }

    @Test
    void theTypicalHttpsRedirectIsOneLineAndNeedsNoBackend() throws ConfigException {
        RouteConfig r = routes("- { redirect: { scheme: https, code: 308 } }").getFirst();
        assertThat(r.backend()).isNull();
        assertThat(r.actions().redirect()).contains(new RouteActions.Redirect(Optional.of("https"), Optional.empty(),
                OptionalInt.empty(), Optional.empty(), Optional.empty(), 308, false));
        assertThat(r.actions().answers()).isTrue();
    }

    @Test
    void defaultsAre302TheRequestsQueryAndPlainText() throws ConfigException {
        List<RouteConfig> r = routes("""
                - { match: { path: /a }, redirect: { host: example.com } }
                - { match: { path: /b }, return: { status: 200, body: ok } }
                - backend: pool
                """);
        assertThat(r.get(0).actions().redirect().orElseThrow().code()).isEqualTo(302);
        assertThat(r.get(0).actions().redirect().orElseThrow().stripQuery()).isFalse();
        assertThat(r.get(1).actions().fixed()).contains(new RouteActions.FixedAnswer(200, "ok",
                "text/plain; charset=utf-8"));
        assertThat(r.get(2).actions()).isEqualTo(RouteActions.NONE);
    }

    @Test
    void headerRulesKeepFileOrderWithLowerCaseNamesAndParsedTemplates() throws ConfigException {
        RouteConfig r = routes("""
                - backend: pool
                  request_headers:
                    set: { X-Id: $request_id, X-Both: "${server}-$$-x" }
                    add: { X-Via-Route: web }
                    remove: [X-Secret, Cookie]
                """).getFirst();
        HeaderRules rules = r.actions().requestHeaders();
        assertThat(rules.set()).extracting(HeaderRules.Field::name).containsExactly("x-id", "x-both");
        assertThat(rules.set().get(0).value().parts())
                .containsExactly(new ValueTemplate.Part(null, ValueTemplate.Variable.REQUEST_ID));
        assertThat(rules.set().get(1).value().parts()).containsExactly(
                new ValueTemplate.Part(null, ValueTemplate.Variable.SERVER), new ValueTemplate.Part("-$-x", null));
        assertThat(rules.add()).containsExactly(new HeaderRules.Field("x-via-route", ValueTemplate.literal("web")));
        assertThat(rules.remove()).containsExactly("x-secret", "cookie");
    }

    @Test
    void pathRewritesTakeTheMatchedPrefixWhenFromIsLeftOut() throws ConfigException {
        List<RouteConfig> r = routes("""
                - { match: { path_prefix: /api/ }, backend: pool, path: { replace_prefix: { to: /v2/ } } }
                - { match: { path_prefix: /s/ }, backend: pool, path: { strip_prefix: /s } }
                - { match: { path_prefix: /r/ }, backend: pool, path: { regex_replace: { pattern: "^/r/(\\\\w+)", substitution: "/x/$1" } } }
                """);
        assertThat(r.get(0).actions().path()).contains(new RouteActions.PathRewrite("/api/", "/v2/", false));
        assertThat(r.get(1).actions().path()).contains(new RouteActions.PathRewrite("/s", "", false));
        assertThat(r.get(2).actions().path()).contains(new RouteActions.PathRewrite("^/r/(\\w+)", "/x/$1", true));
    }

    @Test
    void templatesSayWhatIsWrong() {
        assertThat(ValueTemplate.parse("a$$b").parts()).containsExactly(new ValueTemplate.Part("a$b", null));
        assertThat(ValueTemplate.parse("id=${request_id}ms").toString()).isEqualTo("id=${request_id}ms");
        assertThat(ValueTemplate.parse("plain").isConstant()).isTrue();
        assertThatThrownBy(() -> ValueTemplate.parse("cost $5")).hasMessage("'cost $5': a '$' that starts no "
                + "variable; write $$ for a dollar sign, or one of $request_id, $server, $backend, $frontend, "
                + "$client_ip, $client_port, $host, $scheme, $method, $uri");
        assertThatThrownBy(() -> ValueTemplate.parse("$hots")).hasMessageStartingWith(
                "unknown variable '$hots'; did you mean '$host'?");
        assertThatThrownBy(() -> ValueTemplate.parse("a\nb")).hasMessageContaining("a control character");
    }
}
