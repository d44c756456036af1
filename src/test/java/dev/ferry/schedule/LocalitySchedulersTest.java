package dev.ferry.schedule;

import dev.ferry.backend.BackendSnapshot;
import dev.ferry.backend.Server;
import dev.ferry.config.SchedulerConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.ferry.schedule.Picks.install;
import static dev.ferry.schedule.Picks.toDestination;
import static org.assertj.core.api.Assertions.assertThat;

/** lblc and lblcr: every property of spec §5.5, on an injected clock. */
class LocalitySchedulersTest {
    private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);
    private static final PickContext T = toDestination("192.168.7.7");
    private static final long T_KEY = LocalityLeastConnectionScheduler.keyOf(T);

    private final AtomicLong now = new AtomicLong(1_000 * HOUR); // far from 0: nanoTime can be anything
    private final LocalityLeastConnectionScheduler lblc =
            new LocalityLeastConnectionScheduler(LocalityOptions.DEFAULT, now::get);
    private final ReplicatedLocalityScheduler lblcr =
            new ReplicatedLocalityScheduler(LocalityOptions.DEFAULT, now::get);

    private Server pick(Scheduler scheduler, PickContext context) {
        Server s = (Server) scheduler.pick(context);
        if (s != null) {
            load(scheduler, s, s.active() + 1); // spec §4: every pick adds an active connection
        }
        return s;
    }

    private static void load(Scheduler scheduler, Server s, int active) {
        s.setLoad(active, 0);
        scheduler.loadChanged(s);
    }

    /** §5.5.1 and §5.5.2 */
    @Test
    void lblcMovesTheKeyWhenItsServerIsOverloadedAndAHalfLoadedOneExists() {
        List<Server> s = install(lblc, 4, 4);
        assertThat(pick(lblc, T)).isSameAs(s.get(0));
        assertThat(lblc.cached(T_KEY)).isSameAs(s.get(0));
        load(lblc, s.get(0), 5);
        load(lblc, s.get(1), 1);
        assertThat(pick(lblc, T)).isSameAs(s.get(1));
        assertThat(lblc.cached(T_KEY)).isSameAs(s.get(1));
    }

    /** §5.5.3 */
    @Test
    void lblcStaysWhenNoServerIsUnderHalfLoad() {
        List<Server> s = install(lblc, 4, 4);
        assertThat(pick(lblc, T)).isSameAs(s.get(0));
        load(lblc, s.get(0), 5);
        load(lblc, s.get(1), 2);
        assertThat(pick(lblc, T)).isSameAs(s.get(0));
        assertThat(pick(lblc, T)).isSameAs(s.get(0));
        assertThat(lblc.cached(T_KEY)).isSameAs(s.get(0));
    }

    /** §5.5.4 */
    @Test
    void quiescingOrRemovingTheCachedServerForcesAFreshPick() {
        List<Server> s = install(lblc, 4, 4, 4);
        assertThat(pick(lblc, T)).isSameAs(s.get(0));
        s.get(0).setWeight(0);
        lblc.update(BackendSnapshot.of(s));
        assertThat(pick(lblc, T)).isSameAs(s.get(1));
        assertThat(lblc.cached(T_KEY)).isSameAs(s.get(1));
        List<Server> without = new ArrayList<>(s);
        without.remove(1);
        lblc.update(BackendSnapshot.of(without));
        assertThat(pick(lblc, T)).isSameAs(s.get(2)); // A is at weight 0
        assertThat(lblc.cached(T_KEY)).isSameAs(s.get(2));
    }

    @Test
    void theHitPathIgnoresTheOverloadFlagUnlessQuirksAreOff() {
        List<Server> s = install(lblc, 4, 4);
        assertThat(pick(lblc, T)).isSameAs(s.get(0));
        s.get(0).setOverloaded(true);
        assertThat(pick(lblc, T)).isSameAs(s.get(0)); // IPVS quirk (spec §6)

        LocalityLeastConnectionScheduler strict = new LocalityLeastConnectionScheduler(
                new LocalityOptions(Duration.ofHours(24), false), now::get);
        List<Server> t = install(strict, 4, 4);
        assertThat(pick(strict, T)).isSameAs(t.get(0));
        t.get(0).setOverloaded(true);
        assertThat(pick(strict, T)).isSameAs(t.get(1));
    }

    @Test
    void aRetryAvoidsTheCachedServerAndRecachesAndNoneWhenNothingIsEligible() {
        List<Server> s = install(lblc, 4, 4);
        assertThat(pick(lblc, T)).isSameAs(s.get(0));
        assertThat(pick(lblc, T.retryAvoiding(s.get(0)))).isSameAs(s.get(1));
        assertThat(lblc.cached(T_KEY)).isSameAs(s.get(1));
        s.get(0).setWeight(0);
        s.get(1).setWeight(0);
        lblc.update(BackendSnapshot.of(s));
        assertThat(lblc.pick(T)).isNull();
    }

    /**
     * §5.5.5: with the table under its cap, the full sweep runs on every 30th 60-s check; an entry idle for 24 h
     * goes at the first sweep at or after that age.
     */
    @Test
    void idleEntriesGoAtTheNextFullSweep() {
        install(lblc, 1, 1);
        long start = now.get();
        pick(lblc, T);
        now.addAndGet(MINUTE);
        PickContext u = toDestination("192.168.7.8");
        pick(lblc, u);
        now.set(start);
        long tick = 0;
        long next = start + LocalityTable.CHECK_INTERVAL; // the first check is due one interval after creation
        while (tick < 1500) {
            now.set(next);
            next += lblc.maintain(next);
            tick++;
            boolean tGone = lblc.cached(T_KEY) == null;
            boolean uGone = lblc.cached(LocalityLeastConnectionScheduler.keyOf(u)) == null;
            assertThat(tGone).as("T at tick %d", tick).isEqualTo(tick >= 1440);
            assertThat(uGone).as("U at tick %d", tick).isEqualTo(tick >= 1470);
        }
        assertThat(lblc.cacheSize()).isZero();
    }

    @Test
    void aLateTimerRunsTheChecksItMissedOnTheGrid() {
        install(lblc, 1, 1);
        pick(lblc, T);
        now.addAndGet(25 * HOUR);
        PickContext other = toDestination("10.9.9.9");
        pick(lblc, other);
        // one late call runs the last 30 missed checks, as of their own ticks: a full sweep among them
        long next = lblc.maintain(now.get());
        assertThat(next).isBetween(1L, LocalityTable.CHECK_INTERVAL);
        assertThat(lblc.cached(T_KEY)).isNull();
        assertThat(lblc.cached(LocalityLeastConnectionScheduler.keyOf(other))).isNotNull();
    }

    /** §5.5.5 GC goal */
    @Test
    void overCapGoalIsAThirdMoreThanTheExcessCappedAtHalfTheCap() {
        assertThat(LocalityTable.goal(16684)).isEqualTo(400);
        assertThat(LocalityTable.goal(46384)).isEqualTo(8192);
    }

    /** §5.5.5: over the cap, whole buckets of entries idle at least 6 minutes go until the goal is met. */
    @Test
    void overCapChecksRemoveAtLeastTheGoalAndNeverRecentEntries() {
        long t0 = 0;
        LocalityTable<LocalityTable.Entry> table = new LocalityTable<>(24 * HOUR, t0);
        long checkAt = t0 + LocalityTable.CHECK_INTERVAL;
        int old = 16_684;
        int recent = 500;
        for (long k = 0; k < old; k++) {
            table.putIfAbsent(k, new LocalityTable.Entry(checkAt - 6 * MINUTE) { });
        }
        for (long k = old; k < old + recent; k++) {
            table.putIfAbsent(k, new LocalityTable.Entry(checkAt - 6 * MINUTE + 1) { });
        }
        int before = table.size();
        int goal = LocalityTable.goal(before);
        assertThat(goal).isEqualTo(1066); // (17184 - 16384) * 4 / 3
        table.maintain(checkAt);
        int removed = before - table.size();
        // whole buckets: at least the goal, at most the goal plus one bucket's worth (~17 entries per bucket)
        assertThat(removed).isBetween(goal, goal + 60);
        for (long k = old; k < old + recent; k++) {
            assertThat(table.get(k)).as("recent entry %d", k).isNotNull();
        }
        // back under the cap, the next check only counts (no full sweep before the 30th), removing nothing
        assertThat(table.size()).isLessThanOrEqualTo(LocalityTable.MAX_SIZE);
        table.maintain(checkAt + LocalityTable.CHECK_INTERVAL);
        assertThat(before - table.size()).isEqualTo(removed);
    }

    /** §5.5.6 */
    @Test
    void lblcrAddsTheWlcChoiceToTheFrontAndThenUsesTheSetsLeastLoaded() {
        List<Server> s = install(lblcr, 4, 4, 4);
        assertThat(pick(lblcr, T)).isSameAs(s.get(0));
        assertThat(lblcr.cached(T_KEY)).containsExactly(s.get(0));
        load(lblcr, s.get(0), 5);
        load(lblcr, s.get(1), 1);
        load(lblcr, s.get(2), 3);
        assertThat(pick(lblcr, T)).isSameAs(s.get(1));
        assertThat(lblcr.cached(T_KEY)).containsExactly(s.get(1), s.get(0));
        assertThat(pick(lblcr, T)).isSameAs(s.get(1));
        assertThat(lblcr.cached(T_KEY)).containsExactly(s.get(1), s.get(0));
    }

    /** §5.5.7 */
    @Test
    void lblcrShedsTheMostLoadedMemberOnceTheSetIsOlderThanTheExpiration() {
        List<Server> s = install(lblcr, 4, 4, 4);
        pick(lblcr, T);
        load(lblcr, s.get(0), 5);
        load(lblcr, s.get(1), 1);
        load(lblcr, s.get(2), 3);
        pick(lblcr, T); // set {B, A}, lastMod now
        for (int hour = 1; hour <= 24; hour++) { // hits keep the entry in use; they do not change the set
            now.addAndGet(HOUR);
            assertThat(pick(lblcr, T)).isSameAs(s.get(1));
            load(lblcr, s.get(1), 1);
            assertThat(lblcr.cached(T_KEY)).containsExactly(s.get(1), s.get(0));
        }
        // 24 h since lastMod is not yet *more* than the expiration
        now.addAndGet(1);
        assertThat(pick(lblcr, T)).isSameAs(s.get(1));
        assertThat(lblcr.cached(T_KEY)).containsExactly(s.get(1));
    }

    @Test
    void lblcrWithoutQuirksShedsAMemberThatLeftTheBackendFirst() {
        ReplicatedLocalityScheduler strict = new ReplicatedLocalityScheduler(
                new LocalityOptions(Duration.ofMinutes(10), false), now::get);
        List<Server> s = install(strict, 4, 4, 4);
        pick(strict, T);
        load(strict, s.get(0), 5);
        load(strict, s.get(1), 1);
        pick(strict, T); // {B, A}
        load(strict, s.get(1), 0); // B becomes the least loaded, A the most
        strict.update(BackendSnapshot.of(List.of(s.get(0), s.get(2)))); // B leaves
        now.addAndGet(11 * MINUTE);
        Server chosen = pick(strict, T);
        assertThat(strict.cached(T_KEY)).doesNotContain(s.get(1));
        assertThat(chosen).isIn(s.get(0), s.get(2));
    }

    @Test
    void keysComeFromTheDestinationOrElseTheHashKey() {
        assertThat(LocalityLeastConnectionScheduler.keyOf(toDestination("10.0.0.1"))).isEqualTo(0x0A000001L);
        assertThat(LocalityLeastConnectionScheduler.keyOf(Picks.withKey(99))).isEqualTo(99);
    }

    @Test
    void optionsAreValidated() {
        assertThat(Schedulers.problems(new SchedulerConfig("lblc", Map.of("expiration", "6h",
                "ipvs_quirks", "false")))).isEmpty();
        assertThat(Schedulers.problems(new SchedulerConfig("lblcr", Map.of("expiration", "soon"))))
                .containsExactly("lblcr expiration must be a positive duration; write a number and a unit"
                        + " (ms, s, m, h or d), e.g. 250ms, 2s, 1.5s, 1m, 1d (got 'soon')");
    }
}
