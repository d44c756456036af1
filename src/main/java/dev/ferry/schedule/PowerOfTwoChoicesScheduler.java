package dev.ferry.schedule;

import dev.ferry.backend.BackendSnapshot;
import dev.ferry.backend.Server;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * IPVS {@code twos}: weighted power of two choices (spec §2.9). Two servers are drawn independently, each with
 * probability proportional to its weight among the eligible ones (not overloaded, weight above 0, not avoided),
 * except that a draw of 0 also lands on the first, as in the kernel ({@code rand % (W+1)}); the second draw is
 * returned only when it is strictly less loaded per unit of weight ({@code w2*oh1 > w1*oh2}), else the first.
 *
 * <p>Threading: lock-free; reads the snapshot and live counters; O(n) per pick as in IPVS. The random source must be
 * safe to use from every event loop at once ({@link ThreadLocalRandom} by default; tests inject a scripted one).
 */
public final class PowerOfTwoChoicesScheduler implements Scheduler {
    private final RandomGenerator random;
    private volatile List<Server> servers = List.of();

    /** Draws from {@link ThreadLocalRandom}. */
    public PowerOfTwoChoicesScheduler() {
        this(ThreadLocalRandom.current());
    }

    /** Draws from {@code random}, which must be thread-safe when picks run concurrently. */
    public PowerOfTwoChoicesScheduler(RandomGenerator random) {
        this.random = random;
    }

    @Override
    public void update(BackendSnapshot snapshot) {
        servers = snapshot.servers();
    }

    @Override
    public Server pick(PickContext context) {
        List<Server> list = servers;
        long total = 0;
        for (int i = 0, n = list.size(); i < n; i++) {
            Server s = list.get(i);
            if (eligible(s, context)) {
                total += s.weight();
            }
        }
        if (total == 0) {
            return null;
        }
        long r1 = random.nextLong(total + 1);
        long r2 = random.nextLong(total + 1);
        Server choice1 = null;
        Server choice2 = null;
        for (int i = 0, n = list.size(); i < n && (choice1 == null || choice2 == null); i++) {
            Server s = list.get(i);
            if (!eligible(s, context)) {
                continue;
            }
            r1 -= s.weight();
            r2 -= s.weight();
            if (choice1 == null && r1 <= 0) {
                choice1 = s;
            }
            if (choice2 == null && r2 <= 0) {
                choice2 = s;
            }
        }
        if (choice1 == null || choice2 == null) {
            // A weight or flag changed under this scan, so the draws outran the servers: no second opinion.
            return choice1 != null ? choice1 : choice2;
        }
        long w1 = choice1.weight();
        long w2 = choice2.weight();
        return w2 * choice1.overhead() > w1 * choice2.overhead() ? choice2 : choice1;
    }

    private static boolean eligible(Server s, PickContext context) {
        return s.weight() > 0 && !s.isOverloaded() && !context.avoids(s);
    }
}
