package dev.ferry.director;

import dev.ferry.Ferry;
import dev.ferry.director.device.InMemoryDevice;
import dev.ferry.director.packet.Ipip;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import static dev.ferry.director.TestPackets.SYN;
import static dev.ferry.director.TestPackets.tcp;
import static dev.ferry.director.TestPackets.udp;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ferry decap}'s packet handling over bytes (issue 19 item 2): the inner packet of an IPIP packet for the
 * VIP comes out exactly as the client sent it; anything else an IPIP packet could carry, or a packet that is not
 * IPIP, stays in. The raw socket and the TUN device themselves are exercised in {@code TunnelLabTest}.
 */
class DecapTest {
    private static final String VIP = "10.100.0.100";
    private static final String DIRECTOR = "10.100.0.1";

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(65_536);
    private final InMemoryDevice in = new InMemoryDevice("raw");
    private final InMemoryDevice out = new InMemoryDevice("tun");

    @AfterEach
    void close() {
        arena.close();
    }

    /** {@code inner} wrapped as the director wraps it, from {@code from} to 10.100.0.11. */
    private byte[] wrapped(byte[] inner, String from) {
        MemorySegment.copy(inner, 0, buffer, ValueLayout.JAVA_BYTE, 0, inner.length);
        int n = Ipip.encapsulate(buffer, inner.length, TestPackets.ip(from), TestPackets.ip("10.100.0.11"), 7);
        return buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
    }

    private void handle(Decap decap, byte[] packet) {
        MemorySegment.copy(packet, 0, buffer, ValueLayout.JAVA_BYTE, 0, packet.length);
        decap.handle(buffer, packet.length);
    }

    @Test
    void theInnerPacketForTheVipComesOutAsTheClientSentIt() {
        Decap decap = new Decap(TestPackets.ip(VIP), new int[0], in, out);
        byte[] syn = tcp("10.100.0.2", 40_000, VIP, 8080, SYN, 63, new byte[0]);
        byte[] datagram = udp("10.100.0.2", 5353, VIP, 5300, 63, "ping".getBytes(), true);

        handle(decap, wrapped(syn, DIRECTOR));
        // The raw socket may hand over more bytes than the outer packet says (it never does, but a read is a read).
        byte[] padded = java.util.Arrays.copyOf(wrapped(datagram, DIRECTOR), datagram.length + 20 + 6);
        handle(decap, padded);

        assertThat(out.poll()).isEqualTo(syn);
        assertThat(out.poll()).isEqualTo(datagram);
        assertThat(decap.passed()).isEqualTo(2);
    }

    @Test
    void anythingButIpipCarryingAPacketForTheVipFromADirectorStaysIn() {
        Decap decap = new Decap(TestPackets.ip(VIP), new int[]{TestPackets.ip(DIRECTOR)}, in, out);
        byte[] toOther = tcp("10.100.0.2", 40_000, "10.100.0.11", 22, SYN, 63, new byte[0]);
        byte[] syn = tcp("10.100.0.2", 40_000, VIP, 8080, SYN, 63, new byte[0]);

        handle(decap, wrapped(toOther, DIRECTOR));
        handle(decap, wrapped(syn, "10.100.0.66"));
        handle(decap, syn);
        byte[] truncated = wrapped(syn, DIRECTOR);
        handle(decap, java.util.Arrays.copyOf(truncated, truncated.length - 1));
        byte[] lying = wrapped(syn, DIRECTOR);
        lying[20 + 3] = (byte) (lying[20 + 3] + 1); // the inner packet says it is longer than what carries it
        handle(decap, lying);

        assertThat(out.poll()).isNull();
        assertThat(decap.refused()).isEqualTo(2);
        assertThat(decap.malformed()).isEqualTo(3);
        handle(decap, wrapped(syn, DIRECTOR));
        assertThat(out.poll()).isEqualTo(syn);
    }

    @Test
    void runPassesWhatTheRawSocketReadsUntilStopped() throws Exception {
        Decap decap = new Decap(TestPackets.ip(VIP), new int[0], in, out);
        byte[] syn = tcp("10.100.0.2", 40_000, VIP, 8080, SYN, 63, new byte[0]);
        in.inject(wrapped(syn, DIRECTOR));
        Thread t = Thread.ofPlatform().start(decap);

        assertThat(out.take(5_000)).isEqualTo(syn);
        decap.stop();
        t.join(5_000);
        assertThat(t.isAlive()).isFalse();
    }

    @Test
    void badArgumentsAreOneLineAndExit1() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertThat(Ferry.execute("decap", "--vip", "10.100.0")).isEqualTo(Ferry.EXIT_CONFIG);
            assertThat(Ferry.execute("decap", "--vip", VIP, "--device", "a-name-far-too-long")).isEqualTo(1);
            assertThat(Ferry.execute("decap", "--vip", VIP, "--from", "director")).isEqualTo(1);
        } finally {
            System.setErr(err);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8).lines().toList()).containsExactly(
                "ferry decap: --vip 10.100.0 is not an IPv4 address; e.g. --vip 10.100.0.100",
                "ferry decap: --device a-name-far-too-long is not a device name; 1 to 15 letters, digits, '.', '-' "
                        + "or '_'",
                "ferry decap: --from director is not an IPv4 address");
    }
}
