package dev.ferry.director;

import dev.ferry.backend.Backend;
import dev.ferry.config.DirectorServiceConfig.Forwarding;
import dev.ferry.director.NatPipeline.Verdict;
import dev.ferry.director.table.ConnectionTable;
import dev.ferry.director.table.DirectorTimeouts;
import dev.ferry.director.table.TcpState;
import dev.ferry.testing.Configs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static dev.ferry.director.TestPackets.ACK;
import static dev.ferry.director.TestPackets.RST;
import static dev.ferry.director.TestPackets.SYN;
import static dev.ferry.director.TestPackets.tcp;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code sloppy_tcp} (IPVS's sysctl of that name, here per service): two directors built from the same
 * configuration with {@code mh}, as behind ECMP; a flow starts on the first, and its later packets, moved to the
 * second (the first stopped), are scheduled there from a mid-flow ACK and reach the same real server.
 */
class SloppyTcpPipelineTest {
    private static final String VIP = "10.200.0.100";
    private static final byte[] DATA = "more".getBytes();

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(65_536);
    private final MemorySegment reply = arena.allocate(1_500);
    private final long now = 1_000_000;

    @AfterEach
    void close() {
        arena.close();
    }

    /** One director's pipeline over its own backend, built from the same three servers. */
    private record Rig(NatPipeline pipeline, ConnectionTable table, DirectorStats stats) {
    }

    private Rig rig(boolean sloppy) {
        Configs c = Configs.tcp("mh");
        for (int i = 1; i <= 3; i++) {
            c.server("rs" + i, "10.101.0.1" + i + ":80", 1);
        }
        Backend backend = new Backend(c.build().backends().get(0));
        ConnectionTable table = new ConnectionTable(1000, DirectorTimeouts.defaults(), now);
        DirectorStats stats = new DirectorStats();
        VirtualService service = new VirtualService(0, 6, TestPackets.ip(VIP), 80, backend, 0, -1, Forwarding.NAT,
                sloppy);
        return new Rig(new NatPipeline(List.of(service), table, stats.shard(0)), table, stats);
    }

    private byte[] send(Rig rig, byte[] packet) {
        MemorySegment.copy(packet, 0, buffer, ValueLayout.JAVA_BYTE, 0, packet.length);
        Verdict v = rig.pipeline().process(buffer, packet.length, reply, now);
        return v == Verdict.FORWARD ? buffer.asSlice(0, rig.pipeline().length()).toArray(ValueLayout.JAVA_BYTE)
                : null;
    }

    @Test
    void aMidFlowAckOnTheOtherDirectorReachesTheSameRealServerForEveryClient() {
        Rig first = rig(true);
        Rig second = rig(true);
        for (int i = 0; i < 200; i++) {
            String client = "10.100." + (i / 250) + "." + (2 + i % 250);
            int port = 40_000 + i;
            byte[] syn = send(first, tcp(client, port, VIP, 80, SYN, 64, new byte[0]));
            byte[] moved = send(second, tcp(client, port, VIP, 80, ACK, 64, DATA));
            assertThat(moved).as("the mid-flow ACK of %s:%d is forwarded", client, port).isNotNull();
            assertThat(TestPackets.destination(moved)).as("client %s", client)
                    .isEqualTo(TestPackets.destination(syn));
            assertThat(TestPackets.transportChecksumOk(moved)).isTrue();
        }
        // An ACK from NONE is an established connection, as IPVS's state table has it.
        assertThat(second.table().inState(TcpState.ESTABLISHED)).isEqualTo(200);
        assertThat(second.stats().drops(DropReason.NO_ENTRY)).isZero();
    }

    @Test
    void aResetOfNoConnectionIsDroppedEvenWhenSloppy() {
        Rig r = rig(true);
        assertThat(send(r, tcp("10.100.0.2", 40_000, VIP, 80, RST | ACK, 64, new byte[0]))).isNull();
        assertThat(r.stats().drops(DropReason.NO_ENTRY)).isEqualTo(1);
        assertThat(r.table().size()).isZero();
    }

    @Test
    void withoutSloppyTcpTheMidFlowAckIsDropped() {
        Rig r = rig(false);
        assertThat(send(r, tcp("10.100.0.2", 40_000, VIP, 80, ACK, 64, DATA))).isNull();
        assertThat(r.stats().drops(DropReason.NO_ENTRY)).isEqualTo(1);
    }
}
