package dev.ferry.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code directors[].services[].sloppy_tcp}: off by default, read per service. */
class SloppyTcpConfigTest {
    @Test
    void offByDefaultAndOnWhereASaysSo() throws ConfigException {
        FerryConfig config = ConfigLoader.parse("""
                backends: [ { name: web, scheduler: mh, servers: [ { address: 10.101.0.11:80 } ] } ]
                directors:
                  - name: lvs1
                    services:
                      - { vip: 10.200.0.100:80, backend: web }
                      - { vip: 10.200.0.101:80, backend: web, sloppy_tcp: true }
                """, Path.of("ferry.yaml"));

        assertThat(config.directors().get(0).services()).extracting(DirectorServiceConfig::sloppyTcp)
                .containsExactly(false, true);
    }
}
