package dev.ferry.schedule;

import dev.ferry.backend.Server;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * What every scheduler must do, whatever its algorithm (architecture rule 10): nothing to choose gives none, a
 * single server is always chosen, quiesced servers are never chosen, a removed server is never returned, avoided
 * servers are never returned, and a seeded run spreads picks as the algorithm promises.
 *
 * <p>Subclasses supply the scheduler and its expected shares for weights 1, 2, 3. Picks use varied contexts (client
 * address, destination and hash key drawn from a seeded generator), so hashing schedulers are exercised across
 * many keys; override {@link #context(RandomGenerator)} to shape them.
 */
abstract class SchedulerContractTest {
    private static final int[] DISTRIBUTION_WEIGHTS = {1, 2, 3};
    private static final int VARIED_PICKS = 600;

    /** A fresh scheduler, as the registry would create it. */
    protected abstract Scheduler newScheduler();

    /**
     * The share of picks each of three servers with weights 1, 2, 3 receives over {@link #distributionPicks()}
     * picks with varied contexts. Connections stay open unless {@link #picksKeepConnections()} says not.
     */
    protected abstract double[] expectedShares();

    /** Tolerance on each share; exact algorithms keep the default, randomised or hashing ones widen it. */
    protected double shareTolerance() {
        return 0.01;
    }

    protected int distributionPicks() {
        return 6000;
    }

    /**
     * Whether the connection of every pick in these tests stays open (spec §4) or closes at once: schedulers that
     * stop choosing a full server (ovf) close them, so that "always a server" properties still hold.
     */
    protected boolean picksKeepConnections() {
        return true;
    }

    /** The context of one pick in the varied runs: a seeded client address, destination and hash key. */
    protected PickContext context(RandomGenerator random) {
        return new PickContext(address(random, 10, random.nextInt(1024, 65536)), address(random, 172, 80),
                random.nextLong(), List.of(), 0);
    }

    private static InetSocketAddress address(RandomGenerator random, int firstOctet, int port) {
        byte[] ip = {(byte) firstOctet, (byte) random.nextInt(256), (byte) random.nextInt(256),
                (byte) random.nextInt(256)};
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // four bytes are always a valid address
        }
    }

    /** One pick by the convention of spec §4; its connection closes at once unless {@link #picksKeepConnections()}. */
    protected final Server pick(ServerPool pool, PickContext context) {
        Server chosen = pool.pickAndActivate(context);
        if (!picksKeepConnections()) {
            pool.closeAll();
        }
        return chosen;
    }

    @Test
    void noServersGivesNone() {
        Scheduler scheduler = newScheduler();
        ServerPool pool = ServerPool.of(scheduler);
        RandomGenerator random = new SplittableRandom(1);
        for (int i = 0; i < 20; i++) {
            assertThat(pick(pool, context(random))).isNull();
        }
    }

    @Test
    void aSingleServerIsAlwaysChosen() {
        ServerPool pool = ServerPool.of(newScheduler(), 3);
        RandomGenerator random = new SplittableRandom(2);
        for (int i = 0; i < VARIED_PICKS; i++) {
            assertThat(pick(pool, context(random))).isSameAs(pool.server("A"));
        }
    }

    @Test
    void quiescedServersAreNeverChosen() {
        ServerPool pool = ServerPool.of(newScheduler(), 0, 0, 0);
        RandomGenerator random = new SplittableRandom(3);
        for (int i = 0; i < VARIED_PICKS; i++) {
            assertThat(pick(pool, context(random))).isNull();
        }
    }

    @Test
    void quiescingOneServerLeavesTheOthers() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1, 1);
        pool.weight("B", 0);
        RandomGenerator random = new SplittableRandom(4);
        for (int i = 0; i < VARIED_PICKS; i++) {
            Server chosen = pick(pool, context(random));
            assertThat(chosen).isNotSameAs(pool.server("B"));
        }
    }

    @Test
    void aRemovedServerIsNeverReturned() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 1, 1, 1);
        RandomGenerator random = new SplittableRandom(5);
        for (int i = 0; i < 50; i++) {
            pick(pool, context(random));
        }
        Server removed = pool.server("B");
        pool.remove("B");
        int chosen = 0;
        for (int i = 0; i < VARIED_PICKS; i++) {
            Server s = pick(pool, context(random));
            assertThat(s).isNotSameAs(removed);
            if (s != null) {
                assertThat(pool.members()).contains(s);
                chosen++;
            }
        }
        assertThat(chosen).as("picks that found a server after the change").isPositive();
    }

    @Test
    void avoidedServersAreNeverReturned() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 2, 3);
        RandomGenerator random = new SplittableRandom(6);
        for (String name : List.of("A", "B", "C")) {
            Server avoided = pool.server(name);
            for (int i = 0; i < VARIED_PICKS / 3; i++) {
                PickContext context = context(random).retryAvoiding(avoided);
                assertThat(pick(pool, context)).isNotSameAs(avoided);
            }
        }
    }

    @Test
    void noneWhenEveryServerIsAvoided() {
        ServerPool pool = ServerPool.of(newScheduler(), 1, 2, 3);
        RandomGenerator random = new SplittableRandom(7);
        for (int i = 0; i < VARIED_PICKS; i++) {
            PickContext context = context(random);
            for (Server s : pool.members()) {
                context = context.retryAvoiding(s);
            }
            assertThat(pick(pool, context)).isNull();
        }
    }

    @Test
    void seededDistributionMatchesTheAlgorithm() {
        ServerPool pool = ServerPool.of(newScheduler(), DISTRIBUTION_WEIGHTS);
        RandomGenerator random = new SplittableRandom(8);
        int[] counts = new int[DISTRIBUTION_WEIGHTS.length];
        int picks = distributionPicks();
        for (int i = 0; i < picks; i++) {
            Server s = pick(pool, context(random));
            assertThat(s).as("pick %d", i).isNotNull();
            counts[pool.members().indexOf(s)]++;
        }
        double[] expected = expectedShares();
        for (int i = 0; i < counts.length; i++) {
            assertThat(counts[i] / (double) picks).as("share of server %d", i)
                    .isCloseTo(expected[i], within(shareTolerance()));
        }
    }
}
