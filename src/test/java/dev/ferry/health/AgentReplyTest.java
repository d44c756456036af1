package dev.ferry.health;

import dev.ferry.health.AgentReply.Command;
import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentReplyTest {

    @Test
    void ferrysLineRoundTripsThroughTheParser() {
        LoadReport report = new LoadReport(0.4234, 0.631, 0.052, 312, 3, 1.25, 8);
        String line = report.toLine();
        assertThat(line).isEqualTo("up cpu=0.423 mem=0.631 io=0.052 procs=312 running=3 load1=1.25 cpus=8");

        AgentReply reply = AgentReply.parse(line);

        assertThat(reply.command()).contains(Command.UP);
        assertThat(reply.weightPercent()).isEmpty();
        assertThat(reply.load()).contains(new LoadReport(0.423, 0.631, 0.052, 312, 3, 1.25, 8));
        assertThat(reply.load().orElseThrow().loadPerCpu()).isEqualTo(1.25 / 8);
        assertThat(reply.serverMayWork()).isTrue();
    }

    @Test
    void haproxyWordsAreUnderstoodInAnyCaseWithCommasAndComments() {
        assertThat(AgentReply.parse("UP").command()).contains(Command.UP);
        assertThat(AgentReply.parse("ready,75%").command()).contains(Command.READY);
        assertThat(AgentReply.parse("ready,75%").weightPercent()).isEqualTo(OptionalInt.of(75));
        assertThat(AgentReply.parse("drain").command()).contains(Command.DRAIN);
        assertThat(AgentReply.parse("maint # patching").command()).contains(Command.MAINT);
        assertThat(AgentReply.parse("down").serverMayWork()).isFalse();
        assertThat(AgentReply.parse("fail").command()).contains(Command.DOWN);
        assertThat(AgentReply.parse("stopped\r").command()).contains(Command.DOWN);
        assertThat(AgentReply.parse("maint").serverMayWork()).isFalse();
        assertThat(AgentReply.parse("drain").serverMayWork()).isTrue();
        assertThat(AgentReply.parse("50% maxconn:30").weightPercent()).isEqualTo(OptionalInt.of(50));
        assertThat(AgentReply.parse("up\t 0%").weightPercent()).isEqualTo(OptionalInt.of(0));
        assertThat(AgentReply.parse("up future=1").load()).isEqualTo(Optional.empty());
    }

    @Test
    void malformedRepliesSayWhatIsWrong() {
        assertThatThrownBy(() -> AgentReply.parse("")).hasMessage("not an agent reply: ''");
        assertThatThrownBy(() -> AgentReply.parse("# only a comment")).hasMessage("not an agent reply: '# only a comment'");
        assertThatThrownBy(() -> AgentReply.parse("up cpu=0.5 mem=0.5 io=0.1 cpus=2"))
                .hasMessage("load report without load1");
        assertThatThrownBy(() -> AgentReply.parse("cpu=1.5 mem=0.5 io=0.1 load1=1 cpus=2"))
                .hasMessage("cpu=1.5 is not a share between 0 and 1");
        assertThatThrownBy(() -> AgentReply.parse("cpu=abc mem=0.5 io=0.1 load1=1 cpus=2"))
                .hasMessage("cpu=abc is not a number");
        assertThatThrownBy(() -> AgentReply.parse("99999%")).hasMessage("weight 99999% is above 65535%");
    }

    @Test
    void agentWeightFollowsPercentAndDrainUntilReady() {
        AgentWeight w = new AgentWeight();
        assertThat(w.factor()).isEqualTo(1.0);
        assertThat(w.apply(AgentReply.parse("50%"))).isEqualTo(0.5);
        assertThat(w.apply(AgentReply.parse("drain"))).isZero();
        assertThat(w.apply(AgentReply.parse("80%"))).as("drain holds until ready").isZero();
        assertThat(w.apply(AgentReply.parse("ready"))).isEqualTo(0.8);
        assertThat(w.apply(AgentReply.parse("up 100%"))).isEqualTo(1.0);
    }
}
