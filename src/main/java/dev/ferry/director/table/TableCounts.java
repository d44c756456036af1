package dev.ferry.director.table;

import java.util.List;

/**
 * A copy of a {@link ConnectionTable}'s counters, taken on the table's thread and published for other threads (the
 * admin API, metrics) to read without touching the table.
 *
 * @param size    entries, all services together
 * @param limit   the table's hard limit
 * @param expired entries removed by their timeout since start
 */
public record TableCounts(int size, int limit, long expired, int[] byState, int udp, int[] byService) {
    static final int SLOTS = TcpState.values().length + 1;

    /** An empty table of {@code limit} entries. */
    public static TableCounts empty(int limit) {
        return new TableCounts(0, limit, 0, new int[TcpState.values().length], 0, new int[0]);
    }

    /** The counts of several tables (a director's workers) as one. */
    public static TableCounts sum(List<TableCounts> parts) {
        if (parts.size() == 1) {
            return parts.getFirst();
        }
        int size = 0;
        int limit = 0;
        long expired = 0;
        int udp = 0;
        int[] byState = new int[TcpState.values().length];
        int[] byService = new int[parts.stream().mapToInt(c -> c.byService.length).max().orElse(0)];
        for (TableCounts c : parts) {
            size += c.size;
            limit += c.limit;
            expired += c.expired;
            udp += c.udp;
            for (int i = 0; i < byState.length; i++) {
                byState[i] += c.byState[i];
            }
            for (int i = 0; i < c.byService.length; i++) {
                byService[i] += c.byService[i];
            }
        }
        return new TableCounts(size, limit, expired, byState, udp, byService);
    }

    public int inState(TcpState state) {
        return byState[state.ordinal()];
    }

    /** Entries of service {@code service} in TCP state {@code state}. */
    public int inState(int service, TcpState state) {
        int i = service * SLOTS + state.ordinal();
        return i < byService.length ? byService[i] : 0;
    }

    /** UDP entries of service {@code service}. */
    public int udp(int service) {
        int i = service * SLOTS + SLOTS - 1;
        return i < byService.length ? byService[i] : 0;
    }

    /** Entries of service {@code service}, TCP and UDP. */
    public int ofService(int service) {
        int n = 0;
        for (int i = service * SLOTS; i < (service + 1) * SLOTS && i < byService.length; i++) {
            n += byService[i];
        }
        return n;
    }
}
