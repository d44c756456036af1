package dev.ferry.bench;

import dev.ferry.backend.BackendSnapshot;
import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;
import dev.ferry.config.SchedulerConfig;
import dev.ferry.schedule.Member;
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
 * Nanoseconds per pick of each scheduler, with its default options, at 10, 1,000 and 10,000 servers (weights
 * 1..100, seeded; or a worst case, see {@link #weights}), for keys cycling over 4,096 clients and destinations (so
 * the hashing and locality schedulers see many keys), while two
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

    @Param({"rr", "wrr", "lc", "wlc", "sed", "nq", "fo", "ovf", "twos", "dh", "sh", "mh", "lblc", "lblcr"})
    public String scheduler;

    @Param({"10", "1000", "10000"})
    public int servers;

    /**
     * {@code random}: weights 1..100. Worst cases of the round robins: {@code last-only} (every weight 0 but the
     * last server's: rr scans the whole list), {@code one-heavy} (100, 1, 1, ...: wrr walks the list about 100
     * times per period for 100 + n - 1 picks).
     */
    @Param({"random"})
    public String weights;

    private static final int KEYS = 4096;
    private final PickContext[] contexts = new PickContext[KEYS];
    private int nextKey;

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
            int w = switch (weights) {
                case "last-only" -> i == servers - 1 ? 1 : 0;
                case "one-heavy" -> i == 0 ? 100 : 1;
                default -> 1 + random.nextInt(100);
            };
            members.add(Server.detached("s" + i,
                    new java.net.InetSocketAddress("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255),
                            8080), w));
        }
        for (int k = 0; k < KEYS; k++) {
            java.net.InetSocketAddress client = new java.net.InetSocketAddress(
                    "192.168." + (k >> 8) + "." + (k & 255), 30000 + k);
            java.net.InetSocketAddress destination = new java.net.InetSocketAddress(
                    "172.16." + (k >> 8 & 3) + "." + (k & 255), 80);
            contexts[k] = new PickContext(client, destination, dev.ferry.schedule.hash.AddressKeys.mixed(client, false),
                    List.of(), 0);
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
    public Member pick() {
        return subject.pick(nextContext());
    }

    /** The next of the {@value #KEYS} keys; one benchmark thread, so a plain field. */
    private PickContext nextContext() {
        int k = nextKey;
        nextKey = (k + 1) & (KEYS - 1);
        return contexts[k];
    }

    /** A pick and its retry: the second pick avoids the server the first one chose (and was then refused by). */
    @Benchmark
    public Member pickThenRetry() {
        PickContext context = nextContext();
        Member first = subject.pick(context);
        return first == null ? null : subject.pick(context.retryAvoiding(first));
    }

    /** A whole short connection: pick, bind, activate and close, reporting each change as a backend does. */
    @Benchmark
    public Server pickOpenClose() {
        Server s = (Server) subject.pick(nextContext()); // the members given to update() are Servers
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
