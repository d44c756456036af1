package dev.ferry.backend;

import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exact members of a backend's snapshot with backup servers, over a sequence of state changes (as the scheduler
 * tests walk exact sequences): primaries only while one is usable; then the first usable backup in list order, or
 * every usable backup with {@code allbackups}; draining primaries stay members with weight 0.
 */
class BackupSelectionTest {
    private static Backend backend(boolean allBackups) throws Exception {
        FerryConfig c = ConfigLoader.parse("""
                frontends: [ { name: f, listen: 127.0.0.1:0, backend: b } ]
                backends:
                  - name: b
                    scheduler: rr
                    allbackups: %s
                    servers:
                      - { name: x1, address: 127.0.0.1:1, backup: true }
                      - { name: p1, address: 127.0.0.1:2 }
                      - { name: x2, address: 127.0.0.1:3, backup: true, weight: 2 }
                      - { name: p2, address: 127.0.0.1:4 }
                      - { name: x3, address: 127.0.0.1:5, backup: true }
                """.formatted(allBackups), Path.of("b.yaml"));
        return new Backend(c.backends().getFirst());
    }

    private static java.util.List<String> members(Backend b) {
        return b.snapshot().servers().stream().map(Server::name).toList();
    }

    @Test
    void firstUsableBackupOnly() throws Exception {
        Backend b = backend(false);
        Server p1 = b.server("p1").orElseThrow();
        Server p2 = b.server("p2").orElseThrow();
        Server x1 = b.server("x1").orElseThrow();
        assertThat(members(b)).containsExactly("p1", "p2");
        assertThat(x1.index()).isEqualTo(-1);
        assertThat(x1.takesPersistentClients()).as("a standing-by backup keeps no persistent client").isFalse();

        b.setHealthy(p1, false);
        assertThat(members(b)).containsExactly("p2");
        b.setState(p2, ServerState.MAINT);
        assertThat(members(b)).containsExactly("x1");
        b.setHealthy(x1, false);
        assertThat(members(b)).as("the next usable backup").containsExactly("x2");
        b.setWeight(b.server("x2").orElseThrow(), 0);
        assertThat(members(b)).containsExactly("x3");
        b.setHealthy(x1, true);
        assertThat(members(b)).containsExactly("x1");

        b.setState(p2, ServerState.DRAIN);
        assertThat(members(b)).as("a draining primary stays a member, with weight 0").containsExactly("x1", "p2");
        assertThat(p2.weight()).isZero();
        b.setState(p2, ServerState.READY);
        assertThat(members(b)).containsExactly("p2");
        b.setFeedbackFactor(p2, 0);
        assertThat(members(b)).as("feedback 0: not usable").containsExactly("x1", "p2");
        b.setFeedbackFactor(p2, 1);
        b.setHealthy(p1, true);
        assertThat(members(b)).containsExactly("p1", "p2");
        assertThat(b.pick(new dev.ferry.schedule.PickContext(null, null, 0, java.util.List.of(), 0)).backup())
                .isFalse();
    }

    @Test
    void allBackups() throws Exception {
        Backend b = backend(true);
        b.setHealthy(b.server("p1").orElseThrow(), false);
        b.setEjected(b.server("p2").orElseThrow(), true);
        assertThat(members(b)).containsExactly("x1", "x2", "x3");
        b.setState(b.server("x2").orElseThrow(), ServerState.MAINT);
        assertThat(members(b)).containsExactly("x1", "x3");
        b.setEjected(b.server("p2").orElseThrow(), false);
        assertThat(members(b)).containsExactly("p2");
    }
}
