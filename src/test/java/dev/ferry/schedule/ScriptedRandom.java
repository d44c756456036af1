package dev.ferry.schedule;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.random.RandomGenerator;

/** A random source that answers bounded draws from a script, for exact-sequence tests of randomised schedulers. */
final class ScriptedRandom implements RandomGenerator {
    private final Deque<Long> script = new ArrayDeque<>();

    ScriptedRandom(long... draws) {
        for (long d : draws) {
            script.add(d);
        }
    }

    @Override
    public long nextLong(long bound) {
        long next = script.remove();
        if (next < 0 || next >= bound) {
            throw new AssertionError("scripted draw " + next + " outside [0, " + bound + ")");
        }
        return next;
    }

    @Override
    public int nextInt(int bound) {
        return (int) nextLong(bound);
    }

    @Override
    public long nextLong() {
        throw new AssertionError("unbounded draw not scripted");
    }
}
