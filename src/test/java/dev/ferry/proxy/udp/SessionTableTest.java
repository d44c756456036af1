package dev.ferry.proxy.udp;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Idle expiry on a walked timeline: no sockets, no waiting. */
class SessionTableTest {
    private static final long IDLE = 1_000;

    @Test
    void expiresOnlySessionsIdleForTheTimeoutAndSaysWhenTheNextOneIsDue() {
        SessionTable<String, String> table = new SessionTable<>();
        List<String> expired = new ArrayList<>();
        table.put("a", "A", 0);
        table.put("b", "B", 100);
        table.put("c", "C", 200);

        assertThat(table.expire(999, IDLE, expired::add)).isEqualTo(1);
        assertThat(expired).isEmpty();
        assertThat(table.use("a", 1_000)).as("used just before it expired").isEqualTo("A");

        assertThat(table.expire(1_100, IDLE, expired::add)).as("c is next, at 1200").isEqualTo(100);
        assertThat(expired).containsExactly("B");
        assertThat(table.expire(1_999, IDLE, expired::add)).as("a was used at 1000").isEqualTo(1);
        assertThat(expired).containsExactly("B", "C");
        assertThat(table.expire(2_000, IDLE, expired::add)).isEqualTo(-1);
        assertThat(expired).containsExactly("B", "C", "A");
        assertThat(table.size()).isZero();
    }

    @Test
    void removesOnlyTheGivenSessionOfAKey() {
        SessionTable<String, String> table = new SessionTable<>();
        table.put("a", "first", 0);
        table.put("a", "second", 10);
        assertThat(table.remove("a", "first")).isFalse();
        assertThat(table.use("a", 20)).isEqualTo("second");
        assertThat(table.remove("a", "second")).isTrue();
        assertThat(table.use("a", 30)).isNull();
    }

    @Test
    void clearHandsOverEverySession() {
        SessionTable<String, String> table = new SessionTable<>();
        table.put("a", "A", 0);
        table.put("b", "B", 0);
        List<String> removed = new ArrayList<>();
        table.clear(removed::add);
        assertThat(removed).containsExactlyInAnyOrder("A", "B");
        assertThat(table.expire(5_000, IDLE, removed::add)).isEqualTo(-1);
    }
}
