package dev.ferry.schedule;

import dev.ferry.backend.BackendSnapshot;
import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The IPVS overload flag as {@link Server} keeps it on bind and unbind (spec §1, §5.8), and how the schedulers see
 * it.
 */
class OverloadFlagTest {

    /** Opens {@code count} connections, activating every other one: the flag counts active and inactive alike. */
    private static Deque<ConnectionLease> open(Server server, int count) {
        Deque<ConnectionLease> leases = new ArrayDeque<>();
        for (int i = 0; i < count; i++) {
            ConnectionLease lease = server.open();
            if (i % 2 == 0) {
                lease.activate();
            }
            leases.push(lease);
        }
        return leases;
    }

    @Test
    void withoutALowerThresholdTheFlagClearsBelow75PercentOfTheUpperOne() {
        Server server = Server.detached("A", 1);
        server.setThresholds(10, 0);
        Deque<ConnectionLease> leases = open(server, 9);
        assertThat(server.isOverloaded()).as("9 of 10").isFalse();
        leases.push(server.open());
        assertThat(server.isOverloaded()).as("bind brings total to 10").isTrue();

        leases.pop().close(); // 9
        leases.pop().close(); // 8: 32 < 30 is false
        assertThat(server.active() + server.inactive()).isEqualTo(8);
        assertThat(server.isOverloaded()).isTrue();
        leases.pop().close(); // 7: 28 < 30
        assertThat(server.isOverloaded()).isFalse();
    }

    @Test
    void withALowerThresholdTheFlagClearsOnlyBelowIt() {
        Server server = Server.detached("A", 1);
        server.setThresholds(10, 5);
        Deque<ConnectionLease> leases = open(server, 10);
        assertThat(server.isOverloaded()).isTrue();
        while (server.active() + server.inactive() > 5) {
            leases.pop().close();
            assertThat(server.isOverloaded()).as("total %d", server.active() + server.inactive()).isTrue();
        }
        leases.pop().close(); // 4 < 5
        assertThat(server.isOverloaded()).isFalse();
    }

    @Test
    void withoutAnUpperThresholdTheFlagIsNeverSet() {
        Server server = Server.detached("A", 1);
        server.setThresholds(0, 0);
        open(server, 1000);
        assertThat(server.isOverloaded()).isFalse();
    }

    @Test
    void movingBetweenActiveAndInactiveNeitherSetsNorClearsTheFlag() {
        Server server = Server.detached("A", 1);
        server.setThresholds(4, 0);
        Deque<ConnectionLease> leases = open(server, 4);
        assertThat(server.isOverloaded()).isTrue();
        for (ConnectionLease lease : leases) {
            lease.activate();
            lease.deactivate();
        }
        assertThat(server.isOverloaded()).isTrue();
    }

    @Test
    void theFlagIsSetAgainByTheNextBindAtTheThreshold() {
        Server server = Server.detached("A", 1);
        server.setThresholds(4, 0);
        Deque<ConnectionLease> leases = open(server, 4);
        leases.pop().close();
        leases.pop().close(); // 2*4 < 12: cleared
        assertThat(server.isOverloaded()).isFalse();
        leases.push(server.open()); // 3 < 4
        assertThat(server.isOverloaded()).isFalse();
        leases.push(server.open()); // 4
        assertThat(server.isOverloaded()).isTrue();
    }

    @Test
    void everySchedulerSkipsAServerWhileItsFlagIsSet() {
        for (Scheduler scheduler : List.of(new RoundRobinScheduler(), new WeightedRoundRobinScheduler(),
                new LeastConnectionScheduler(), new WeightedLeastConnectionScheduler(),
                new ShortestExpectedDelayScheduler(), new NeverQueueScheduler(), new WeightedFailoverScheduler(),
                new OverflowScheduler(), new PowerOfTwoChoicesScheduler())) {
            Server a = Server.detached("A", 1000);
            Server b = Server.detached("B", 1);
            a.setThresholds(2, 0);
            b.setLoad(1, 0); // so that every least-load rule prefers A once its flag clears
            scheduler.update(BackendSnapshot.of(new ArrayList<>(List.of(a, b))));
            Deque<ConnectionLease> leases = new ArrayDeque<>();
            leases.push(a.open());
            scheduler.loadChanged(a);
            leases.push(a.open());
            scheduler.loadChanged(a);
            for (int i = 0; i < 20; i++) {
                assertThat(scheduler.pick(PickContext.EMPTY)).as(scheduler.getClass().getSimpleName()).isSameAs(b);
            }
            leases.pop().close(); // 1*4 < 6: cleared
            scheduler.loadChanged(a);
            boolean chosenAgain = false;
            for (int i = 0; i < 20 && !chosenAgain; i++) {
                chosenAgain = scheduler.pick(PickContext.EMPTY) == a;
            }
            assertThat(chosenAgain).as(scheduler.getClass().getSimpleName() + " chooses A again").isTrue();
        }
    }
}
