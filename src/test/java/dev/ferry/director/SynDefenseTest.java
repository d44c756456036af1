package dev.ferry.director;

import dev.ferry.config.DirectorConfig.Defense;
import dev.ferry.config.DirectorConfig.Defense.Strategy;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 19 item 6: when each defence strategy is in force, and how many new connections drop_packet drops. */
class SynDefenseTest {

    private static int droppedOf(SynDefense d, int attempts) {
        int dropped = 0;
        for (int i = 0; i < attempts; i++) {
            dropped += d.dropNewConnection() ? 1 : 0;
        }
        return dropped;
    }

    @Test
    void automaticStrategiesSwitchOnPastTheThresholdAndOffBelowIt() {
        SynDefense d = new SynDefense(new Defense(90, Strategy.AUTO, Strategy.AUTO, Strategy.AUTO));
        d.update(899, 1000);
        assertThat(d.dropEntry() || d.dropPacket() || d.secureTcp()).isFalse();
        assertThat(droppedOf(d, 100)).isZero();

        d.update(950, 1000); // 50 free of a reserve of 100: drop one in 100 / (100 - 50) = 2
        assertThat(d.dropEntry()).isTrue();
        assertThat(d.secureTcp()).isTrue();
        assertThat(d.dropPacket()).isTrue();
        assertThat(droppedOf(d, 100)).isEqualTo(50);

        d.update(990, 1000); // 10 free: one in 100 / 90 = 1, every one
        assertThat(droppedOf(d, 100)).isEqualTo(100);

        d.update(500, 1000);
        assertThat(d.dropEntry() || d.dropPacket() || d.secureTcp()).isFalse();
        assertThat(droppedOf(d, 100)).isZero();
    }

    @Test
    void offNeverAndAlwaysAlwaysWithOneInTenDropped() {
        SynDefense off = new SynDefense(new Defense(90, Strategy.OFF, Strategy.OFF, Strategy.OFF));
        off.update(1000, 1000);
        assertThat(off.dropEntry() || off.dropPacket() || off.secureTcp()).isFalse();
        assertThat(droppedOf(off, 100)).isZero();

        SynDefense always = new SynDefense(new Defense(90, Strategy.ALWAYS, Strategy.ALWAYS, Strategy.ALWAYS));
        always.update(0, 1000);
        assertThat(always.dropEntry() && always.dropPacket() && always.secureTcp()).isTrue();
        assertThat(droppedOf(always, 100)).isEqualTo(100 / SynDefense.ALWAYS_DROP_RATE);
    }

    @Test
    void aReloadChangesTheStrategiesFromTheNextTick() {
        SynDefense d = new SynDefense(Defense.DEFAULTS);
        d.update(950, 1000);
        assertThat(d.dropPacket()).as("drop_packet is off by default").isFalse();
        assertThat(d.dropEntry()).isTrue();
        d.reconfigure(new Defense(50, Strategy.OFF, Strategy.AUTO, Strategy.OFF));
        d.update(600, 1000);
        assertThat(d.dropEntry()).isFalse();
        assertThat(d.dropPacket()).isTrue();
    }
}
