package dev.ferry.schedule;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * IPVS {@code rr}: round robin over the servers with a non-zero weight that are not overloaded (spec §2.1).
 *
 * <p>A cursor remembers the last server chosen; the next pick scans forward from the server after it, wrapping
 * once, the cursor's own server being the last candidate. When the server under the cursor leaves, the cursor moves
 * to its nearest remaining predecessor, so the next pick is the removed server's successor.
 *
 * <p>A server to avoid ({@link PickContext#avoid()}) is passed over like a quiesced one; the cursor moves to the
 * server chosen instead, and stays where it was when none is.
 *
 * <p>Threading: {@link #pick} holds this scheduler's monitor for the scan only (O(1) amortised); {@link #update}
 * maps the new positions first and holds it only to move the cursor.
 */
public final class RoundRobinScheduler implements Scheduler {
    /** Before the first server. */
    private static final int START = -1;

    private List<? extends Member> servers = List.of();
    private int cursor = START;

    @Override
    public void update(Snapshot snapshot) {
        List<? extends Member> next = snapshot.servers();
        // Built outside the lock so that picks wait only for the cursor move.
        Map<Member, Integer> positions = new IdentityHashMap<>(next.size() * 2);
        for (int i = 0; i < next.size(); i++) {
            positions.put(next.get(i), i);
        }
        synchronized (this) {
            cursor = cursorIn(positions);
            servers = next;
        }
    }

    /** The cursor's position in the new snapshot: its server's, else its nearest surviving predecessor's. */
    private int cursorIn(Map<Member, Integer> positions) {
        for (int i = cursor; i >= 0; i--) {
            Integer at = positions.get(servers.get(i));
            if (at != null) {
                return at;
            }
        }
        return START;
    }

    @Override
    public synchronized Member pick(PickContext context) {
        int n = servers.size();
        for (int step = 1; step <= n; step++) {
            int i = cursor + step;
            if (i >= n) {
                i -= n;
            }
            Member s = servers.get(i);
            if (s.weight() > 0 && !s.isOverloaded() && !context.avoids(s)) {
                cursor = i;
                return s;
            }
        }
        return null;
    }
}
