package dev.ferry.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurationsTest {
    @ParameterizedTest
    @CsvSource({"250ms,250", "2s,2000", "1m,60000", "1h,3600000", "1.5s,1500", "0.25s,250", "0,0", "0ms,0",
            "90s,90000", "' 3s ',3000", "0.001s,1", "1d,86400000", "1.5d,129600000"})
    void parsesNumberAndUnit(String text, long millis) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "s", "2 s", "2S", "--1s", "1m 30s", "2D", "1w", "1us", "1.s", ".5s", "abc"})
    void refusesOtherForms(String text) {
        assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'" + text + "' is not a duration; write a number and a unit (ms, s, m, h or d), "
                        + "e.g. 250ms, 2s, 1.5s, 1m, 1d");
    }

    @Test
    void aBareNumberOtherThanZeroNeedsAUnit() {
        assertThatThrownBy(() -> Durations.parse("30")).hasMessage(
                "'30' has no unit; write a number and a unit (ms, s, m, h or d), e.g. 250ms, 2s, 1.5s, 1m, 1d");
    }

    @Test
    void refusesNegativeDurations() {
        assertThatThrownBy(() -> Durations.parse("-1s")).hasMessage("'-1s' is negative; durations are 0 or more");
    }

    @Test
    void refusesCompoundDurationsOfferingTheOneUnitForm() {
        assertThatThrownBy(() -> Durations.parse("1m30s")).hasMessage(
                "'1m30s' combines units; write it with one unit, as 90s");
        assertThatThrownBy(() -> Durations.parse("1h1ms")).hasMessage(
                "'1h1ms' combines units; write it with one unit, as 3600001ms");
    }

    @Test
    void refusesFractionsOfAMillisecond() {
        assertThatThrownBy(() -> Durations.parse("1.5ms")).hasMessage(
                "'1.5ms' is finer than a millisecond; write a number and a unit (ms, s, m, h or d), e.g. 250ms, 2s, 1.5s, 1m, 1d");
    }

    @Test
    void refusesDurationsBeyondALong() {
        assertThatThrownBy(() -> Durations.parse("99999999999999999999h")).hasMessage(
                "'99999999999999999999h' is too long a duration");
    }

    @ParameterizedTest
    @CsvSource({"0,0s", "250,250ms", "1500,1500ms", "2000,2s", "90000,90s", "120000,2m", "7200000,2h"})
    void formatsInTheShortestFormThatParsesBack(long millis, String text) {
        assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text);
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }
}
