package dev.ferry.director.device;

import dev.ferry.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The io_uring wrapper on the real kernel, on pipes, eventfds and datagram socket pairs (which keep packet boundaries
 * as a TUN queue does): reads armed before the data comes, fixed buffers, the timed wait, a wakeup from another
 * thread, batches, and the rings wrapping around many times. Skipped (failed in CI) when the kernel refuses io_uring.
 */
class IoUringTest {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final long SECOND = 1_000_000_000L;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment errno = Libc.newErrnoSlot(arena);
    private final List<Integer> fds = new ArrayList<>();
    private IoUring ring;

    @BeforeEach
    void openRing() throws Exception {
        ring = openOrSkip(8);
        ring.enable();
    }

    @AfterEach
    void close() {
        if (ring != null) {
            ring.close();
        }
        fds.forEach(Libc::close);
        arena.close();
    }

    static IoUring openOrSkip(int entries) {
        try {
            return IoUring.open(entries);
        } catch (ErrnoException e) {
            Requirements.require(false, "io_uring (" + e.getMessage() + ")");
            throw new AssertionError(e);
        }
    }

    private int[] pipe(int flags) {
        MemorySegment two = arena.allocate(8);
        assertThat(Libc.pipe2(errno, two, flags)).isZero();
        return keep(two);
    }

    private int[] datagramPair() {
        MemorySegment two = arena.allocate(8);
        assertThat(Libc.socketpair(errno, AF_UNIX, SOCK_DGRAM, 0, two)).isZero();
        return keep(two);
    }

    private int[] keep(MemorySegment two) {
        int[] out = {two.get(JAVA_INT, 0), two.get(JAVA_INT, 4)};
        fds.add(out[0]);
        fds.add(out[1]);
        return out;
    }

    private void send(int fd, String text) {
        MemorySegment bytes = arena.allocateFrom(text);
        assertThat(Libc.write(errno, fd, bytes, text.length())).isEqualTo(text.length());
    }

    /** Waits (bounded) until {@code count} completions are ready. */
    private void awaitReady(int count) throws ErrnoException {
        long deadline = System.nanoTime() + 10 * SECOND;
        while (ring.ready() < count && System.nanoTime() < deadline) {
            ring.submitAndWait(count - ring.ready(), SECOND);
        }
        assertThat(ring.ready()).isGreaterThanOrEqualTo(count);
    }

    @Test
    void aReadArmedBeforeTheDataArrivesCompletesWithItOnABlockingAndANonBlockingPipe() throws Exception {
        for (int flags : new int[]{0, Libc.O_NONBLOCK}) {
            int[] p = pipe(flags);
            MemorySegment buf = arena.allocate(64);
            assertThat(ring.prepare(IoUring.OP_READ, p[0], buf.address(), 64, 0, 7L)).isTrue();
            assertThat(ring.submitAndWait(0, 0)).isEqualTo(1);
            assertThat(ring.ready()).as("nothing to read yet (flags %d)", flags).isZero();

            send(p[1], "hello");
            awaitReady(1);

            assertThat(ring.userData(0)).isEqualTo(7L);
            assertThat(ring.result(0)).as("flags %d", flags).isEqualTo(5);
            assertThat(buf.getString(0)).isEqualTo("hello");
            ring.consume(1);
            assertThat(ring.ready()).isZero();
        }
    }

    @Test
    void theWaitEndsAtItsTimeoutWithNothingReady() throws Exception {
        int[] p = pipe(0);
        MemorySegment buf = arena.allocate(64);
        ring.prepare(IoUring.OP_READ, p[0], buf.address(), 64, 0, 1L);
        long t0 = System.nanoTime();

        ring.submitAndWait(1, 50_000_000L);

        long waited = System.nanoTime() - t0;
        assertThat(ring.ready()).isZero();
        assertThat(waited).as("waited %d ns", waited).isGreaterThanOrEqualTo(40_000_000L).isLessThan(10 * SECOND);
    }

