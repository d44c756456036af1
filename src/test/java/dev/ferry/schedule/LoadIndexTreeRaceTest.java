package dev.ferry.schedule;

import dev.ferry.backend.BackendSnapshot;
import dev.ferry.backend.Server;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Replays, step by step, the interleaving that makes a naive tree lose an update: a stale refresh wins the
 * compare-and-set of a node over a fresh one. The match rule itself is the hook that holds each thread at the
 * chosen point, so the schedule is exact and the test needs no timing luck.
 */
class LoadIndexTreeRaceTest {

    /** lc's rule, with a pause inside the first match each thread plays. */
    private static final class PausingOrder implements LoadOrder {
        private volatile ThreadLocal<Boolean> paused = ThreadLocal.withInitial(() -> true);
        private volatile Runnable pause = () -> { };

        /** From now on, the first match each thread plays runs {@code pause}. */
        void arm(Runnable pause) {
            this.pause = pause;
            this.paused = ThreadLocal.withInitial(() -> false);
        }

        @Override
        public boolean eligible(Member server) {
            return server.weight() > 0;
        }

        @Override
        public boolean better(Member candidate, Member best) {
            boolean result = candidate.overhead() < best.overhead();
            if (!paused.get()) {
                paused.set(true);
                pause.run();
            }
            return result;
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).as("the other thread reached its step").isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void aFreshRefreshThatLosesItsCompareAndSetToAStaleOneRetriesAndWins() throws InterruptedException {
        Server a = Server.detached("A", 1);
        Server b = Server.detached("B", 1);
        a.setLoad(0, 5);
        b.setLoad(0, 3);
        List<Server> servers = new ArrayList<>(List.of(a, b));
        BackendSnapshot.of(servers);
        PausingOrder order = new PausingOrder();
        LoadIndexTree tree = new LoadIndexTree(servers, order);
        assertThat(tree.best()).isSameAs(b);

        CountDownLatch staleRead = new CountDownLatch(1);
        CountDownLatch freshRead = new CountDownLatch(1);
        CountDownLatch staleWritten = new CountDownLatch(1);
        Thread mainThread = Thread.currentThread();
        order.arm(() -> {
            if (Thread.currentThread() != mainThread) {
                staleRead.countDown();   // the stale thread has read A=6, B=3: B wins
                await(freshRead);
            } else {
                freshRead.countDown();   // we have read A=6, B=10: A wins
                await(staleWritten);
            }
        });

        AtomicReference<Throwable> failure = new AtomicReference<>();
        a.setLoad(0, 6);
        Thread stale = new Thread(() -> {
            try {
                tree.refreshPath(0);
                staleWritten.countDown();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        stale.start();
        await(staleRead);
        b.setLoad(0, 10);
        tree.refreshPath(1);
        stale.join(TimeUnit.SECONDS.toMillis(10));

        assertThat(stale.isAlive()).isFalse();
        assertThat(failure.get()).isNull();
        assertThat(tree.best()).as("A (6) is less loaded than B (10)").isSameAs(a);
    }
}
