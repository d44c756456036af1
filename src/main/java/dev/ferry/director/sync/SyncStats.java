package dev.ferry.director.sync;

import java.util.concurrent.atomic.LongAdder;

/**
 * A director's connection sync counters: entries and datagrams sent (active side) and received (standby side).
 *
 * <p>Threading: written by the workers and the receiver thread, read anywhere.
 */
public final class SyncStats {
    final LongAdder sentEntries = new LongAdder();
    final LongAdder sentDatagrams = new LongAdder();
    final LongAdder droppedEntries = new LongAdder();
    final LongAdder droppedDatagrams = new LongAdder();
    final LongAdder receivedDatagrams = new LongAdder();
    final LongAdder receivedEntries = new LongAdder();
    final LongAdder malformedDatagrams = new LongAdder();
    final LongAdder otherIdDatagrams = new LongAdder();
    private final LongAdder applied = new LongAdder();
    private final LongAdder rejected = new LongAdder();

    /** Entries sent in datagrams the socket took. */
    public long sentEntries() {
        return sentEntries.sum();
    }

    public long sentDatagrams() {
        return sentDatagrams.sum();
    }

    /** Entries of datagrams the socket did not take (its buffer full, or an error): the standby misses them. */
    public long droppedEntries() {
        return droppedEntries.sum();
    }

    public long droppedDatagrams() {
        return droppedDatagrams.sum();
    }

    /** Datagrams received, whatever became of them. */
    public long receivedDatagrams() {
        return receivedDatagrams.sum();
    }

    /** Entries of well-formed datagrams of this director's sync id. */
    public long receivedEntries() {
        return receivedEntries.sum();
    }

    /** Datagrams refused: another version, a wrong length, a bad entry. */
    public long malformedDatagrams() {
        return malformedDatagrams.sum();
    }

    /** Well-formed datagrams of another sync id, ignored. */
    public long otherIdDatagrams() {
        return otherIdDatagrams.sum();
    }

    /** Received entries now in the table (inserted, updated or replaced). */
    public long applied() {
        return applied.sum();
    }

    /** Received entries skipped: no such service or server here, or the table full. */
    public long rejected() {
        return rejected.sum();
    }

    public void countApplied() {
        applied.increment();
    }

    public void countRejected() {
        rejected.increment();
    }
}