    @Test
    void anEventfdWriteFromAnotherThreadEndsALongWaitAtOnce() throws Exception {
        int event = Libc.eventfd(errno, 0, Libc.EFD_CLOEXEC);
        fds.add(event);
        MemorySegment counter = arena.allocate(8);
        ring.prepare(IoUring.OP_READ, event, counter.address(), 8, 0, 99L);
        ring.submitAndWait(0, 0);
        CompletableFuture<Void> waker = CompletableFuture.runAsync(() -> {
            try {
                TimeUnit.MILLISECONDS.sleep(100); // lets the ring go to sleep first; the test does not depend on it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            MemorySegment one = Arena.global().allocate(8);
            one.set(JAVA_LONG, 0, 1L);
            try (Arena a = Arena.ofConfined()) {
                Libc.write(Libc.newErrnoSlot(a), event, one, 8);
            }
        });
        long t0 = System.nanoTime();

        ring.submitAndWait(1, 60 * SECOND);

        assertThat(System.nanoTime() - t0).isLessThan(30 * SECOND);
        assertThat(ring.ready()).isEqualTo(1);
        assertThat(ring.userData(0)).isEqualTo(99L);
        assertThat(ring.result(0)).isEqualTo(8);
        assertThat(counter.get(JAVA_LONG, 0)).isEqualTo(1L);
        ring.consume(1);
        waker.get(10, TimeUnit.SECONDS);
    }

    @Test
    void fixedBuffersCarryDatagramsBothWaysOneReadPerDatagram() throws Exception {
        int slots = 4;
        int size = 2048;
        MemorySegment region = arena.allocate((long) slots * size, 4096);
        ring.registerBuffers(region, slots, size);
        int[] pair = datagramPair();
        for (int i = 0; i < slots; i++) {
            ring.prepare(IoUring.OP_READ_FIXED, pair[0], region.address() + (long) i * size, size, i, i);
        }
        ring.submitAndWait(0, 0);
        for (int i = 0; i < slots; i++) {
            send(pair[1], "datagram " + i);
        }
        awaitReady(slots);

        Set<String> got = new HashSet<>();
        for (int i = 0; i < slots; i++) {
            int slot = (int) ring.userData(i);
            int n = ring.result(i);
            got.add(new String(region.asSlice((long) slot * size, n).toArray(JAVA_BYTE)));
        }
        ring.consume(slots);
        assertThat(got).containsExactlyInAnyOrder("datagram 0", "datagram 1", "datagram 2", "datagram 3");

        // A write from a fixed buffer: one datagram out of slot 2.
        MemorySegment text = region.asSlice(2L * size, 5);
        text.copyFrom(MemorySegment.ofArray("reply".getBytes()));
        ring.prepare(IoUring.OP_WRITE_FIXED, pair[0], text.address(), 5, 2, 42L);
        awaitReady(1);
        assertThat(ring.userData(0)).isEqualTo(42L);
        assertThat(ring.result(0)).isEqualTo(5);
        ring.consume(1);
        MemorySegment in = arena.allocate(64);
        assertThat(Libc.read(errno, pair[1], in, 64)).isEqualTo(5);
        assertThat(in.asSlice(0, 5).toArray(JAVA_BYTE)).isEqualTo("reply".getBytes());
    }

    @Test
    void tenThousandDatagramsThroughAnEightEntryRingWrapItsIndexesWithoutLosingOne() throws Exception {
        int[] pair = datagramPair();
        int armed = 4;
        MemorySegment bufs = arena.allocate(armed * 64L);
        for (int i = 0; i < armed; i++) {
            ring.prepare(IoUring.OP_READ, pair[0], bufs.address() + 64L * i, 64, 0, i);
        }
        long sum = 0;
        int received = 0;
        int total = 10_000;
        long deadline = System.nanoTime() + 60 * SECOND;
        MemorySegment out = arena.allocate(8);
        for (int sent = 0; received < total && System.nanoTime() < deadline; ) {
            for (int k = 0; k < armed && sent < total && sent - received < armed; k++, sent++) {
                out.set(JAVA_INT, 0, sent);
                assertThat(Libc.write(errno, pair[1], out, 4)).isEqualTo(4);
            }
            ring.submitAndWait(1, SECOND);
            int ready = ring.ready();
            for (int i = 0; i < ready; i++) {
                int slot = (int) ring.userData(i);
                assertThat(ring.result(i)).isEqualTo(4);
                sum += bufs.get(JAVA_INT, 64L * slot);
                received++;
                assertThat(ring.prepare(IoUring.OP_READ, pair[0], bufs.address() + 64L * slot, 64, 0, slot))
                        .isTrue();
            }
            ring.consume(ready);
        }
        assertThat(received).isEqualTo(total);
        assertThat(sum).isEqualTo((long) total * (total - 1) / 2);
        assertThat(ring.entries()).isEqualTo(8);
    }

    @Test
    void aFullSubmissionRingRefusesMoreUntilItIsSubmitted() {
        MemorySegment buf = arena.allocate(8);
        int[] p = pipe(0);
        for (int i = 0; i < ring.entries(); i++) {
            assertThat(ring.prepare(IoUring.OP_WRITE, p[1], buf.address(), 1, 0, i)).isTrue();
        }
        assertThat(ring.prepare(IoUring.OP_WRITE, p[1], buf.address(), 1, 0, 9)).isFalse();
        assertThat(ring.prepared()).isEqualTo(ring.entries());
    }

    @Test
    void aRingDisabledUntilEnabledRefusesToSubmit() throws Exception {
        try (IoUring disabled = openOrSkip(4)) {
            int[] p = pipe(0);
            MemorySegment buf = arena.allocate(8);
            disabled.prepare(IoUring.OP_WRITE, p[1], buf.address(), 1, 0, 1);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> disabled.submitAndWait(0, 0))
                    .isInstanceOf(ErrnoException.class).hasMessageContaining("io_uring_enter");
            disabled.enable();
            assertThat(disabled.submitAndWait(1, 5 * SECOND)).isEqualTo(1);
            assertThat(disabled.ready()).isEqualTo(1);
            assertThat(disabled.result(0)).isEqualTo(1);
        }
    }

    static Duration seconds(int s) {
        return Duration.ofSeconds(s);
    }
}
