package dev.ferry.schedule;

import dev.ferry.backend.BackendSnapshot;
import dev.ferry.backend.Server;
import dev.ferry.config.SchedulerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.ferry.schedule.Picks.install;
import static dev.ferry.schedule.Picks.withKey;
import static org.assertj.core.api.Assertions.assertThat;

/** mh: every property of spec §5.7, which hold whatever the hash function. */
class MaglevSchedulerTest {

    private static MaglevScheduler mh(int tableSize, boolean fallback) {
        return new MaglevScheduler(new MaglevScheduler.Options(tableSize, false, fallback));
    }

    /** §5.7.1 */
    @Test
    void defaultTableSizeIs4093AndEverySizeIsPrime() {
        assertThat(MaglevScheduler.Options.DEFAULT.tableSize()).isEqualTo(4093);
        assertThat(((MaglevScheduler) Schedulers.create(SchedulerConfig.of("mh"))).slots()).hasSize(4093);
        assertThat(Arrays.stream(MaglevScheduler.TABLE_SIZES).boxed().toList()).allSatisfy(m -> assertThat(BigInteger.valueOf(m).isProbablePrime(50))
                .as("%d is prime", m).isTrue());
    }

    /** §5.7.2 */
    @Test
    void everyPreferenceListIsAPermutation() {
        for (int m : new int[] {251, 4093, 65521}) {
            for (int i = 0; i < 20; i++) {
                Server s = Server.detached("server-" + i, 1);
                int offset = MaglevTable.offset(s, m);
                int skip = MaglevTable.skip(s, m);
                assertThat(skip).isBetween(1, m - 1);
                BitSet seen = new BitSet(m);
                for (long k = 0; k < m; k++) {
                    seen.set((int) ((offset + k * skip) % m));
                }
                assertThat(seen.cardinality()).isEqualTo(m);
            }
        }
    }

    /** §5.7.3 */
    @ParameterizedTest(name = "weights {0}, M={1}: {2}")
    @CsvSource(delimiter = ';', value = {
            "4,3,2;   4093; 1820,1365,908",
            "1,1,1;   4093; 1365,1364,1364",
            "2,1;     251;  168,83",
            "100,200; 251;  84,167",
            "1,1000;  4093; 65,4028"})
    void slotCountsFollowTheWeights(String weights, int m, String counts) {
        MaglevScheduler mh = mh(m, false);
        List<Server> servers = install(mh, Arrays.stream(weights.split(",")).mapToInt(Integer::parseInt).toArray());
        assertThat(slotCounts(mh, servers)).isEqualTo(
                Arrays.stream(counts.split(",")).mapToInt(Integer::parseInt).boxed().toList());
    }

    @Test
    void turnsFollowGcdAndShift() {
        assertThat(MaglevTable.turns(new int[] {1, 1000}, 6)).containsExactly(1, 62);
        assertThat(MaglevTable.turns(new int[] {100, 200, 0}, 6)).containsExactly(1, 2, 0);
        assertThat(MaglevTable.turns(new int[] {0, 0}, 6)).containsExactly(0, 0);
    }

    /** §5.7.4 */
    @Test
    void quiescingLeavesTheTableIdenticalAndOnlyThatServersKeysFail() {
        MaglevScheduler mh = mh(4093, false);
        MaglevScheduler withFallback = mh(4093, true);
        List<Server> servers = install(mh, 4, 3, 2);
        withFallback.update(BackendSnapshot.of(servers));
        Member[] before = mh.slots();
        servers.get(1).setWeight(0);
        mh.update(BackendSnapshot.of(servers));
        withFallback.update(BackendSnapshot.of(servers));
        assertThat(mh.slots()).containsExactly(before);
        assertThat(withFallback.slots()).containsExactly(before);
        SplittableRandom random = new SplittableRandom(11);
        int none = 0;
        for (int i = 0; i < 5000; i++) {
            long key = random.nextLong();
            Member owner = before[mh.slotOf(mh.keyOf(withKey(key)), 0)];
            Member chosen = mh.pick(withKey(key));
            if (owner == servers.get(1)) {
                assertThat(chosen).isNull();
                assertThat(withFallback.pick(withKey(key))).isIn(servers.get(0), servers.get(2));
                none++;
            } else {
                assertThat(chosen).isSameAs(owner);
                assertThat(withFallback.pick(withKey(key))).isSameAs(owner);
            }
        }
        // B owns 1365/4093 = 1/3 of the slots
        assertThat(none).isBetween(1500, 1850);
    }

