package dev.ferry.backend;

import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stick table (issue 20 item 2) on a hand-moved clock: entries live for {@code expire} after their last use;
 * the table holds at most {@code size} and evicts the least recently used first (CLOCK: used entries get a second
 * chance); an entry whose server went down or into maintenance is not answered (a drained one is); clear and list.
 */
class StickTableTest {
    private final ManualClock clock = new ManualClock();
    private Backend backend;

    private StickTable table(String stick) throws Exception {
        FerryConfig config = ConfigLoader.parse("""
                frontends: [ { name: f, listen: 127.0.0.1:0, mode: http, backend: app } ]
                backends:
                  - name: app
                    stick: %s
                    servers: [ { name: a, address: 127.0.0.1:1 }, { name: b, address: 127.0.0.1:2 } ]
                """.formatted(stick), Path.of("stick.yaml"));
        backend = new Backend(config.backends().getFirst(), clock);
        return backend.affinity().table().orElseThrow();
    }

    private Server server(String name) {
        return backend.server(name).orElseThrow();
    }

    @Test
    void anEntryLivesForExpireAfterItsLastUse() throws Exception {
        StickTable t = table("{ on: source_ip, expire: 30m }");
        t.store("10.0.0.1", server("a"));
        clock.advance(Duration.ofMinutes(29));
        assertThat(t.lookup("10.0.0.1")).isSameAs(server("a"));
        clock.advance(Duration.ofMinutes(29));
        assertThat(t.lookup("10.0.0.1")).as("used 29m ago").isSameAs(server("a"));
        clock.advance(Duration.ofMinutes(30));
        assertThat(t.lookup("10.0.0.1")).as("30m unused").isNull();
        assertThat(t.list(10)).isEmpty();
        t.store("10.0.0.3", server("b")); // a store drops the expired entry at the queue's head
        assertThat(t.size()).isEqualTo(1);
        assertThat(t.lookup("10.0.0.2")).isNull();
    }

    @Test
    void theTableHoldsAtMostSizeAndEvictsTheLeastRecentlyUsed() throws Exception {
        StickTable t = table("{ on: header:X-User, size: 100 }");
        for (int i = 0; i < 100; i++) {
            t.store("u" + i, server(i % 2 == 0 ? "a" : "b"));
            clock.advance(Duration.ofMillis(10));
        }
        // The first ten are used again: they are the most recently used now.
        for (int i = 0; i < 10; i++) {
            assertThat(t.lookup("u" + i)).isNotNull();
        }
        clock.advance(Duration.ofMillis(10));
        for (int i = 100; i < 150; i++) {
            t.store("u" + i, server("a"));
            clock.advance(Duration.ofMillis(10));
            assertThat(t.size()).isLessThanOrEqualTo(100);
        }
        assertThat(t.size()).isEqualTo(100);
        for (int i = 0; i < 10; i++) {
            assertThat(t.lookup("u" + i)).as("u%d, used again, kept", i).isNotNull();
        }
        int oldGone = 0;
        for (int i = 10; i < 60; i++) {
            if (t.lookup("u" + i) == null) {
                oldGone++;
            }
        }
        assertThat(oldGone).as("the 50 evicted are the unused old ones").isEqualTo(50);
        for (int i = 100; i < 150; i++) {
            assertThat(t.lookup("u" + i)).as("new u%d", i).isNotNull();
        }
    }

    @Test
    void aServerDownOrInMaintenanceIsNotAnsweredADrainedOneIs() throws Exception {
        StickTable t = table("{ on: source_ip }");
        t.store("k", server("a"));
        backend.setState(server("a"), ServerState.DRAIN);
        assertThat(t.lookup("k")).isSameAs(server("a"));
        backend.setState(server("a"), ServerState.MAINT);
        assertThat(t.lookup("k")).isNull();
        backend.setState(server("a"), ServerState.READY);
        backend.setHealthy(server("a"), false);
        assertThat(t.lookup("k")).isNull();
        t.store("k", server("b"));
        assertThat(t.lookup("k")).as("moved").isSameAs(server("b"));
        assertThat(t.size()).isEqualTo(1);
    }

    @Test
    void listShowsLiveEntriesAndClearForgetsOneOrAll() throws Exception {
        StickTable t = table("{ on: cookie:session, expire: 1m }");
        t.store("s1", server("a"));
        t.store("s2", server("b"));
        clock.advance(Duration.ofSeconds(20));
        assertThat(t.list(10)).extracting(StickTable.View::key).containsExactlyInAnyOrder("s1", "s2");
        assertThat(t.list(10)).allSatisfy(v -> assertThat(v.expiresInMillis()).isEqualTo(40_000));
        assertThat(t.list(1)).hasSize(1);
        assertThat(t.clear("s1")).isTrue();
        assertThat(t.clear("s1")).isFalse();
        assertThat(t.lookup("s1")).isNull();
        t.store("s3", server("a"));
        assertThat(t.clear()).isEqualTo(2);
        assertThat(t.size()).isZero();
        assertThat(t.list(10)).isEmpty();
        assertThat(t.lookup("x".repeat(StickTable.MAX_KEY_LENGTH + 1))).isNull();
    }
}
