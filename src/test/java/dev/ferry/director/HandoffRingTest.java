package dev.ferry.director;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ring workers hand a worker packets through: order, wrap-around, a full ring, and threads on both ends. */
class HandoffRingTest {
    private static final int CAPACITY = 1 << 18;

    private static MemorySegment packet(Arena arena, int length, int seed) {
        return fill(arena.allocate(Math.max(length, 1)), length, seed);
    }

    private static MemorySegment fill(MemorySegment p, int length, int seed) {
        for (int i = 0; i < length; i++) {
            p.set(ValueLayout.JAVA_BYTE, i, (byte) (seed * 31 + i));
        }
        return p;
    }

    private static void assertPacket(MemorySegment into, int length, int expectedLength, int seed) {
        assertThat(length).isEqualTo(expectedLength);
        for (int i = 0; i < length; i++) {
            if (into.get(ValueLayout.JAVA_BYTE, i) != (byte) (seed * 31 + i)) {
                throw new AssertionError("byte " + i + " of packet " + seed + " differs");
            }
        }
    }

    @Test
    void packetsComeOutInOrderAcrossManyWrapsOfTheRing() {
        try (Arena arena = Arena.ofConfined()) {
            HandoffRing ring = new HandoffRing(arena, CAPACITY);
            MemorySegment into = arena.allocate(65_535);
            MemorySegment from = arena.allocate(9_000);
            Random random = new Random(7);
            int produced = 0;
            int consumed = 0;
            int[] lengths = new int[100_000];
            while (consumed < 20_000) {
                // Offer a burst, then take some: the ring is often near full and wraps many times.
                for (int k = random.nextInt(40); k > 0; k--) {
                    int length = random.nextInt(10) == 0 ? 1 + random.nextInt(9_000) : 40 + random.nextInt(1_460);
                    if (!ring.offer(fill(from, length, produced), length)) {
                        break;
                    }
                    lengths[produced++] = length;
                }
                for (int k = random.nextInt(40); k > 0 && !ring.isEmpty(); k--) {
                    assertPacket(into, ring.poll(into), lengths[consumed], consumed);
                    consumed++;
                }
            }
            assertThat(produced).isGreaterThan(20_000);
        }
    }

    @Test
    void aFullRingRefusesAndAcceptsAgainOnceDrained() {
        try (Arena arena = Arena.ofConfined()) {
            HandoffRing ring = new HandoffRing(arena, CAPACITY);
            MemorySegment big = packet(arena, 65_535, 1);
            MemorySegment into = arena.allocate(65_535);
            for (int i = 0; i < 3; i++) {
                assertThat(ring.offer(big, 65_535)).as("packet %d", i).isTrue();
            }
            assertThat(ring.offer(big, 65_535)).as("four of the largest do not fit in 256 KiB with headers").isFalse();
            // One out: the next record wraps, and the 65,512 bytes left before the end plus the first record's
            // room at the start are exactly what it needs.
            assertPacket(into, ring.poll(into), 65_535, 1);
            assertThat(ring.offer(big, 65_535)).as("wrapped to the start").isTrue();
            assertThat(ring.offer(big, 65_535)).as("full again").isFalse();
            MemorySegment small = packet(arena, 100, 2);
            assertThat(ring.offer(small, 100)).as("not even a small one").isFalse();
            for (int i = 0; i < 3; i++) {
                assertPacket(into, ring.poll(into), 65_535, 1);
            }
            assertThat(ring.offer(small, 100)).isTrue();
            assertPacket(into, ring.poll(into), 100, 2);
            assertThat(ring.poll(into)).isEqualTo(-1);
            assertThat(ring.isEmpty()).isTrue();
        }
    }

    @Test
    void aRingTooSmallForTheLargestPacketIsRefused() {
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> new HandoffRing(arena, 1 << 17)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new HandoffRing(arena, 3 << 17)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void oneProducerAndOneConsumerThreadSeeEveryPacketWhole() throws Exception {
        int count = 200_000;
        try (Arena arena = Arena.ofShared()) {
            HandoffRing ring = new HandoffRing(arena, CAPACITY);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread producer = Thread.ofPlatform().start(() -> {
                try (Arena own = Arena.ofConfined()) {
                    MemorySegment p = own.allocate(2_000);
                    long deadline = System.nanoTime() + 60_000_000_000L;
                    for (int i = 0; i < count && System.nanoTime() < deadline; ) {
                        int length = 20 + i % 1_400;
                        p.set(ValueLayout.JAVA_INT, 0, i);
                        p.set(ValueLayout.JAVA_BYTE, length - 1, (byte) i);
                        if (ring.offer(p, length)) {
                            i++;
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            MemorySegment into = arena.allocate(65_535);
            long deadline = System.nanoTime() + 60_000_000_000L;
            int next = 0;
            while (next < count && System.nanoTime() < deadline) {
                int length = ring.poll(into);
                if (length < 0) {
                    Thread.onSpinWait();
                    continue;
                }
                if (length != 20 + next % 1_400 || into.get(ValueLayout.JAVA_INT, 0) != next
                        || into.get(ValueLayout.JAVA_BYTE, length - 1) != (byte) next) {
                    throw new AssertionError("packet " + next + " came out as " + length + " bytes, number "
                            + into.get(ValueLayout.JAVA_INT, 0));
                }
                next++;
            }
            producer.join(10_000);
            assertThat(failure.get()).isNull();
            assertThat(next).isEqualTo(count);
        }
    }
}
