package dev.ferry.schedule;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.backend.ServerState;
import dev.ferry.testing.Configs;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 21 item 5: two instances that read the same configuration build the same mh table, server for server, even
 * when one of them has local state the other has not (slow start, feedback, a drain it saw happen), and a reload that
 * replaces the scheduler (another option) keeps the table.
 */
class MaglevAgreementTest {

    private static Backend instance(String scheduler) {
        Configs c = Configs.tcp(scheduler);
        c.server("a", "10.101.0.11:80", 3);
        c.server("b", "10.101.0.12:80", 2);
        c.server("c", "10.101.0.13:80", 1);
        return new Backend(c.build().backends().get(0));
    }

    /** The table as server names, comparable across instances (whose Server objects differ). */
    private static String[] names(Backend b) {
        return Arrays.stream(((MaglevScheduler) b.scheduler()).slots()).map(m -> m == null ? "-" : m.name())
                .toArray(String[]::new);
    }

    @Test
    void twoInstancesOfOneConfigurationHaveTheSameTable() {
        assertThat(names(instance("mh"))).containsExactly(names(instance("mh")));
    }

    @Test
    void slowStartFeedbackAndDrainOnOneInstanceLeaveItsTableAsTheOthers() {
        Backend first = instance("mh");
        Backend second = instance("mh");
        String[] table = names(second);

        Server a = first.server("a").orElseThrow();
        first.setSlowStartShare(a, 0.1);
        assertThat(a.weight()).isEqualTo(1);
        assertThat(names(first)).containsExactly(table);
        first.setFeedbackFactor(first.server("b").orElseThrow(), 0.5);
        assertThat(names(first)).containsExactly(table);
        first.setState(first.server("c").orElseThrow(), ServerState.DRAIN);
        assertThat(names(first)).containsExactly(table);

        // An instance that starts while c drains (a replicated drain) builds the table of one that saw it drain.
        Backend third = instance("mh");
        third.setState(third.server("c").orElseThrow(), ServerState.DRAIN);
        assertThat(names(third)).containsExactly(table);
    }

    @Test
    void aReloadThatReplacesTheSchedulerWithTheSameServersKeepsTheTable() {
        Backend b = instance("mh");
        String[] table = names(b);
        Configs c = Configs.tcp("mh").schedulerOptions(java.util.Map.of("fallback", "true"));
        c.server("a", "10.101.0.11:80", 3);
        c.server("b", "10.101.0.12:80", 2);
        c.server("c", "10.101.0.13:80", 1);
        b.reconfigure(c.build().backends().get(0));
        assertThat(names(b)).containsExactly(table);
    }
}
