import com.sun.management.HotSpotDiagnosticMXBean;
import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.director.packet.Ipv4;
import dev.ferry.director.table.ConnectionTable;
import dev.ferry.director.table.DirectorTimeouts;
import dev.ferry.director.table.TcpStateTable.Direction;
import dev.ferry.director.table.TrackedConnection;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * bench/director's memory figure: the heap one tracked connection of the director costs. Fills Ferry's own
 * {@link ConnectionTable} (the director's, unchanged) with N TCP entries, each with its server lease and taken
 * through a real handshake's states to ESTABLISHED, and reads the heap in use after full collections before and
 * after. Run in source-file mode on Ferry's jar:
 * {@code java -cp target/ferry.jar bench/lib/DirectorTableFootprint.java 1000000}. Prints one line of key=value.
 */
public class DirectorTableFootprint {
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        FerryConfig config = ConfigLoader.parse("""
                backends:
                  - name: web
                    scheduler: rr
                    servers:
                      - { name: rs1, address: 10.101.0.11:80 }
                      - { name: rs2, address: 10.101.0.12:80 }
                directors:
                  - name: lvs1
                    services: [ { vip: 10.200.0.100:80, backend: web } ]
                """, Path.of("footprint.yaml"));
        Backend backend = new Backend(config.backends().get(0));
        List<Server> servers = backend.servers();
        int vip = Ipv4.parse("10.200.0.100");
        int[] real = {Ipv4.parse("10.101.0.11"), Ipv4.parse("10.101.0.12")};
        long now = 1_000_000;
        // Load and run every class and path the fill uses before the baseline (a table of ten entries).
        ConnectionTable warm = new ConnectionTable(10, DirectorTimeouts.defaults(), now);
        fill(warm, 10, servers, vip, real, now);
        warm.clear();

        long before = usedAfterGc();
        ConnectionTable table = new ConnectionTable(n, DirectorTimeouts.defaults(), now);
        fill(table, n, servers, vip, real, now);
        long after = usedAfterGc();
        if (table.size() != n) {
            throw new IllegalStateException("table holds " + table.size() + " of " + n);
        }
        Reference.reachabilityFence(table);

        HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        boolean compressedOops = Boolean.parseBoolean(hs.getVMOption("UseCompressedOops").getValue());
        boolean compactHeaders = Boolean.parseBoolean(hs.getVMOption("UseCompactObjectHeaders").getValue());
        // The table's two bucket arrays (client side and reply side), grown at a load factor of 3/4.
        long buckets = 1024;
        while (n > buckets - (buckets >> 2)) {
            buckets <<= 1;
        }
        long bucketBytes = 2 * buckets * (compressedOops ? 4 : 8);
        String gc = ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
                .collect(Collectors.joining("+")).replace(' ', '_');
        System.out.printf("entries=%d heap_before=%d heap_after=%d bytes_per_entry=%.1f bucket_bytes_per_entry=%.1f"
                        + " compressed_oops=%s compact_headers=%s gc=%s%n", n, before, after,
                (after - before) / (double) n, bucketBytes / (double) n, compressedOops, compactHeaders, gc);
    }

    /** N connections from distinct client endpoints, SYN in, SYN+ACK out, ACK in: each ends ESTABLISHED. */
    private static void fill(ConnectionTable table, int n, List<Server> servers, int vip, int[] real, long now) {
        int client = Ipv4.parse("10.100.0.0");
        for (int i = 0; i < n; i++) {
            int address = client + 2 + i / 50_000;
            int port = 10_000 + i % 50_000;
            int s = i % servers.size();
            TrackedConnection e = table.add(Ipv4.TCP, address, port, vip, 80, real[s], 80, 0, servers.get(s).open(),
                    true, now);
            if (e == null) {
                throw new IllegalStateException("the table refused entry " + i);
            }
            table.seen(e, Direction.INPUT, Ipv4.TCP_SYN, now);
            table.seen(e, Direction.OUTPUT, Ipv4.TCP_SYN | Ipv4.TCP_ACK, now);
            table.seen(e, Direction.INPUT, Ipv4.TCP_ACK, now);
        }
    }

    private static long usedAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