    /** §5.7.5 */
    @Test
    void noPositiveLastWeightGivesNoneAndServersBeyondMNeverGetSlots() {
        MaglevScheduler mh = mh(251, true);
        List<Server> zero = install(mh, 0, 0);
        assertThat(mh.pick(withKey(42))).isNull();
        assertThat(mh.slots()).containsOnlyNulls();
        zero.get(0).setWeight(5); // added at 0, now positive: it takes every slot
        mh.update(BackendSnapshot.of(zero));
        assertThat(mh.pick(withKey(42))).isSameAs(zero.get(0));

        int[] ones = new int[260];
        Arrays.fill(ones, 1);
        Member[] before = mh.slots();
        install(mh, ones); // more servers than slots: the kernel keeps its old table
        assertThat(mh.slots()).containsExactly(before);
    }

    /**
     * §5.7.6: removing 1 of 10 servers (M = 4093) must move that server's keys (about 1/10) and only a few of the
     * others'. Calibration: over these 20 trials (different names, different server removed) the share of the
     * other servers' slots that moved was 0.87% to 1.66%, and all moved keys 10.8% to 11.5%; the bounds (6%, 16%)
     * leave over 3x headroom yet fail a broken table (a naive "key mod n" table moves about 90%).
     */
    @Test
    void removingOneOfTenServersMovesAboutATenthOfTheKeys() {
        for (int trial = 0; trial < 20; trial++) {
            MaglevScheduler mh = mh(4093, false);
            List<Server> servers = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                servers.add(Server.detached("t" + trial + "-s" + i, 1));
            }
            mh.update(BackendSnapshot.of(servers));
            Member[] before = mh.slots();
            Server removed = servers.remove(trial % 10);
            mh.update(BackendSnapshot.of(servers));
            Member[] after = mh.slots();
            int removedSlots = 0;
            int othersMoved = 0;
            for (int c = 0; c < before.length; c++) {
                if (before[c] == removed) {
                    removedSlots++;
                } else if (after[c] != before[c]) {
                    othersMoved++;
                }
            }
            double movedShare = (double) (removedSlots + othersMoved) / before.length;
            double othersShare = (double) othersMoved / (before.length - removedSlots);
            assertThat(removedSlots).isBetween(409, 410);
            assertThat(othersShare).isLessThan(0.06);
            assertThat(movedShare).isBetween(0.1, 0.16);
        }
    }

    @Test
    void portOptionHashesTheClientAddressAndPort() {
        MaglevScheduler byPort = new MaglevScheduler(new MaglevScheduler.Options(4093, true, false));
        MaglevScheduler byKey = mh(4093, false);
        install(byPort, 1, 1, 1, 1, 1, 1, 1, 1);
        install(byKey, 1, 1, 1, 1, 1, 1, 1, 1);
        java.util.Set<Member> byPorts = new java.util.HashSet<>();
        java.util.Set<Member> byKeys = new java.util.HashSet<>();
        for (int port = 1000; port < 1100; port++) {
            byPorts.add(byPort.pick(new PickContext(new java.net.InetSocketAddress("10.0.0.1", port), null, 7,
                    List.of(), 0)));
            byKeys.add(byKey.pick(new PickContext(new java.net.InetSocketAddress("10.0.0.1", port), null, 7,
                    List.of(), 0)));
        }
        assertThat(byPorts).hasSizeGreaterThan(4);
        assertThat(byKeys).hasSize(1);
    }

    @Test
    void optionsAreValidatedWithReadableMessages() {
        assertThat(Schedulers.problems(new SchedulerConfig("mh", Map.of("table_size", "65521", "fallback", "true",
                "port", "false")))).isEmpty();
        assertThat(Schedulers.problems(new SchedulerConfig("mh", Map.of("table_size", "4096")))).containsExactly(
                "mh table_size must be one of 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071"
                        + " (got '4096')");
    }

    private static List<Integer> slotCounts(MaglevScheduler mh, List<Server> servers) {
        Member[] slots = mh.slots();
        List<Integer> counts = new ArrayList<>();
        for (Server s : servers) {
            counts.add((int) Arrays.stream(slots).filter(x -> x == s).count());
        }
        return counts;
    }
}
