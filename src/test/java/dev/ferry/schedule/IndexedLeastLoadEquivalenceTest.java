package dev.ferry.schedule;

import dev.ferry.backend.BackendSnapshot;
import dev.ferry.backend.Server;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tree-indexed least-load schedulers return exactly what IPVS's O(n) scan returns, over many random servers,
 * weights, loads, overload flags, membership changes and lists of servers to avoid. Values are drawn from small
 * ranges so that ties, the 256 boundary of overhead and ovf's {@code active == weight} edge come up often.
 */
class IndexedLeastLoadEquivalenceTest {
    private static final int[] WEIGHTS = {0, 1, 1, 2, 3, 4, 6, 100, 65_535};
    private static final int SCENARIOS = 300;
    private static final int STEPS = 150;

    @ParameterizedTest
    @EnumSource(LinearScanReference.class)
    void agreesWithTheLinearScan(LinearScanReference reference) {
        int compared = 0;
        int none = 0;
        for (int sc = 0; sc < SCENARIOS; sc++) {
            int scenario = sc;
            SplittableRandom random = new SplittableRandom(scenario * 7919L + reference.ordinal());
            Scheduler scheduler = reference.indexed();
            List<Server> members = new ArrayList<>();
            int n = random.nextInt(0, scenario % 10 == 0 ? 300 : 40);
            for (int i = 0; i < n; i++) {
                members.add(randomServer(random, "s" + i));
            }
            scheduler.update(BackendSnapshot.of(new ArrayList<>(members)));
            List<Server> removed = new ArrayList<>();
            for (int st = 0; st < STEPS; st++) {
                int step = st;
                mutate(random, scheduler, members, removed);
                PickContext context = randomAvoid(random, members, removed);
                Server expected = reference.pick(members, context);
                assertThat(scheduler.pick(context))
                        .as(() -> reference + " scenario " + scenario + " step " + step + ": " + describe(members)
                                + " avoiding " + context.avoid())
                        .isSameAs(expected);
                compared++;
                if (expected == null) {
                    none++;
                }
            }
        }
        assertThat(none).as("some comparisons expect none").isPositive().isLessThan(compared / 2);
    }

    private static Server randomServer(SplittableRandom random, String name) {
        Server s = Server.detached(name, WEIGHTS[random.nextInt(WEIGHTS.length)]);
        stageLoad(random, s);
        return s;
    }

    private static void stageLoad(SplittableRandom random, Server s) {
        int active = random.nextInt(8) == 0 ? random.nextInt(0, 100_000) : random.nextInt(0, 7);
        int inactive = random.nextInt(3) == 0 ? random.nextInt(250, 262) : random.nextInt(0, 4);
        s.setLoad(active, inactive);
        s.setOverloaded(random.nextInt(7) == 0);
    }

    private static void mutate(SplittableRandom random, Scheduler scheduler, List<Server> members,
                               List<Server> removed) {
        int what = random.nextInt(10);
        if (what < 6 && !members.isEmpty()) {
            // A load or flag change on a few servers, reported as the backend reports it.
            for (int k = random.nextInt(1, 4); k > 0; k--) {
                Server s = members.get(random.nextInt(members.size()));
                stageLoad(random, s);
                scheduler.loadChanged(s);
            }
        } else if (what < 8 && !members.isEmpty()) {
            members.get(random.nextInt(members.size())).setWeight(WEIGHTS[random.nextInt(WEIGHTS.length)]);
            scheduler.update(BackendSnapshot.of(new ArrayList<>(members)));
        } else if (what == 8 && !members.isEmpty()) {
            removed.add(members.remove(random.nextInt(members.size())));
            scheduler.update(BackendSnapshot.of(new ArrayList<>(members)));
        } else {
            members.add(random.nextInt(members.size() + 1), randomServer(random, "t" + random.nextInt(1000)));
            scheduler.update(BackendSnapshot.of(new ArrayList<>(members)));
        }
    }

    /** Up to four servers to avoid, members or not (a server removed since the first try may still be listed). */
    private static PickContext randomAvoid(SplittableRandom random, List<Server> members, List<Server> removed) {
        PickContext context = PickContext.EMPTY;
        int count = random.nextInt(3) == 0 ? random.nextInt(1, 5) : 0;
        for (int i = 0; i < count; i++) {
            if (!removed.isEmpty() && random.nextInt(5) == 0) {
                context = context.retryAvoiding(removed.get(random.nextInt(removed.size())));
            } else if (!members.isEmpty()) {
                context = context.retryAvoiding(members.get(random.nextInt(members.size())));
            }
        }
        return context;
    }

    private static String describe(List<Server> members) {
        StringBuilder out = new StringBuilder();
        for (Server s : members) {
            out.append(String.format("%s{w=%d a=%d i=%d%s} ", s, s.weight(), s.active(), s.inactive(),
                    s.isOverloaded() ? " OVL" : ""));
        }
        return out.toString();
    }
}
