package dev.ferry.schedule;

import dev.ferry.config.SchedulerConfig;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** The schedulers declare themselves what they place by; the HTTP frontend asks rather than listing names. */
class PlacesByDestinationTest {
    @Test
    void exactlyTheLocalityAndDestinationHashSchedulersPlaceByDestination() {
        Set<String> byDestination = new TreeSet<>();
        for (String name : Schedulers.names()) {
            if (Schedulers.create(SchedulerConfig.of(name)).placesByDestination()) {
                byDestination.add(name);
            }
        }
        assertThat(byDestination).containsExactly("dh", "lblc", "lblcr");
    }
}
