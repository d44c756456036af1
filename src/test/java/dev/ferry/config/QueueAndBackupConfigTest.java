package dev.ferry.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 20 items 5 and 6: {@code queue:}, {@code allbackups:}, {@code servers[].backup} as the readers read them. */
class QueueAndBackupConfigTest {
    private static FerryConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, Path.of("ferry.yaml"), ConfigLoaderTest::knownSchedulers);
    }

    @Test
    void aQueueTakesItsDefaultsAndBackupsAreMarked() throws ConfigException {
        FerryConfig c = parse("""
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: a } ]
                backends:
                  - name: a
                    queue: {}
                    allbackups: true
                    servers:
                      - { name: p, address: 127.0.0.1:9001, max_connections: 5 }
                      - { name: s, address: 127.0.0.1:9002, backup: true }
                  - name: b
                    queue: { size: 7, timeout: 250ms }
                    servers: [ { address: 127.0.0.1:9003, max_connections: 1 } ]
                  - name: c
                    servers: [ { address: 127.0.0.1:9004 } ]
                """);
        BackendConfig a = c.backends().get(0);
        assertThat(a.queue()).contains(new QueueConfig(1000, Duration.ofSeconds(5)));
        assertThat(a.allBackups()).isTrue();
        assertThat(a.servers()).extracting(ServerConfig::backup).containsExactly(false, true);
        assertThat(c.backends().get(1).queue()).contains(new QueueConfig(7, Duration.ofMillis(250)));
        assertThat(c.backends().get(1).allBackups()).isFalse();
        assertThat(c.backends().get(2).queue()).isEqualTo(Optional.empty());
    }
}
