package dev.ferry.backend;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The bucket and status-class arithmetic behind the request metrics. */
class RequestStatsTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void aDurationOnABoundIsInThatBucketAndLongOnesInTheLast() {
        DurationHistogram h = new DurationHistogram();
        h.record(0);
        h.record(-5);               // a clock step back counts as 0
        h.record(MS / 2);           // = 0.5 ms, the first bound
        h.record(MS / 2 + 1);       // just above: the second bucket
        h.record(100 * MS);         // = 0.1 s
        h.record(61_000 * MS);      // beyond 60 s: +Inf
        long[] c = h.counts();
        assertThat(c).hasSize(DurationHistogram.BOUNDS_SECONDS.length + 1);
        assertThat(c[0]).isEqualTo(3);
        assertThat(c[1]).isEqualTo(1);
        assertThat(c[Arrays.binarySearch(DurationHistogram.BOUNDS_SECONDS, 0.1)]).isEqualTo(1);
        assertThat(c[c.length - 1]).isEqualTo(1);
        assertThat(h.count()).isEqualTo(6);
        assertThat(h.sumSeconds()).isCloseTo(61.101, Offset.offset(1e-6));
    }

    @Test
    void statusesGoToTheirClassAndNoStatusToOther() {
        RequestStats r = new RequestStats();
        for (int status : new int[]{101, 200, 204, 302, 404, 499, 500, 599, 0, 600, 99}) {
            r.record(status, MS);
        }
        assertThat(r.byClass()).containsExactly(1, 2, 1, 2, 2, 3);
        assertThat(r.count("5xx")).isEqualTo(2);
        assertThat(r.count("nonsense")).isZero();
        assertThat(r.total()).isEqualTo(11);
        assertThat(r.durations().count()).isEqualTo(11);
    }
}
