package dev.ferry.schedule;

import dev.ferry.backend.Server;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ferry.schedule.Picks.install;
import static dev.ferry.schedule.Picks.toDestination;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15 item 27: lblc/lblcr expiry runs on the kernel's 60-second timer (a fixed grid from the table's creation,
 * the full sweep on every 30th tick), driven from outside as the balancer's control thread does, at the delays
 * {@link Maintained#maintain} returns. A timer that fires late does not shift the grid, and an entry the kernel's
 * timer would have removed is never returned.
 *
 * <p>Scenario (the issue's): expiration 30 s; a key cached to A, picked every 59 s; A is loaded so that wlc alone
 * would choose B, but stays valid for lblc (5 active, weight 10). The kernel's full sweep at t = 1800 s finds the
 * entry idle since the pick at 1770 s (30 s, not less than the expiration) and removes it, so the pick at 1829 s
 * misses and wlc gives B. Every earlier pick is a hit on A (at the full sweep every entry is at most 59 s idle
 * elsewhere, but no sweep runs before 1800 s).
 */
class LocalityExpiryTimelineTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long ORIGIN = 5_000 * SECOND; // nanoTime can be anything
    private static final PickContext KEY = toDestination("192.168.7.7");

    private final AtomicLong now = new AtomicLong(ORIGIN);
    private final LocalityOptions options = new LocalityOptions(Duration.ofSeconds(30), true);

    /** Runs picks every 59 s to t = 1829 s; the timer fires {@code lateBy} after each due time, until {@code stopAt}. */
    private String walk(Scheduler scheduler, long lateBy, long stopTimerAt) {
        Maintained timer = (Maintained) scheduler;
        List<Server> s = install(scheduler, 10, 10);
        StringBuilder picks = new StringBuilder();
        long nextTimer = ORIGIN + 60 * SECOND + lateBy;
        for (long t = 0; t <= 1829; t++) {
            long at = ORIGIN + t * SECOND;
            while (nextTimer <= at && nextTimer - ORIGIN < stopTimerAt * SECOND) {
                now.set(nextTimer);
                nextTimer += timer.maintain(nextTimer) + lateBy;
            }
            if (t % 59 == 0) {
                now.set(at);
                Member chosen = scheduler.pick(KEY);
                picks.append(chosen == null ? "-" : chosen.name());
                if (t == 0) {
                    s.get(0).setLoad(5, 0);
                    scheduler.loadChanged(s.get(0));
                }
            }
        }
        return picks.toString();
    }

    private static final String KERNEL = "A".repeat(31) + "B"; // picks at 0, 59, ..., 1770 hit A; 1829 misses

    @Test
    void lblcTimerOnTimeFollowsTheKernel() {
        assertThat(walk(new LocalityLeastConnectionScheduler(options, now::get), 0, 1_000_000))
                .isEqualTo(KERNEL);
    }

    @Test
    void lblcTimerTwoSecondsLateKeepsTheKernelsGrid() {
        // Re-arming from the late run time would run the 29th check at 29 * 62 = 1798 s, make the 30th due at
        // 1858 s, and return A at 1829 s.
        assertThat(walk(new LocalityLeastConnectionScheduler(options, now::get), 2 * SECOND, 1_000_000))
                .isEqualTo(KERNEL);
    }

    @Test
    void lblcTimerStalledBeforeTheFullSweepStillNeverReturnsTheExpiredEntry() {
        // The timer runs ticks 1..29 and then stalls: the pick at 1829 s sees that the full sweep due at 1800 s
        // would have removed the entry.
        LocalityLeastConnectionScheduler lblc = new LocalityLeastConnectionScheduler(options, now::get);
        assertThat(walk(lblc, 0, 1790)).isEqualTo(KERNEL);
    }

    @Test
    void picksAloneNeverSweep() {
        LocalityLeastConnectionScheduler lblc = new LocalityLeastConnectionScheduler(options, now::get);
        List<Server> s = install(lblc, 1, 1);
        lblc.pick(toDestination("10.0.0.1"));
        now.addAndGet(3 * 3600 * SECOND);
        lblc.pick(toDestination("10.0.0.2")); // no timer ran: nothing was swept, no pending full sweep is due
        assertThat(lblc.cacheSize()).isEqualTo(2);
        assertThat(s).hasSize(2);
    }

    @Test
    void lblcrFollowsTheSameTimeline() {
        assertThat(walk(new ReplicatedLocalityScheduler(options, now::get), 2 * SECOND, 1_000_000))
                .isEqualTo(KERNEL);
        now.set(ORIGIN);
        assertThat(walk(new ReplicatedLocalityScheduler(options, now::get), 0, 1790)).isEqualTo(KERNEL);
    }
}
