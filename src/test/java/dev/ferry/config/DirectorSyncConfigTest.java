package dev.ferry.config;

import dev.ferry.config.DirectorConfig.Sync;
import dev.ferry.config.DirectorConfig.Sync.Role;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code directors[].sync}: the LVS sync daemon's settings, read, and each mistake placed at its key and line. */
class DirectorSyncConfigTest {
    private static final String FILE = "conf/ferry.yaml";
    private static final String HEAD = """
            backends:
              - name: web
                servers: [ { address: 10.101.0.11:8080 } ]
            directors:
              - name: lvs1
                services: [ { vip: 10.200.0.100:80, backend: web } ]
            """;

    private static FerryConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, Path.of(FILE));
    }

    private static String onlyProblem(String sync, int line, String key) {
        List<ConfigProblem> problems;
        try {
            parse(HEAD + sync);
            throw new AssertionError("expected a refusal of " + sync);
        } catch (ConfigException e) {
            problems = e.problems();
        }
        assertThat(problems).as("problems of %s", sync).hasSize(1);
        ConfigProblem p = problems.getFirst();
        assertThat(p.file()).isEqualTo(FILE);
        assertThat(p.key()).isEqualTo(key);
        assertThat(p.line()).isEqualTo(line);
        return p.message();
    }

    @Test
    void withoutSyncADirectorHasNone() throws ConfigException {
        assertThat(parse(HEAD).directors().getFirst().sync()).isEmpty();
    }

    @Test
    void anActiveDirectorSendsToItsPeerAndAStandbyListens() throws ConfigException {
        assertThat(parse(HEAD + "    sync: { role: active, peer: 10.100.0.3:8848, id: 7 }\n")
                .directors().getFirst().sync()).contains(new Sync(Role.ACTIVE, Optional.empty(),
                Optional.of(new HostPort("10.100.0.3", 8848)), 7));
        assertThat(parse(HEAD + "    sync: { role: active, peer: 10.100.0.3:8848, listen: 10.100.0.1:0 }\n")
                .directors().getFirst().sync().orElseThrow().listen()).contains(new HostPort("10.100.0.1", 0));
        assertThat(parse(HEAD + """
                    sync:
                      role: standby
                      listen: 10.100.0.3:8848
                """).directors().getFirst().sync()).contains(new Sync(Role.STANDBY,
                Optional.of(new HostPort("10.100.0.3", 8848)), Optional.empty(), 0));
    }

    @Test
    void eachMistakeIsPlacedAtItsKey() {
        assertThat(onlyProblem("    sync: { peer: 10.100.0.3:8848 }\n", 7, "directors[0].sync.role"))
                .contains("role: active", "role: standby");
        assertThat(onlyProblem("    sync: { role: master, peer: 10.100.0.3:8848 }\n", 7, "directors[0].sync.role"))
                .contains("allowed: active, standby");
        assertThat(onlyProblem("    sync: { role: active }\n", 7, "directors[0].sync.peer")).contains("missing");
        assertThat(onlyProblem("    sync: { role: standby }\n", 7, "directors[0].sync.listen")).contains("missing");
        assertThat(onlyProblem("    sync: { role: standby, listen: 10.100.0.3:0 }\n", 7, "directors[0].sync.listen"))
                .contains("fixed port");
        assertThat(onlyProblem("    sync: { role: standby, listen: 10.100.0.3:8848, peer: 10.100.0.1:8848 }\n", 7,
                "directors[0].sync.peer")).contains("role: active");
        assertThat(onlyProblem("    sync: { role: active, peer: 10.100.0.3:8848, id: 256 }\n", 7,
                "directors[0].sync.id")).contains("0..255");
        assertThat(onlyProblem("    sync: { role: active, peer: standby.lan:8848 }\n", 7, "directors[0].sync.peer"))
                .contains("IPv4");
        assertThat(onlyProblem("""
                    sync:
                      role: active
                      peer: 10.100.0.3:8848
                      multicast: true
                """, 10, "directors[0].sync.multicast")).contains("role, listen, peer, id");
    }
}
