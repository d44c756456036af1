package dev.ferry.runtime;

import dev.ferry.accesslog.AccessLog;
import dev.ferry.backend.Backend;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.FrontendConfig;
import dev.ferry.proxy.Frontend;
import dev.ferry.proxy.http.HttpFrontend;
import dev.ferry.proxy.tcp.TcpFrontend;
import dev.ferry.proxy.udp.UdpFrontend;
import dev.ferry.transport.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Each mode's options make that mode's frontend, over the configured backend (issue 17 item 4c). Nothing binds. */
class FrontendFactoryTest {
    private static Transport transport;

    @BeforeAll
    static void loops() {
        transport = new Transport(1);
    }

    @AfterAll
    static void close() {
        transport.close();
    }

    @Test
    void eachModeMakesItsFrontend() throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends:
                  - { name: raw, listen: 127.0.0.1:0, mode: tcp, backend: site }
                  - { name: dns, listen: 127.0.0.1:0, mode: udp, backend: resolvers, udp: { per_datagram: true } }
                  - { name: web, listen: 127.0.0.1:0, mode: http, routes: [ { backend: site } ] }
                backends:
                  - { name: site, servers: [ { address: 127.0.0.1:9001 } ] }
                  - { name: resolvers, servers: [ { address: 127.0.0.1:53 } ] }
                """, Path.of("factory.yaml"));
        Map<String, Backend> backends = new LinkedHashMap<>();
        config.backends().forEach(b -> backends.put(b.name(), new Backend(b)));
        FrontendFactory factory = new FrontendFactory(transport, AccessLog.NONE);

        Map<String, Frontend> made = new LinkedHashMap<>();
        for (FrontendConfig fc : config.frontends()) {
            made.put(fc.name(), factory.create(fc, backends, Optional.empty()));
        }

        assertThat(made.get("raw")).isInstanceOf(TcpFrontend.class);
        assertThat(((TcpFrontend) made.get("raw")).backend()).isSameAs(backends.get("site"));
        assertThat(made.get("dns")).isInstanceOf(UdpFrontend.class);
        assertThat(((UdpFrontend) made.get("dns")).backend()).isSameAs(backends.get("resolvers"));
        assertThat(made.get("web")).isInstanceOf(HttpFrontend.class);
        for (FrontendConfig fc : config.frontends()) {
            assertThat(made.get(fc.name()).config()).isSameAs(fc);
            assertThat(made.get(fc.name()).name()).isEqualTo(fc.name());
        }
    }
}
