package dev.ferry.accesslog;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The termination words are part of the log format: unique, lower-case, and the local replies' mapping is fixed. */
class TerminationTest {
    @Test
    void wordsAreUniqueAndLowerSnakeCase() {
        assertThat(Arrays.stream(Termination.values()).map(Termination::word).distinct().count())
                .isEqualTo(Termination.values().length);
        for (Termination t : Termination.values()) {
            assertThat(t.word()).matches("[a-z][a-z_]*").isEqualTo(t.name().toLowerCase(java.util.Locale.ROOT));
            assertThat(t.toString()).isEqualTo(t.word());
        }
    }

    @Test
    void localRepliesEndAsBefore() {
        assertThat(Termination.ofLocalReply(404)).isEqualTo(Termination.NO_ROUTE);
        assertThat(Termination.ofLocalReply(503)).isEqualTo(Termination.NO_SERVER);
        assertThat(Termination.ofLocalReply(502)).isEqualTo(Termination.SERVER_FAILED);
        assertThat(Termination.ofLocalReply(504)).isEqualTo(Termination.RESPONSE_TIMEOUT);
        assertThat(Termination.ofLocalReply(408)).isEqualTo(Termination.HEADER_TIMEOUT);
        for (int bad : new int[]{400, 414, 431}) {
            assertThat(Termination.ofLocalReply(bad)).isEqualTo(Termination.BAD_REQUEST);
        }
        assertThat(Termination.ofLocalReply(500)).isEqualTo(Termination.INTERNAL_ERROR);
        assertThat(Termination.ofLocalReply(405)).isEqualTo(Termination.REFUSED);
    }

    @Test
    void recordCarriesTheWord() {
        AccessRecord r = new AccessRecord(0, "c", "f", "b", "s", 200, "GET /", 0, 0, -1, 0, Termination.OK, "-");
        assertThat(r.termination()).isEqualTo("ok");
    }
}
