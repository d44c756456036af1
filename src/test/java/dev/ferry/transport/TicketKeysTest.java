package dev.ferry.transport;

import io.netty.handler.ssl.OpenSslSessionTicketKey;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Ferry's own ticket keys on a walked clock: a new key per period, the previous one kept for decryption only. */
class TicketKeysTest {
    private static byte[] name(OpenSslSessionTicketKey k) {
        return k.name();
    }

    @Test
    void rotatesOncePerPeriodKeepingThePreviousKey() {
        AtomicLong now = new AtomicLong(1_000);
        TicketKeys keys = TicketKeys.rotating(Duration.ofHours(1), now::get, new Random(7));
        OpenSslSessionTicketKey[] first = keys.keys();
        assertThat(first).hasSize(1);
        assertThat(keys.rotates()).isTrue();

        now.addAndGet(Duration.ofMinutes(59).toNanos());
        assertThat(keys.rotateIfDue()).isFalse();
        now.addAndGet(Duration.ofMinutes(1).toNanos());
        assertThat(keys.rotateIfDue()).isTrue();
        OpenSslSessionTicketKey[] second = keys.keys();
        assertThat(second).hasSize(2);
        assertThat(name(second[1])).isEqualTo(name(first[0]));
        assertThat(Arrays.equals(name(second[0]), name(first[0]))).isFalse();
        assertThat(keys.rotateIfDue()).as("not due again at once").isFalse();

        now.addAndGet(Duration.ofHours(1).toNanos());
        assertThat(keys.rotateIfDue()).isTrue();
        OpenSslSessionTicketKey[] third = keys.keys();
        assertThat(third).hasSize(2);
        assertThat(name(third[1])).as("the key before is kept, the one before that dropped")
                .isEqualTo(name(second[0]));
    }

    @Test
    void aReloadContinuesWithTheSameKeysAndAFileNeverRotates() {
        AtomicLong now = new AtomicLong();
        TicketKeys before = TicketKeys.rotating(Duration.ofHours(1), now::get, new Random(1));
        now.addAndGet(Duration.ofMinutes(50).toNanos());
        TicketKeys after = TicketKeys.continuing(before, Duration.ofMinutes(30), now::get, new Random(2));
        assertThat(name(after.keys()[0])).isEqualTo(name(before.keys()[0]));
        now.addAndGet(Duration.ofMinutes(29).toNanos());
        assertThat(after.rotateIfDue()).isFalse();
        now.addAndGet(Duration.ofMinutes(1).toNanos());
        assertThat(after.rotateIfDue()).isTrue();

        TicketKeys file = TicketKeys.fixed(java.util.List.of(before.keys()[0]));
        now.addAndGet(Duration.ofDays(400).toNanos());
        assertThat(file.rotates()).isFalse();
        assertThat(file.rotateIfDue()).isFalse();
    }
}
