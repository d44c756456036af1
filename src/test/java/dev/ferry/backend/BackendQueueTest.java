package dev.ferry.backend;

import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.schedule.PickContext;
import dev.ferry.testing.ManualTimeline;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link BackendQueue} on two hand-driven event loops ({@link ManualTimeline}): a waiter is woken on its own loop,
 * first come first served; a wake that meets a waiter that left passes the slot on; a waiter that finds the slot taken
 * goes back to the head; the timeout falls exactly at {@code timeout}; a full queue refuses; nothing queues while no
 * server is at its limit. Time is walked, never slept.
 */
class BackendQueueTest {
    private final ManualTimeline loop1 = new ManualTimeline();
    private final ManualTimeline loop2 = new ManualTimeline();
    private final List<String> told = new ArrayList<>();
    /** The slot each waiter took when told its server (as Exchange.tryOn and TcpProxyConnection.connectTo do). */
    private final Map<String, ConnectionLease> taken = new java.util.HashMap<>();

    private static Backend backend(String servers) throws Exception {
        FerryConfig c = ConfigLoader.parse("""
                frontends: [ { name: f, listen: 127.0.0.1:0, backend: b } ]
                backends:
                  - name: b
                    scheduler: rr
                    queue: { size: 3, timeout: 5s }
                    servers: %s
                """.formatted(servers), Path.of("q.yaml"));
        return new Backend(c.backends().getFirst());
    }

    private static BackendQueue.Loop loop(ManualTimeline t) {
        return new BackendQueue.Loop() {
            @Override
            public long nanoTime() {
                return t.nanoTime();
            }

            @Override
            public void execute(Runnable task) {
                t.execute(task);
            }

            @Override
            public Runnable schedule(Runnable task, long delayNanos) {
                return t.schedule(task, delayNanos)::cancel;
            }
        };
    }

    private static PickContext pick() {
        InetSocketAddress client = new InetSocketAddress("127.0.0.1", 40000);
        return new PickContext(client, client, 0, List.of(), 0);
    }

    private BackendQueue.Ticket enqueue(Backend b, ManualTimeline t, String who) {
        return b.queue().enqueue(loop(t), pick(), s -> {
            told.add(who + "->" + (s == null ? "gave up" : s.name()));
            if (s != null) {
                taken.put(who, s.open());
            }
        });
    }

    private void runLoops() {
        for (int i = 0; i < 5; i++) {
            loop1.advance(Duration.ZERO);
            loop2.advance(Duration.ZERO);
        }
    }

    @Test
    void eachFreedSlotGoesToTheOldestWaiterOnItsOwnLoop() throws Exception {
        Backend b = backend("[ { name: s, address: 127.0.0.1:1, max_connections: 1 } ]");
        Server s = b.server("s").orElseThrow();
        ConnectionLease first = s.open();
        assertThat(b.pick(pick())).as("full").isNull();

        BackendQueue.Ticket a = enqueue(b, loop1, "a");
        BackendQueue.Ticket c = enqueue(b, loop2, "c");
        assertThat(a.refused()).isFalse();
        assertThat(b.queue().length()).isEqualTo(2);
        runLoops();
        assertThat(told).isEmpty();

        first.close();
        loop2.advance(Duration.ZERO);
        assertThat(told).as("nothing runs on the other loop").isEmpty();
        loop1.advance(Duration.ZERO);
        assertThat(told).containsExactly("a->s");
        assertThat(b.queue().length()).isEqualTo(1);
        // The woken waiter took the slot at once; the next one waits for the next slot.
        runLoops();
        assertThat(told).containsExactly("a->s");
        taken.get("a").close();
        runLoops();
        assertThat(told).containsExactly("a->s", "c->s");
        assertThat(c.refused()).isFalse();
        assertThat(b.queue().dispatchedTotal()).isEqualTo(2);
    }

    @Test
    void aWakeThatMeetsAWaiterThatLeftPassesTheSlotOn() throws Exception {
        Backend b = backend("[ { name: s, address: 127.0.0.1:1, max_connections: 1 } ]");
        Server s = b.server("s").orElseThrow();
        ConnectionLease first = s.open();
        BackendQueue.Ticket a = enqueue(b, loop1, "a");
        enqueue(b, loop2, "c");

        first.close(); // a is taken off the queue; its wake waits on loop 1
        a.cancel();    // on loop 1, before the wake ran: the client went
        assertThat(b.queue().abandonedTotal()).isEqualTo(1);
        runLoops();
        assertThat(told).containsExactly("c->s");
        assertThat(b.queue().length()).isZero();
    }

    @Test
    void aWaiterThatFindsTheSlotTakenGoesBackToTheHead() throws Exception {
        Backend b = backend("[ { name: s, address: 127.0.0.1:1, max_connections: 1 } ]");
        Server s = b.server("s").orElseThrow();
        ConnectionLease first = s.open();
        enqueue(b, loop1, "a");
        first.close();
        ConnectionLease thief = s.open(); // someone else took the slot before a's loop ran
        loop1.advance(Duration.ZERO);
        assertThat(told).isEmpty();
        enqueue(b, loop2, "c");
        thief.close();
        runLoops();
        assertThat(told).as("a kept its place before c").containsExactly("a->s");
        taken.get("a").close();
        runLoops();
        assertThat(told).containsExactly("a->s", "c->s");
    }

    @Test
    void theTimeoutFallsAtTimeoutAndAFullQueueRefusesAtOnce() throws Exception {
        Backend b = backend("[ { name: s, address: 127.0.0.1:1, max_connections: 1 } ]");
        Server s = b.server("s").orElseThrow();
        s.open();
        enqueue(b, loop1, "a");
        enqueue(b, loop1, "b");
        enqueue(b, loop1, "c");
        BackendQueue.Ticket d = enqueue(b, loop1, "d");
        assertThat(d.refused()).as("size 3").isTrue();
        assertThat(b.queue().fullTotal()).isEqualTo(1);

        loop1.advance(Duration.ofMillis(4_999));
        assertThat(told).isEmpty();
        loop1.advance(Duration.ofMillis(1));
        assertThat(told).containsExactly("a->gave up", "b->gave up", "c->gave up");
        assertThat(b.queue().timeoutsTotal()).isEqualTo(3);
        assertThat(b.queue().length()).isZero();
        assertThat(b.queue().waits().count()).as("only waits that ended on a server").isZero();
    }

    @Test
    void nothingQueuesWhileNoServerIsAtItsLimitAndAServerUpAgainWakesTheWaiters() throws Exception {
        Backend b = backend("[ { name: s, address: 127.0.0.1:1, max_connections: 1 }, "
                + "{ name: t, address: 127.0.0.1:2, max_connections: 1 } ]");
        Server s = b.server("s").orElseThrow();
        Server t = b.server("t").orElseThrow();
        b.setHealthy(s, false);
        b.setHealthy(t, false);
        assertThat(enqueue(b, loop1, "a")).as("no server up: refused as without a queue").isNull();

        b.setHealthy(s, true);
        s.open();
        BackendQueue.Ticket w = enqueue(b, loop1, "w");
        assertThat(w).isNotNull();
        b.setHealthy(t, true); // a new member with room: the waiter goes there
        runLoops();
        assertThat(told).containsExactly("w->t");
        assertThat(Map.of("length", b.queue().length())).containsEntry("length", 0);
    }
}
