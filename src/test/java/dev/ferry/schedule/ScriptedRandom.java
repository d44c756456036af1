package dev.ferry.schedule;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.random.RandomGenerator;

/** A random source that returns the draws a test scripts, checking each against the bound asked for. */
final class ScriptedRandom implements RandomGenerator {
    private final Deque<Long> draws = new ArrayDeque<>();
    private long lastBound = -1;

    ScriptedRandom then(long... values) {
        for (long v : values) {
            draws.add(v);
        }
        return this;
    }

    /** The bound of the last bounded draw: for twos, {@code W + 1}. */
    long lastBound() {
        return lastBound;
    }

    boolean exhausted() {
        return draws.isEmpty();
    }

    @Override
    public long nextLong(long bound) {
        lastBound = bound;
        long v = next();
        if (v < 0 || v >= bound) {
            throw new AssertionError("scripted draw " + v + " is outside [0, " + bound + ")");
        }
        return v;
    }

    @Override
    public long nextLong() {
        return next();
    }

    private long next() {
        Long v = draws.poll();
        if (v == null) {
            throw new AssertionError("no scripted draw left");
        }
        return v;
    }
}
