package dev.ferry.cluster;

import java.time.Duration;

/**
 * A wait that another thread can cut short ({@link #wake()}), for the loops of {@link ConfigSource} and {@link
 * Membership}: they sleep between retries and keep-alives but must react at once to a stop or a new status.
 */
final class Waiter {
    private boolean woken;

    /** Waits up to {@code delay} or until {@link #wake()}; returns early on an interrupt too. */
    synchronized void await(Duration delay) {
        long end = System.nanoTime() + delay.toNanos();
        try {
            while (!woken) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                wait(Math.max(1, left / 1_000_000));
            }
        } catch (InterruptedException e) {
            // a stray interrupt (see EtcdWatch#close) only ends this wait early
        }
        woken = false;
    }

    synchronized void wake() {
        woken = true;
        notifyAll();
    }
}
