package dev.ferry.schedule;

import dev.ferry.backend.BackendSnapshot;
import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * twos through its weight index returns, for the same two draws, exactly what IPVS's walk over the list returns;
 * also after two threads changed loads and overload flags concurrently.
 */
class PowerOfTwoChoicesEquivalenceTest {
    private static final int[] WEIGHTS = {0, 1, 1, 2, 3, 7, 100, 65_535};

    /** IPVS's twos, straight from spec §2.9, with the draws given. */
    private static Server walk(List<Server> servers, PickContext context, long r1, long r2) {
        Server c1 = null;
        Server c2 = null;
        for (Server s : servers) {
            if (s.weight() <= 0 || s.isOverloaded() || context.avoids(s)) {
                continue;
            }
            r1 -= s.weight();
            r2 -= s.weight();
            if (c1 == null && r1 <= 0) {
                c1 = s;
            }
            if (c2 == null && r2 <= 0) {
                c2 = s;
            }
        }
        if (c1 == null) {
            return null;
        }
        return (long) c2.weight() * c1.overhead() > (long) c1.weight() * c2.overhead() ? c2 : c1;
    }

    private static long eligibleWeight(List<Server> servers, PickContext context) {
        long total = 0;
        for (Server s : servers) {
            if (s.weight() > 0 && !s.isOverloaded() && !context.avoids(s)) {
                total += s.weight();
            }
        }
        return total;
    }

    /** Compares index and walk for {@code draws} random pairs (always including 0 and W) and avoid lists. */
    private static void assertAgrees(List<Server> servers, SplittableRandom random, int draws) {
        ScriptedRandom scripted = new ScriptedRandom();
        PowerOfTwoChoicesScheduler scheduler = new PowerOfTwoChoicesScheduler(scripted);
        scheduler.update(BackendSnapshot.of(new ArrayList<>(servers)));
        for (int d = 0; d < draws; d++) {
            PickContext context = PickContext.EMPTY;
            if (!servers.isEmpty() && random.nextInt(3) == 0) {
                for (int k = random.nextInt(1, 4); k > 0; k--) {
                    context = context.retryAvoiding(servers.get(random.nextInt(servers.size())));
                }
            }
            long total = eligibleWeight(servers, context);
            if (total == 0) {
                assertThat(scheduler.pick(context)).isNull();
                continue;
            }
            long r1 = d == 0 ? 0 : d == 1 ? total : random.nextLong(total + 1);
            long r2 = random.nextLong(total + 1);
            scripted.then(r1, r2);
            Server expected = walk(servers, context, r1, r2);
            PickContext ctx = context;
            assertThat(scheduler.pick(context)).as(() -> "r1=" + r1 + " r2=" + r2 + " W=" + total + " avoiding "
                    + ctx.avoid()).isSameAs(expected);
            assertThat(scripted.lastBound()).isEqualTo(total + 1);
        }
    }

    @Test
    void agreesWithTheWalkOverRandomServers() {
        for (int scenario = 0; scenario < 400; scenario++) {
            SplittableRandom random = new SplittableRandom(scenario);
            List<Server> servers = new ArrayList<>();
            int n = random.nextInt(0, scenario % 10 == 0 ? 500 : 30);
            for (int i = 0; i < n; i++) {
                Server s = Server.detached("s" + i, WEIGHTS[random.nextInt(WEIGHTS.length)]);
                s.setLoad(random.nextInt(5), random.nextInt(300));
                s.setOverloaded(random.nextInt(6) == 0);
                servers.add(s);
            }
            assertAgrees(servers, random, 60);
        }
    }

    @Test
    void agreesWithTheWalkOnceConcurrentChangesStop() throws InterruptedException {
        List<Server> servers = new ArrayList<>();
        SplittableRandom setup = new SplittableRandom(5);
        for (int i = 0; i < 200; i++) {
            Server s = Server.detached("s" + i, 1 + setup.nextInt(9));
            s.setThresholds(setup.nextInt(2) == 0 ? 3 : 0, 0);
            servers.add(s);
        }
        // The churn only changes loads; the draws are scripted afterwards, against the index that lived through it.
        ScriptedRandom scripted = new ScriptedRandom();
        PowerOfTwoChoicesScheduler scheduler = new PowerOfTwoChoicesScheduler(scripted);
        scheduler.update(BackendSnapshot.of(new ArrayList<>(servers)));
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> loops = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            SplittableRandom random = new SplittableRandom(100 + t);
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    List<ConnectionLease> open = new ArrayList<>();
                    for (int i = 0; i < 200_000; i++) {
                        if (open.isEmpty() || random.nextBoolean()) {
                            Server s = servers.get(random.nextInt(servers.size()));
                            open.add(s.open());
                            scheduler.loadChanged(s);
                        } else {
                            ConnectionLease lease = open.remove(random.nextInt(open.size()));
                            lease.close();
                            scheduler.loadChanged(lease.server());
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            thread.start();
            loops.add(thread);
        }
        start.countDown();
        for (Thread t : loops) {
            t.join(TimeUnit.SECONDS.toMillis(60));
            assertThat(t.isAlive()).isFalse();
        }
        assertThat(failure.get()).isNull();
        assertThat(servers).anyMatch(Server::isOverloaded);

        long total = eligibleWeight(servers, PickContext.EMPTY);
        for (long r = 0; r <= total; r++) {
            scripted.then(r, total - r);
            long r1 = r;
            assertThat(scheduler.pick(PickContext.EMPTY)).as("r1=%d", r1)
                    .isSameAs(walk(servers, PickContext.EMPTY, r, total - r));
            assertThat(scripted.lastBound()).as("W as the index counts it, plus one").isEqualTo(total + 1);
        }
    }
}
