package dev.ferry.schedule;

import dev.ferry.backend.BackendSnapshot;
import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two "event loops" open, activate and close connections on shared servers while a third thread picks and a fourth
 * republishes the snapshot; once they stop, the tree must give exactly the linear scan's answer, for every subset
 * of servers a retry could avoid. This is the property the lock-free refresh of {@link LoadIndexTree} promises.
 */
class ConcurrentLoadChangesTest {
    private static final int SERVERS = 300;
    private static final int OPS_PER_LOOP = 200_000;

    @ParameterizedTest
    @EnumSource(LinearScanReference.class)
    void theTreeIsExactOnceLoadChangesStop(LinearScanReference reference) throws InterruptedException {
        Scheduler scheduler = reference.indexed();
        List<Server> servers = new ArrayList<>();
        SplittableRandom setup = new SplittableRandom(11);
        for (int i = 0; i < SERVERS; i++) {
            Server s = Server.detached("s" + i, 1 + setup.nextInt(4));
            s.setThresholds(setup.nextInt(3) == 0 ? 6 : 0, 0);
            servers.add(s);
        }
        BackendSnapshot snapshot = BackendSnapshot.of(servers);
        scheduler.update(snapshot);

        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        List<List<ConnectionLease>> open = List.of(new ArrayList<>(), new ArrayList<>());
        for (int loop = 0; loop < 2; loop++) {
            int seed = loop;
            List<ConnectionLease> leases = open.get(loop);
            SplittableRandom random = new SplittableRandom(seed);
            threads.add(thread(start, failure, () -> eventLoop(scheduler, servers, leases, random)));
        }
        threads.add(thread(start, failure, () -> {
            for (int i = 0; i < OPS_PER_LOOP / 10; i++) {
                Server s = (Server) scheduler.pick(PickContext.EMPTY);
                assertThat(s == null || servers.contains(s)).isTrue();
            }
        }));
        threads.add(thread(start, failure, () -> {
            for (int i = 0; i < 200; i++) {
                scheduler.update(snapshot);
            }
        }));
        start.countDown();
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(60));
            assertThat(t.isAlive()).as("%s finished", t.getName()).isFalse();
        }
        assertThat(failure.get()).isNull();

        assertExact(reference, scheduler, servers);
        // Closing everything from one thread must bring the tree back to the idle answer too.
        for (List<ConnectionLease> leases : open) {
            for (ConnectionLease lease : leases) {
                lease.close();
                scheduler.loadChanged(lease.server());
            }
        }
        assertExact(reference, scheduler, servers);
    }

    private static void eventLoop(Scheduler scheduler, List<Server> servers, List<ConnectionLease> leases,
                                  SplittableRandom random) {
        for (int i = 0; i < OPS_PER_LOOP; i++) {
            int op = random.nextInt(4);
            if (op < 2 || leases.isEmpty()) {
                Server s = op == 0 ? (Server) scheduler.pick(PickContext.EMPTY) : servers.get(random.nextInt(servers.size()));
                if (s == null) {
                    s = servers.get(random.nextInt(servers.size()));
                }
                ConnectionLease lease = s.open();
                scheduler.loadChanged(s);
                leases.add(lease);
            } else if (op == 2) {
                ConnectionLease lease = leases.get(random.nextInt(leases.size()));
                lease.activate();
                scheduler.loadChanged(lease.server());
            } else {
                ConnectionLease lease = leases.remove(random.nextInt(leases.size()));
                lease.close();
                scheduler.loadChanged(lease.server());
            }
        }
    }

    private static void assertExact(LinearScanReference reference, Scheduler scheduler, List<Server> servers) {
        SplittableRandom random = new SplittableRandom(99);
        assertThat(scheduler.pick(PickContext.EMPTY)).isSameAs(reference.pick(servers, PickContext.EMPTY));
        for (int i = 0; i < 2000; i++) {
            PickContext context = PickContext.EMPTY;
            for (int k = random.nextInt(1, 4); k > 0; k--) {
                context = context.retryAvoiding(servers.get(random.nextInt(servers.size())));
            }
            assertThat(scheduler.pick(context)).as("avoiding %s", context.avoid())
                    .isSameAs(reference.pick(servers, context));
        }
    }

    private static Thread thread(CountDownLatch start, AtomicReference<Throwable> failure, Runnable body) {
        Thread t = new Thread(() -> {
            try {
                start.await();
                body.run();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
        t.start();
        return t;
    }
}
