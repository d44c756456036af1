package dev.ferry.schedule;

import dev.ferry.backend.BackendSnapshot;
import dev.ferry.backend.Server;
import dev.ferry.config.SchedulerConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.ferry.schedule.Picks.fromClient;
import static dev.ferry.schedule.Picks.install;
import static dev.ferry.schedule.Picks.toDestination;
import static org.assertj.core.api.Assertions.assertThat;

/** dh and sh: every property of spec §5.6, bit-compatible with the kernel's 256 buckets. */
class IpvsHashSchedulersTest {
    private final DestinationHashScheduler dh = new DestinationHashScheduler(DestinationHashScheduler.Options.DEFAULT);
    private final SourceHashScheduler sh = new SourceHashScheduler(SourceHashScheduler.Options.DEFAULT);

    /**
     * §2.12/§2.13 as corrected: current kernels hash with {@code hash_32(v, 8) = (v * 0x61C88647) >>> 24}, so every
     * bit of the address counts. Values worked independently: 10.0.0.1 = 0x0A000001, times 0x61C88647 mod 2^32 is
     * 0x27C88647, top byte 0x27 = 39; 11.0.0.1 (same last octet) gives 110; ::1 folds to 1, which gives 0x61 = 97.
     */
    @Test
    void currentKernelHashUsesEveryBitOfTheAddress() {
        install(dh, 1);
        assertThat(dh.bucketOf(toDestination("10.0.0.1"))).isEqualTo(39);
        assertThat(dh.bucketOf(toDestination("10.0.0.2"))).isEqualTo(137);
        assertThat(dh.bucketOf(toDestination("10.0.0.3"))).isEqualTo(235);
        assertThat(dh.bucketOf(toDestination("10.0.0.0"))).isEqualTo(198);
        assertThat(dh.bucketOf(toDestination("172.16.0.255"))).isEqualTo(127);
        assertThat(dh.bucketOf(toDestination("192.168.5.1"))).isEqualTo(170);
        assertThat(dh.bucketOf(toDestination("11.0.0.1"))).isEqualTo(110);
        assertThat(dh.bucketOf(toDestination("::1"))).isEqualTo(97);
        assertThat(sh.baseOf(fromClient("10.0.0.1", 5555))).isEqualTo(39); // no sh-port: the port is 0
        assertThat(HashMode.hash32(0x0A000001, 8)).isEqualTo(39);
        assertThat(HashMode.hash32(-1, 8)).isEqualTo(0x9E); // 0xFFFFFFFF * K = -K = 0x9E3779B9: unsigned shift
    }

    /** sh-port adds the port before hashing: hash_32(0x0A000001 + 80, bits); 12 bits give a 4096-bucket index. */
    @Test
    void shPortAddsTheSourcePortBeforeHash32() {
        SourceHashScheduler withPort = new SourceHashScheduler(new SourceHashScheduler.Options(HashMode.IPVS, true,
                false, 8));
        assertThat(withPort.baseOf(fromClient("10.0.0.1", 80))).isEqualTo(182);
        SourceHashScheduler wide = new SourceHashScheduler(new SourceHashScheduler.Options(HashMode.IPVS, true,
                false, 12));
        assertThat(wide.baseOf(fromClient("10.0.0.1", 80))).isEqualTo(2919);
    }

