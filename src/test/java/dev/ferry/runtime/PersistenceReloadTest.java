package dev.ferry.runtime;

import dev.ferry.backend.Backend;
import dev.ferry.backend.StickTable;
import dev.ferry.backend.StickyCookie;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.proxy.tcp.TcpFrontend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hot reload applies {@code sticky}, {@code stick} and {@code persistence} (issue 20 items 1 to 3) and says so: a
 * sticky cookie added by a reload works at once and a later reload keeps its key (cookies stay valid); a stick table
 * keeps its entries across a new expiry or size and starts empty when {@code on} changes; a tcp frontend's
 * persistence comes and goes with the file, keeping its templates while its settings stay.
 */
@Timeout(60)
class PersistenceReloadTest {
    private Balancer balancer;

    @AfterEach
    void tearDown() {
        if (balancer != null) {
            balancer.close();
        }
    }

    private static FerryConfig config(String backendExtra, String persistence) throws Exception {
        return ConfigLoader.parse("""
                frontends:
                  - { name: web, listen: 127.0.0.1:0, mode: http, backend: app }
                  - { name: l4, listen: 127.0.0.1:0, backend: app%s }
                backends:
                  - name: app
                %s
                    servers: [ { name: a, address: 127.0.0.1:1 }, { name: b, address: 127.0.0.1:2 } ]
                """.formatted(persistence, backendExtra.indent(4)), Path.of("reload.yaml"));
    }

    private Backend app() {
        return balancer.backends().get("app");
    }

    private TcpFrontend l4() {
        return (TcpFrontend) balancer.frontends().stream().filter(f -> f.name().equals("l4")).findFirst()
                .orElseThrow();
    }

    @Test
    void reloadsApplyStickyStickAndPersistenceAndKeepWhatStillFits() throws Exception {
        balancer = new Balancer(config("", ""), 1);
        balancer.start();
        assertThat(app().affinity().isEmpty()).isTrue();
        assertThat(l4().persistence()).isNull();

        ReloadReport added = balancer.reload(config("sticky: { cookie: SRV }\nstick: { on: source_ip }",
                ", persistence: { timeout: 60s, netmask: 24 }"));
        assertThat(added.changes()).anySatisfy(c -> assertThat(c).contains("sticky added"))
                .anySatisfy(c -> assertThat(c).contains("stick added"))
                .anySatisfy(c -> assertThat(c).contains("frontend l4: updated (persistence added)"));
        StickyCookie cookie = app().affinity().cookie().orElseThrow();
        String value = cookie.insertValue(app().server("b").orElseThrow(), cookie.nowSeconds());
        StickTable table = app().affinity().table().orElseThrow();
        table.store("10.0.0.1", app().server("a").orElseThrow());
        var persistence = l4().persistence();
        assertThat(persistence).isNotNull();

        ReloadReport changed = balancer.reload(config("sticky: { cookie: SRV, idle: 1h }\n"
                + "stick: { on: source_ip, expire: 1h, size: 10 }", ", persistence: { timeout: 60s, netmask: 24 }"));
        assertThat(changed.changes()).anySatisfy(c -> assertThat(c).contains("sticky.idle 0s -> 1h"))
                .anySatisfy(c -> assertThat(c).contains("stick.expire 30m -> 1h"));
        assertThat(app().affinity().cookie().orElseThrow().resolve(value).server().name())
                .as("the key is kept: cookies stay valid").isEqualTo("b");
        assertThat(app().affinity().table().orElseThrow().lookup("10.0.0.1").name()).as("entries kept").isEqualTo("a");
        assertThat(l4().persistence()).as("same settings: same templates").isSameAs(persistence);

        ReloadReport removed = balancer.reload(config("stick: { on: header:X-User }", ""));
        assertThat(removed.changes()).anySatisfy(c -> assertThat(c).contains("persistence removed"))
                .anySatisfy(c -> assertThat(c).contains("stick.on source_ip -> header:X-User"));
        assertThat(app().affinity().cookie()).isEmpty();
        assertThat(app().affinity().table().orElseThrow().size()).as("a new key: a new table").isZero();
        assertThat(l4().persistence()).isNull();
    }
}
