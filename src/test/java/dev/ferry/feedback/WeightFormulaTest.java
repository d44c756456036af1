package dev.ferry.feedback;

import dev.ferry.config.LoadCoefficients;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The hand-worked values of scheduling spec 5.9 that need no running controller (the rest: FeedbackControllerTest). */
class WeightFormulaTest {

    @Test
    void spec591_theWeightStandsStillAtTheTarget() {
        assertThat(WeightFormula.delta(0.95)).isZero();
    }

    @ParameterizedTest(name = "aggregate {0} -> delta {1}")
    @CsvSource({"0.825, 2.5", "0.942, 1.0", "0.977, -1.5", "1.95, -5.0", "0, 4.915", "1.0, -1.842", "9.95, -10.40"})
    void spec592_deltaForHandWorkedAggregates(double aggregate, double delta) {
        assertThat(WeightFormula.delta(aggregate)).isCloseTo(delta, within(0.0006));
    }

    @Test
    void spec593_theNewWeightNeverRisesAsTheAggregateRises() {
        for (int current : new int[] {0, 1, 7, 50, 100}) {
            int previous = Integer.MAX_VALUE;
            for (int i = 0; i <= 10_000; i++) {
                int next = WeightFormula.next(current, i / 1000.0, 10);
                assertThat(next).as("current %d, aggregate %.3f", current, i / 1000.0).isLessThanOrEqualTo(previous);
                previous = next;
            }
        }
    }

    @Test
    void spec594_withDefault10AndScale10TheWeightNeverExceeds100() {
        int w = 1;
        for (int round = 0; round < 200; round++) {
            w = WeightFormula.next(w, 0, 10);
            assertThat(w).isLessThanOrEqualTo(100);
        }
        assertThat(w).as("an idle server climbs to the cap").isEqualTo(100);
        assertThat(WeightFormula.next(100, 0.94, 10)).isEqualTo(100);
    }

    @Test
    void theWeightStaysAtLeast1WhileTheServerAnswersAndRoundsHalfUp() {
        assertThat(WeightFormula.next(3, 9.95, 10)).isEqualTo(1);
        assertThat(WeightFormula.next(10, 0.825, 10)).as("12.5 rounds up").isEqualTo(13);
        assertThat(WeightFormula.next(10, 1.95, 10)).isEqualTo(5);
    }

    @Test
    void thePushThresholdIsFivePercentOfTheWeightInTheSchedulerAndAtLeastOne() {
        assertThat(WeightFormula.passesThreshold(100, 104)).isFalse();
        assertThat(WeightFormula.passesThreshold(100, 105)).isTrue();
        assertThat(WeightFormula.passesThreshold(100, 95)).isTrue();
        assertThat(WeightFormula.passesThreshold(10, 10)).isFalse();
        assertThat(WeightFormula.passesThreshold(10, 11)).isTrue();
    }

    @Test
    void spec596_inputIsEachServersShareOverTheMeanAndAllOnesAggregateToOne() {
        assertThat(LoadMetrics.relativeToMean(new double[] {30, 10, 20})).containsExactly(1.5, 0.5, 1.0);
        assertThat(LoadMetrics.relativeToMean(new double[] {0, 0, 0})).containsExactly(0, 0, 0);
        assertThat(LoadMetrics.relativeToMean(new double[] {Double.NaN, 2, 6})).containsExactly(0, 0.5, 1.5);
        LoadMetrics ones = new LoadMetrics(1, 1, 1, 1, 1, 1);
        assertThat(ones.aggregate(LoadCoefficients.DEFAULT)).isCloseTo(1.0, within(1e-12));
        assertThat(ones.aggregate(new LoadCoefficients(0.2, 0.2, 0.2, 0.2, 0.1, 0.1))).isCloseTo(1.0, within(1e-12));
    }
}
