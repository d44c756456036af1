package dev.ferry.director.table;

import dev.ferry.director.packet.Ipv4;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The timing wheel alone, with 8 slots of 100 ms so that wrapping round and rotations come quickly: an entry is
 * handed out once, at the first tick at or after its expiry, however many turns ahead it is, and not after it was
 * removed.
 */
class TimingWheelTest {
    private static final long TICK = 100;
    private static final int SLOTS = 8;
    private static final long TURN = TICK * SLOTS;

    private final List<TrackedConnection> expired = new ArrayList<>();
    private final TimingWheel wheel = new TimingWheel(TICK, SLOTS, 0);
    private int ports;

    private TrackedConnection entry(long expiresAt) {
        TrackedConnection e = new TrackedConnection(Ipv4.UDP, 1, ++ports, 2, 53, 3, 53, 0, null, false);
        e.expiresAt = expiresAt;
        wheel.schedule(e);
        return e;
    }

    private List<TrackedConnection> advance(long now) {
        expired.clear();
        wheel.advance(now, expired::add);
        return expired;
    }

    @Test
    void anEntryIsHandedOutAtItsExpiryNotBeforeAndOnlyOnce() {
        TrackedConnection e = entry(300);
        assertThat(advance(299)).isEmpty();
        assertThat(advance(300)).containsExactly(e);
        assertThat(advance(300 + 10 * TURN)).isEmpty();
    }

    @Test
    void anExpiryBetweenTicksIsHandedOutAtTheNextTick() {
        TrackedConnection e = entry(250);
        assertThat(advance(249)).isEmpty();
        assertThat(advance(300)).containsExactly(e);
    }

    @Test
    void theCursorWrapsRoundTheSlots() {
        assertThat(advance(10 * TURN + 50)).isEmpty();
        TrackedConnection a = entry(10 * TURN + 700);
        TrackedConnection b = entry(11 * TURN + 100);
        assertThat(advance(10 * TURN + 699)).isEmpty();
        assertThat(advance(10 * TURN + 700)).containsExactly(a);
        assertThat(advance(11 * TURN + 99)).isEmpty();
        assertThat(advance(11 * TURN + 100)).containsExactly(b);
    }

    @Test
    void anEntryManyTurnsAheadWaitsWhileItsSlotComesRound() {
        TrackedConnection near = entry(300);
        TrackedConnection far = entry(5 * TURN + 300);
        List<TrackedConnection> seen = new ArrayList<>();
        for (long t = TICK; t < 5 * TURN + 300; t += TICK) {
            for (TrackedConnection e : advance(t)) {
                seen.add(e);
                assertThat(t).as("near is due at 300").isEqualTo(300);
            }
        }
        assertThat(seen).containsExactly(near);
        assertThat(advance(5 * TURN + 300)).containsExactly(far);
    }

    @Test
    void oneAdvanceOverManyTurnsHandsOutEverythingDueAndNothingElse() {
        TrackedConnection a = entry(150);
        TrackedConnection b = entry(3 * TURN + 420);
        TrackedConnection c = entry(7 * TURN);
        TrackedConnection later = entry(7 * TURN + 1);
        assertThat(advance(7 * TURN)).containsExactlyInAnyOrder(a, b, c);
        assertThat(advance(7 * TURN + 99)).isEmpty();
        assertThat(advance(7 * TURN + 100)).containsExactly(later);
    }

    @Test
    void anEntryScheduledInThePastIsHandedOutAtTheNextTick() {
        advance(1_000);
        TrackedConnection e = entry(200);
        assertThat(advance(1_099)).isEmpty();
        assertThat(advance(1_100)).containsExactly(e);
    }

    @Test
    void anEarlierExpiryMovesTheEntryAtOnce() {
        TrackedConnection e = entry(4 * TURN);
        e.expiresAt = 1_200;
        wheel.rescheduled(e);
        assertThat(advance(1_199)).isEmpty();
        assertThat(advance(1_200)).containsExactly(e);
        assertThat(advance(5 * TURN)).isEmpty();
    }

    @Test
    void aLaterExpiryIsHonouredWhenTheOldSlotComesRound() {
        TrackedConnection e = entry(1_200);
        e.expiresAt = 6 * TURN + 500;
        wheel.rescheduled(e);
        assertThat(advance(1_200)).as("re-filed, not handed out").isEmpty();
        assertThat(advance(6 * TURN + 499)).isEmpty();
        assertThat(advance(6 * TURN + 500)).containsExactly(e);
    }

    @Test
    void aRemovedEntryIsNeverHandedOutAndItsSlotNeighboursStillAre() {
        // Five entries in one slot: due at tick 3, and one or two turns later.
        TrackedConnection a = entry(300);
        TrackedConnection b = entry(300);
        TrackedConnection c = entry(300 + TURN);
        TrackedConnection d = entry(300);
        TrackedConnection f = entry(300 + 2 * TURN);
        wheel.remove(f);
        wheel.remove(b);
        wheel.remove(a);
        assertThat(advance(300)).containsExactly(d);
        assertThat(advance(300 + TURN)).containsExactly(c);
        assertThat(advance(300 + 10 * TURN)).isEmpty();
    }

    @Test
    void anEntryCanBeRemovedAndScheduledAgain() {
        TrackedConnection e = entry(500);
        wheel.remove(e);
        e.expiresAt = 900;
        wheel.schedule(e);
        assertThat(advance(899)).isEmpty();
        assertThat(advance(900)).containsExactly(e);
    }
}
