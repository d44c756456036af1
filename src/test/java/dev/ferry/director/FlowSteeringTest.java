package dev.ferry.director;

import dev.ferry.backend.Backend;
import dev.ferry.director.packet.IcmpMessages;
import dev.ferry.director.table.ConnectionTable;
import dev.ferry.director.table.DirectorTimeouts;
import dev.ferry.testing.Configs;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;

import static dev.ferry.director.TestPackets.ACK;
import static dev.ferry.director.TestPackets.SYN;
import static dev.ferry.director.TestPackets.tcp;
import static dev.ferry.director.TestPackets.udp;
import static org.assertj.core.api.Assertions.assertThat;

/** Every packet of a VS/NAT connection, either way and quoted in ICMP errors, belongs to one worker. */
class FlowSteeringTest {
    private static final String VIP = "10.200.0.100";
    private static final String RS = "10.101.0.12";
    private static final int WORKERS = 4;

    private final NatPipeline pipeline = new NatPipeline(List.of(new VirtualService(0, 6, TestPackets.ip(VIP), 80,
            new Backend(Configs.tcp("rr").server("a", RS + ":8080", 1).build().backends().get(0)))),
            new ConnectionTable(10, new DirectorTimeouts(Duration.ofSeconds(900), Duration.ofSeconds(120),
                    Duration.ofSeconds(300)), 0), new DirectorStats().shard(0));

    private int owner(byte[] packet, int self) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocate(packet.length);
            MemorySegment.copy(packet, 0, p, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, packet.length);
            return FlowSteering.owner(p, packet.length, pipeline, WORKERS, self);
        }
    }

    @Test
    void bothDirectionsAndIcmpErrorsEitherWayFindTheClientsWorker() {
        int[] seen = new int[WORKERS];
        for (int i = 0; i < 400; i++) {
            String client = "10.100." + (i % 7) + "." + (2 + i % 200);
            int port = 30_000 + i * 13;
            int expected = FlowSteering.worker(6, TestPackets.ip(client), port, WORKERS);
            seen[expected]++;
            byte[] in = tcp(client, port, VIP, 80, SYN, 64, new byte[0]);
            byte[] toServer = tcp(client, port, RS, 8080, SYN, 63, new byte[0]);
            byte[] reply = tcp(RS, 8080, client, port, SYN | ACK, 64, new byte[0]);
            byte[] toClient = tcp(VIP, 80, client, port, SYN | ACK, 63, new byte[0]);
            for (int self = 0; self < WORKERS; self++) {
                assertThat(owner(in, self)).isEqualTo(expected);
                assertThat(owner(reply, self)).isEqualTo(expected);
                // From the server about what it got; from a router on the client's path about what the client got.
                assertThat(owner(TestPackets.icmpError(RS, client, IcmpMessages.DEST_UNREACHABLE,
                        IcmpMessages.PORT_UNREACHABLE, toServer, 28), self)).isEqualTo(expected);
                assertThat(owner(TestPackets.icmpError("10.100.9.1", VIP, IcmpMessages.DEST_UNREACHABLE, 4,
                        toClient, 28), self)).isEqualTo(expected);
            }
        }
        // The hash spreads clients over every worker.
        for (int w = 0; w < WORKERS; w++) {
            assertThat(seen[w]).as("connections of worker %d", w).isBetween(60, 140);
        }
    }

    @Test
    void udpIsSteeredByItsOwnProtocolAndPacketsWithoutPortsStayWhereTheyWereRead() {
        byte[] datagram = udp("10.100.0.2", 5000, VIP, 53, 64, new byte[]{1, 2}, true);
        assertThat(owner(datagram, 0)).isEqualTo(FlowSteering.worker(17, TestPackets.ip("10.100.0.2"), 5000,
                WORKERS));
        byte[] ping = TestPackets.ipv4("10.100.0.2", VIP, 1, 64, new byte[]{8, 0, 0, 0, 0, 1, 0, 1}, false);
        assertThat(owner(ping, 3)).isEqualTo(3);
        assertThat(owner(new byte[]{0x60, 0, 0, 0}, 2)).as("not IPv4").isEqualTo(2);
        byte[] later = tcp("10.100.0.2", 5000, VIP, 80, ACK, 64, new byte[8]);
        later[6] = 0;
        later[7] = 10; // fragment offset 80: no ports in it
        assertThat(owner(later, 1)).isEqualTo(1);
    }
}
