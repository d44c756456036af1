package dev.ferry.bench;

import dev.ferry.backend.BackendSnapshot;
import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;
import dev.ferry.config.SchedulerConfig;
import dev.ferry.schedule.PickContext;
import dev.ferry.schedule.Scheduler;
import dev.ferry.schedule.Schedulers;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Nanoseconds per pick of each scheduler at 10, 1,000 and 10,000 servers (weights 1..100, seeded), while two
 * "event loop" threads open, activate and close connections on random servers and report every change to the
 * scheduler, as a backend does. The churn runs in bursts of {@value #BURST} changes with a short park in between,
 * so on a small machine it takes a share of the CPU instead of all of it; its rate is printed at the end of a trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SchedulerPickBenchmark {
    private static final int BURST = 16;
    private static final long PARK_NANOS = 20_000;
    /** Upper bound of a trial's churn, whatever happens to the stop flag. */
    private static final long MAX_CHURN_NANOS = TimeUnit.MINUTES.toNanos(10);

    @Param({"rr", "wrr", "lc", "wlc", "sed", "nq", "fo", "ovf", "twos"})
    public String scheduler;

    @Param({"10", "1000", "10000"})
    public int servers;

    private Scheduler subject;
    private List<Server> members;
    private volatile boolean stop;
    private final List<Thread> churn = new ArrayList<>();
    private final LongAdder changes = new LongAdder();
    private long churnStarted;

    @Setup(Level.Trial)
    public void setUp() {
        subject = Schedulers.create(SchedulerConfig.of(scheduler));
        SplittableRandom random = new SplittableRandom(42);
        members = new ArrayList<>(servers);
        for (int i = 0; i < servers; i++) {
            members.add(Server.detached("s" + i, 1 + random.nextInt(100)));
        }
        subject.update(BackendSnapshot.of(new ArrayList<>(members)));
        stop = false;
        churnStarted = System.nanoTime();
        for (int t = 0; t < 2; t++) {
            Thread thread = new Thread(new Churn(new SplittableRandom(t)), "churn-" + t);
            thread.setDaemon(true);
            thread.start();
            churn.add(thread);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        stop = true;
        for (Thread t : churn) {
            t.join(TimeUnit.SECONDS.toMillis(10));
        }
        churn.clear();
        double seconds = (System.nanoTime() - churnStarted) / 1e9;
        System.out.printf("%n[churn] %s/%d: %.0f load changes/s from 2 threads%n", scheduler, servers,
                changes.sum() / seconds);
    }

    /** A new connection's pick. */
    @Benchmark
    public Server pick() {
        return subject.pick(PickContext.EMPTY);
    }

    /** A pick and its retry: the second pick avoids the server the first one chose (and was then refused by). */
    @Benchmark
    public Server pickThenRetry() {
        Server first = subject.pick(PickContext.EMPTY);
        return first == null ? null : subject.pick(PickContext.EMPTY.retryAvoiding(first));
    }

    /** A whole short connection: pick, bind, activate and close, reporting each change as a backend does. */
    @Benchmark
    public Server pickOpenClose() {
        Server s = subject.pick(PickContext.EMPTY);
        if (s != null) {
            ConnectionLease lease = s.open();
            subject.loadChanged(s);
            lease.activate();
            subject.loadChanged(s);
            lease.close();
            subject.loadChanged(s);
        }
        return s;
    }

    /** One event loop's worth of connections: keeps about as many open as there are servers. */
    private final class Churn implements Runnable {
        private final SplittableRandom random;
        private final List<ConnectionLease> open = new ArrayList<>();

        Churn(SplittableRandom random) {
            this.random = random;
        }

        @Override
        public void run() {
            long deadline = System.nanoTime() + MAX_CHURN_NANOS;
            int target = Math.min(servers, 2000);
            while (!stop && System.nanoTime() < deadline) {
                for (int i = 0; i < BURST; i++) {
                    step(target);
                }
                changes.add(BURST);
                LockSupport.parkNanos(PARK_NANOS);
            }
            for (ConnectionLease lease : open) {
                lease.close();
                subject.loadChanged(lease.server());
            }
        }

        private void step(int target) {
            if (open.size() < target && random.nextBoolean()) {
                Server s = members.get(random.nextInt(members.size()));
                ConnectionLease lease = s.open();
                subject.loadChanged(s);
                open.add(lease);
            } else if (!open.isEmpty()) {
                int i = random.nextInt(open.size());
                ConnectionLease lease = open.get(i);
                if (random.nextBoolean()) {
                    lease.activate();
                } else {
                    open.set(i, open.get(open.size() - 1));
                    open.remove(open.size() - 1);
                    lease.close();
                }
                subject.loadChanged(lease.server());
            }
        }
    }
}
