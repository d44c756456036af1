package dev.ferry.config;

import dev.ferry.schedule.LocalityOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 15 item 35: one duration grammar for every key. Timeouts and scheduler options both take decimals and the
 * units ms, s, m, h and d; a bad scheduler option is reported at that option's own line and key path.
 */
class DurationGrammarTest {
    private static final String FILE = "conf/ferry.yaml";

    private static FerryConfig parse(String serverIdle, String expiration) throws ConfigException {
        return ConfigLoader.parse("""
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    scheduler:
                      name: lblc
                      expiration: %s
                    timeouts: { server_idle: %s }
                    servers: [ { address: 127.0.0.1:9001 } ]
                """.formatted(expiration, serverIdle), Path.of(FILE));
    }

    @ParameterizedTest
    @CsvSource({"1.5s,1500", "1d,86400000", "0.5d,43200000", "250ms,250", "6m,360000", "24h,86400000"})
    void timeoutsAndSchedulerOptionsTakeTheSameForms(String written, long millis) throws ConfigException {
        FerryConfig config = parse(written, written);
        BackendConfig pool = config.backends().getFirst();

        assertThat(pool.timeouts().serverIdle()).as("a timeout").isEqualTo(Duration.ofMillis(millis));
        assertThat(LocalityOptions.of(pool.scheduler()).expiration()).as("a scheduler option")
                .isEqualTo(Duration.ofMillis(millis));
    }

    @Test
    void aBadSchedulerDurationIsReportedAtItsOwnKeyAndLine() {
        assertThatThrownBy(() -> parse("30s", "1.5x")).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.problems()).containsExactly(new ConfigProblem(FILE, 6, 19,
                        "backends[0].scheduler.expiration",
                        "lblc expiration must be a positive duration; write a number and a unit (ms, s, m, h or d),"
                                + " e.g. 250ms, 2s, 1.5s, 1m, 1d (got '1.5x')")));
    }

    @Test
    void anUnknownSchedulerOptionIsReportedAtThatKey() {
        String yaml = """
                frontends: [ { name: web, listen: 127.0.0.1:0, backend: pool } ]
                backends:
                  - name: pool
                    scheduler:
                      name: lblc
                      expiry: 6h
                    servers: [ { address: 127.0.0.1:9001 } ]
                """;
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, Path.of(FILE))).isInstanceOfSatisfying(
                ConfigException.class, e -> assertThat(e.problems()).singleElement().satisfies(p -> {
                    assertThat(p.line()).isEqualTo(6);
                    assertThat(p.column()).isEqualTo(7);
                    assertThat(p.key()).isEqualTo("backends[0].scheduler.expiry");
                }));
    }

    /** Issue 17 item 6: more forms, and the scheduler option is read by the timeout's own rule. */
    @ParameterizedTest
    @CsvSource({"500ms,500", "90s,90000", "0.25s,250", "' 2m ',120000", "1.5d,129600000"})
    void aSchedulerOptionAcceptsWhatATimeoutAccepts(String written, long millis) throws ConfigException {
        BackendConfig pool = parse(written, written).backends().getFirst();

        assertThat(pool.timeouts().serverIdle()).as("a timeout").isEqualTo(Duration.ofMillis(millis));
        assertThat(LocalityOptions.of(pool.scheduler()).expiration()).as("a scheduler option")
                .isEqualTo(Duration.ofMillis(millis));
    }

    /**
     * A form the grammar knows but refuses (compound, no unit, negative, zero, finer than a millisecond, too long)
     * gets the same sentence at a scheduler option as at a timeout, after the option's name.
     */
    @ParameterizedTest
    @ValueSource(strings = {"1m30s", "1h1ms", "30", "-1s", "0s", "0", "1.5ms", "99999999999999999999h"})
    void aSchedulerOptionRefusesWhatATimeoutRefusesWithTheSameSentence(String written) {
        String timeout = onlyProblem(written, "10m").message();
        ConfigProblem option = onlyProblem("10m", written);

        assertThat(option.key()).isEqualTo("backends[0].scheduler.expiration");
        assertThat(option.message()).isEqualTo("lblc expiration: " + timeout);
    }

    @Test
    void compoundDurationsAreRefusedAlikeOfferingTheOneUnitForm() {
        assertThat(onlyProblem("1m30s", "10m").message())
                .isEqualTo("'1m30s' combines units; write it with one unit, as 90s");
        assertThat(onlyProblem("10m", "1m30s").message())
                .isEqualTo("lblc expiration: '1m30s' combines units; write it with one unit, as 90s");
    }

    private static ConfigProblem onlyProblem(String serverIdle, String expiration) {
        try {
            parse(serverIdle, expiration);
        } catch (ConfigException e) {
            List<ConfigProblem> problems = e.problems();
            assertThat(problems).hasSize(1);
            return problems.getFirst();
        }
        throw new AssertionError("server_idle " + serverIdle + " and expiration " + expiration + " were accepted");
    }
}