    /** §5.6.1, old kernels ({@code hash: ipvs-legacy}): {@code (a * 2654435761) & 255}, the last octet only. */
    @Test
    void legacyHashKeepsOnlyTheLastOctet() {
        DestinationHashScheduler legacy = new DestinationHashScheduler(new DestinationHashScheduler.Options(
                HashMode.IPVS_LEGACY, 8));
        SourceHashScheduler legacySh = new SourceHashScheduler(new SourceHashScheduler.Options(HashMode.IPVS_LEGACY,
                false, false, 8));
        assertThat(legacy.bucketOf(toDestination("10.0.0.1"))).isEqualTo(177);
        assertThat(legacy.bucketOf(toDestination("10.0.0.2"))).isEqualTo(98);
        assertThat(legacy.bucketOf(toDestination("10.0.0.3"))).isEqualTo(19);
        assertThat(legacy.bucketOf(toDestination("10.0.0.0"))).isEqualTo(0);
        assertThat(legacy.bucketOf(toDestination("172.16.0.255"))).isEqualTo(79);
        assertThat(legacy.bucketOf(toDestination("192.168.5.1"))).isEqualTo(177);
        assertThat(legacySh.baseOf(fromClient("10.0.0.1", 5555)) & 255).isEqualTo(177);
        SourceHashScheduler withPort = new SourceHashScheduler(new SourceHashScheduler.Options(HashMode.IPVS_LEGACY,
                true, false, 8));
        assertThat(withPort.baseOf(fromClient("10.0.0.1", 80)) & 255).isEqualTo(1); // §5.6.2
        assertThat(Schedulers.problems(new SchedulerConfig("dh", Map.of("hash", "ipvs-legacy")))).isEmpty();
    }

    /** §5.6.3 */
    @Test
    void shFillsConsecutiveRunsByWeight() {
        List<Server> s = install(sh, 4, 3, 2);
        assertThat(counts(sh, s)).containsExactly(116, 84, 56);
        StringBuilder first9 = new StringBuilder();
        for (int b = 0; b < 9; b++) {
            first9.append(BucketTable.weightedRuns(s, 256)[b].name());
        }
        assertThat(first9).hasToString("AAAABBBCC");
        assertThat(sh.pick(fromClient("10.0.0.1", 1))).isSameAs(s.get(0)); // bucket 39: 39 mod 9 = 3, A
        assertThat(sh.pick(fromClient("10.0.0.4", 1))).isSameAs(s.get(1)); // bucket 77: 77 mod 9 = 5, B
    }

    /** §5.6.4 */
    @Test
    void dhIgnoresWeights() {
        List<Server> s = install(dh, 1, 7, 1);
        assertThat(counts(dh, s)).containsExactly(86, 85, 85);
        assertThat(dh.pick(toDestination("10.0.0.1"))).isSameAs(s.get(0)); // bucket 39 = 0 mod 3
        assertThat(dh.pick(toDestination("10.0.0.2"))).isSameAs(s.get(2)); // bucket 137 = 2 mod 3
        assertThat(dh.pick(toDestination("10.0.0.3"))).isSameAs(s.get(1)); // bucket 235 = 1 mod 3
    }

    /** §5.6.5 */
    @Test
    void shQuiescedServerKeepsItsBucketsAndTheirKeysGetNone() {
        List<Server> s = install(sh, 1, 0, 1);
        assertThat(counts(sh, s)).containsExactly(86, 0, 85); // B's 85 buckets answer none
        int landedOnB = 0;
        for (int b = 0; b < 256; b++) {
            PickContext c = fromClient(addressInBucket(b), 1);
            Member owner = BucketTable.weightedRuns(s, 256)[sh.baseOf(c) & 255];
            if (owner == s.get(1)) {
                landedOnB++;
                assertThat(sh.pick(c)).isNull();
            } else {
                assertThat(sh.pick(c)).isSameAs(owner);
            }
        }
        assertThat(landedOnB).isEqualTo(85);
    }

    /** §5.6.6 with hash_32: bucket 39 (10.0.0.1) unavailable: probes (39 + k + 39) mod 256 = 78, 79, 80, ... 77 */
    @Test
    void shFallbackProbesInTheKernelsOrder() {
        SourceHashScheduler fallback = new SourceHashScheduler(new SourceHashScheduler.Options(HashMode.IPVS, false,
                true, 8));
        int[] ones = new int[256];
        java.util.Arrays.fill(ones, 1);
        List<Server> s = install(fallback, ones); // bucket b holds server b
        PickContext key = fromClient("10.0.0.1", 1);
        assertThat(fallback.pick(key)).isSameAs(s.get(39));
        s.get(39).setWeight(0);
        assertThat(fallback.pick(key)).isSameAs(s.get(78));
        s.get(78).setOverloaded(true);
        assertThat(fallback.pick(key)).isSameAs(s.get(79));
        assertThat(fallback.pick(key.retryAvoiding(s.get(79)))).isSameAs(s.get(80));
        for (int i = 0; i < 256; i++) {
            s.get(i).setWeight(0);
        }
        s.get(77).setWeight(1); // the last bucket probed: 78 + 255 wraps to 77
        assertThat(fallback.pick(key)).isSameAs(s.get(77));
        s.get(77).setWeight(0);
        assertThat(fallback.pick(key)).isNull();
        fallback.update(BackendSnapshot.of(List.of())); // empty buckets end the search
        assertThat(fallback.pick(key)).isNull();
        assertThat(sh.pick(key)).isNull(); // never updated: empty
    }

