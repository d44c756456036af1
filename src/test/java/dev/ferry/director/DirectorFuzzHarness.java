package dev.ferry.director;

import dev.ferry.backend.Backend;
import dev.ferry.config.DirectorConfig;
import dev.ferry.config.DirectorServiceConfig.Forwarding;
import dev.ferry.director.NatPipeline.Verdict;
import dev.ferry.director.table.ConnectionTable;
import dev.ferry.director.table.DirectorTimeouts;
import dev.ferry.director.table.PersistenceTemplates;
import dev.ferry.testing.Configs;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * The director fuzz target's way into {@link NatPipeline} (package-private constructors): one pipeline with a
 * VS/NAT service (TCP 80 and UDP 53, persistent TCP 443, every port of a second address), a VS/TUN service and a
 * VS/DR service, over real servers whose addresses {@link #ADDRESSES} lists, so a fuzzed packet can be made to reach
 * every path. The packet is handed over in a segment exactly as long as the bytes received plus the room an IPIP
 * header needs, so a read or write beyond that throws.
 *
 * <p>Threading: one instance per thread, as the pipeline's worker.
 */
public final class DirectorFuzzHarness implements AutoCloseable {
    /** Addresses a fuzzed packet's source and destination are picked from: clients, virtual addresses, servers. */
    public static final int[] ADDRESSES = {
            TestPackets.ip("10.100.0.2"), TestPackets.ip("10.100.0.3"),
            TestPackets.ip("10.200.0.100"), TestPackets.ip("10.200.0.101"), TestPackets.ip("10.200.0.102"),
            TestPackets.ip("10.200.0.103"),
            TestPackets.ip("10.0.0.1"), TestPackets.ip("10.0.0.2"), TestPackets.ip("10.0.0.3"),
            TestPackets.ip("192.0.2.9")};
    /** The ports the services use, for the same purpose. */
    public static final int[] PORTS = {80, 53, 443, 8080, 1234, 40000};
    static final long MAC = 0x02_00_00_00_00_03L;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(65_536 + 64);
    private final MemorySegment reply = arena.allocate(1_500);
    private final DirectorStats stats = new DirectorStats();
    private final NatPipeline pipeline;
    private long now = 1_000_000;

    public DirectorFuzzHarness() {
        Configs c = Configs.tcp("rr");
        c.server("rs1", "10.0.0.1:8080", 1);
        c.server("rs2", "10.0.0.2:8080", 1);
        Backend nat = new Backend(c.build().backends().get(0));
        Configs d = Configs.tcp("rr");
        d.server("rs3", "10.0.0.3:80", 1);
        d.server("rs4", "10.0.0.4:80", 1);
        Backend other = new Backend(d.build().backends().get(0));
        int vip = TestPackets.ip("10.200.0.100");
        ConnectionTable table = new ConnectionTable(64, DirectorTimeouts.defaults(), now);
        Neighbours neighbours = new Neighbours() {
            @Override
            public long mac(int address) {
                return address == TestPackets.ip("10.0.0.3") ? MAC : UNKNOWN;
            }

            @Override
            public void solicit(int address) {
            }
        };
        TunnelRoutes routes = real -> real == TestPackets.ip("10.0.0.4") ? null
                : new TunnelRoutes.Route(TestPackets.ip("10.0.0.254"), 1400);
        pipeline = new NatPipeline(List.of(
                new VirtualService(0, 6, vip, 80, nat),
                new VirtualService(1, 17, vip, 53, nat),
                new VirtualService(2, 6, vip, 443, nat, 60_000, 0xffffff00),
                new VirtualService(3, 6, TestPackets.ip("10.200.0.101"), 0, nat),
                new VirtualService(4, 6, TestPackets.ip("10.200.0.102"), 80, other, 0, -1, Forwarding.TUNNEL),
                new VirtualService(5, 17, TestPackets.ip("10.200.0.102"), 53, other, 0, -1, Forwarding.TUNNEL),
                new VirtualService(6, 6, TestPackets.ip("10.200.0.103"), 80, other, 0, -1, Forwarding.DIRECT, true)),
                table, new PersistenceTemplates(), new SynDefense(DirectorConfig.Defense.DEFAULTS), stats.shard(0),
                routes, neighbours, 1500);
    }

    /** What the pipeline did with one packet: its verdict, the bytes to write, and the drops it counted. */
    public record Outcome(Verdict verdict, byte[] bytes, long drops, long frameDestination) {
    }

    /**
     * Processes {@code packet}, of which {@code received} bytes count (the rest of the array is junk that lies in the
     * buffer behind them), {@code elapsedMillis} after the previous one.
     */
    public Outcome process(byte[] packet, int received, long elapsedMillis) {
        now += elapsedMillis;
        MemorySegment p = buffer.asSlice(0, received + dev.ferry.director.packet.Ipip.OVERHEAD);
        p.fill((byte) 0);
        MemorySegment.copy(packet, 0, p, ValueLayout.JAVA_BYTE, 0, Math.min(packet.length, (int) p.byteSize()));
        long before = drops();
        Verdict v = pipeline.process(p, received, reply, now);
        byte[] bytes = switch (v) {
            case FORWARD, FRAME -> p.asSlice(0, pipeline.length()).toArray(ValueLayout.JAVA_BYTE);
            case REPLY -> reply.asSlice(0, pipeline.length()).toArray(ValueLayout.JAVA_BYTE);
            case DROP -> new byte[0];
        };
        return new Outcome(v, bytes, drops() - before, v == Verdict.FRAME ? pipeline.frameDestination() : 0);
    }

    private long drops() {
        long n = 0;
        for (DropReason r : DropReason.values()) {
            n += stats.drops(r);
        }
        return n;
    }

    @Override
    public void close() {
        arena.close();
    }
}
