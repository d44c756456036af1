package dev.ferry.director.table;

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