    /** §5.6.6 with the legacy hash: bucket 177 (10.0.0.1) unavailable: probes 98, 99, 100, ... */
    @Test
    void shFallbackProbesInTheLegacyKernelsOrder() {
        SourceHashScheduler fallback = new SourceHashScheduler(new SourceHashScheduler.Options(HashMode.IPVS_LEGACY,
                false, true, 8));
        int[] ones = new int[256];
        java.util.Arrays.fill(ones, 1);
        List<Server> s = install(fallback, ones); // bucket b holds server b
        PickContext key = fromClient("10.0.0.1", 1);
        assertThat(fallback.pick(key)).isSameAs(s.get(177));
        s.get(177).setWeight(0);
        assertThat(fallback.pick(key)).isSameAs(s.get(98));
        s.get(98).setOverloaded(true);
        assertThat(fallback.pick(key)).isSameAs(s.get(99));
        assertThat(fallback.pick(key.retryAvoiding(s.get(99)))).isSameAs(s.get(100));
        for (int i = 0; i < 256; i++) {
            s.get(i).setWeight(0);
        }
        s.get(97).setWeight(1); // the last bucket probed: 98 + 255 wraps to 97
        assertThat(fallback.pick(key)).isSameAs(s.get(97));
        s.get(97).setWeight(0);
        assertThat(fallback.pick(key)).isNull();
        fallback.update(BackendSnapshot.of(List.of())); // empty buckets end the search
        assertThat(fallback.pick(key)).isNull();
        assertThat(sh.pick(key)).isNull(); // never updated: empty
    }

    /** §5.6.7 */
    @Test
    void sameKeySameServerUntilMembershipChangesAndOverloadGivesNone() {
        List<Server> s = install(sh, 4, 3, 2);
        PickContext key = fromClient("10.0.0.1", 1);
        for (int i = 0; i < 5; i++) {
            assertThat(sh.pick(fromClient("10.0.0.4", 1000 + i))).isSameAs(s.get(1)); // bucket 77: B
        }
        key = fromClient("10.0.0.4", 1);
        s.get(1).setOverloaded(true);
        assertThat(sh.pick(key)).isNull();
        install(dh, 1, 1, 1).get(0).setOverloaded(true);
        assertThat(dh.pick(toDestination("10.0.0.1"))).isNull();
        assertThat(dh.pick(toDestination("10.0.0.2"))).isNotNull();
    }

    @Test
    void retriesAvoidTheServerTriedWithoutFallbackNone() {
        List<Server> s = install(sh, 1, 1);
        PickContext key = fromClient("10.0.0.1", 1);
        Member first = sh.pick(key);
        assertThat(first).isIn(s);
        assertThat(sh.pick(key.retryAvoiding(first))).isNull();
        assertThat(dh.pick(toDestination("10.0.0.1"))).isNull(); // dh never updated: no servers
    }

    /** The legacy hash sends every x.0.0.1 to one bucket; hash_32 and the mixed hash spread them. */
    @Test
    void mixedHashUsesEveryBitOfTheAddress() {
        DestinationHashScheduler mixedDh = new DestinationHashScheduler(new DestinationHashScheduler.Options(
                HashMode.MIXED, 8));
        SourceHashScheduler mixedSh = new SourceHashScheduler(new SourceHashScheduler.Options(HashMode.MIXED, true,
                false, 8));
        List<Server> d = install(dh, 1, 1, 1);
        mixedDh.update(BackendSnapshot.of(d));
        mixedSh.update(BackendSnapshot.of(d));
        DestinationHashScheduler legacy = new DestinationHashScheduler(new DestinationHashScheduler.Options(
                HashMode.IPVS_LEGACY, 8));
        legacy.update(BackendSnapshot.of(d));
        Map<Member, Integer> ipvs = new HashMap<>();
        Map<Member, Integer> current = new HashMap<>();
        Map<Member, Integer> mixed = new HashMap<>();
        Map<Member, Integer> mixedSource = new HashMap<>();
        for (int first = 1; first < 256; first++) {
            ipvs.merge(legacy.pick(toDestination(first + ".0.0.1")), 1, Integer::sum);
            current.merge(dh.pick(toDestination(first + ".0.0.1")), 1, Integer::sum);
            mixed.merge(mixedDh.pick(toDestination(first + ".0.0.1")), 1, Integer::sum);
            mixedSource.merge(mixedSh.pick(fromClient(first + ".0.0.1", 80)), 1, Integer::sum);
        }
        assertThat(ipvs).hasSize(1);
        assertThat(current.values()).hasSize(3).allSatisfy(n -> assertThat(n).isBetween(45, 125));
        // 255 keys over 3 servers: expected 85 each, sd 7.5; 40 is beyond 6 sd.
        assertThat(mixed.values()).hasSize(3).allSatisfy(n -> assertThat(n).isBetween(45, 125));
        assertThat(mixedSource.values()).hasSize(3).allSatisfy(n -> assertThat(n).isBetween(45, 125));
        // mixed sh without port hashes the backend's hash_key instead of the address
        SourceHashScheduler byKey = new SourceHashScheduler(new SourceHashScheduler.Options(HashMode.MIXED, false,
                false, 8));
        byKey.update(BackendSnapshot.of(d));
        assertThat(byKey.pick(Picks.withKey(1))).isSameAs(d.get(1 % 256 % 3));
    }

    @Test
    void optionsAreValidatedWithReadableMessages() {
        assertThat(Schedulers.problems(new SchedulerConfig("sh", Map.of("fallback", "true", "port", "true",
                "hash", "mixed", "table_bits", "12")))).isEmpty();
        assertThat(Schedulers.problems(new SchedulerConfig("sh", Map.of("fallback", "yes"))))
                .containsExactly("sh fallback must be true or false (got 'yes')");
        assertThat(Schedulers.problems(new SchedulerConfig("dh", Map.of("hash", "md5", "fallback", "true"))))
                .containsExactly("dh hash must be one of ipvs, ipvs-legacy, mixed (got 'md5')",
                        "scheduler dh has no option 'fallback'; its options are: hash, table_bits");
        assertThat(Schedulers.problems(new SchedulerConfig("sh", Map.of("table_bits", "30"))))
                .containsExactly("sh table_bits must be a whole number from 4 to 20 (got '30')");
        assertThat(Schedulers.create(new SchedulerConfig("sh", Map.of("fallback", "true"))))
                .isInstanceOf(SourceHashScheduler.class);
    }

    /**
     * Bucket counts as the scheduler sees them: one key per bucket ({@link #addressInBucket}) visits every bucket
     * once. Needs every server able to take connections.
     */
    private static List<Integer> counts(Scheduler scheduler, List<Server> servers) {
        Map<Member, Integer> byServer = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            PickContext c = scheduler instanceof DestinationHashScheduler
                    ? toDestination(addressInBucket(b)) : fromClient(addressInBucket(b), 1);
            byServer.merge(scheduler.pick(c), 1, Integer::sum);
        }
        List<Integer> counts = new ArrayList<>();
        for (Server s : servers) {
            counts.add(byServer.getOrDefault(s, 0));
        }
        return counts;
    }

    /**
     * An IPv4 address that hash_32(., 8) puts in bucket {@code b}: {@code (b << 24)} times the inverse of
     * 0x61C88647 modulo 2^32 (0xEBB34377), so that multiplying by the golden ratio gives back {@code b << 24}.
     */
    static String addressInBucket(int b) {
        int a = (b << 24) * 0xEBB34377;
        return (a >>> 24) + "." + (a >>> 16 & 255) + "." + (a >>> 8 & 255) + "." + (a & 255);
    }
}
