package dev.ferry.director.sync;

import dev.ferry.director.packet.Ipv4;
import dev.ferry.director.table.TcpState;
import dev.ferry.director.table.TrackedConnection;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The sync datagram between two directors (IPVS's sync message, simplified to the fields a standby needs), all
 * numbers big-endian, addresses IPv4:
 *
 * <pre>
 * header, 4 bytes:
 *   0  u8   version          1
 *   1  u8   syncid           the sender's sync id; a receiver with another id ignores the datagram
 *   2  u16  count            entries that follow; the datagram is exactly 4 + 25 * count bytes
 * entry, 25 bytes each:
 *   0  u8   protocol         6 (TCP) or 17 (UDP)
 *   1  u8   state            TCP: IPVS's state number (TcpState ordinal, NONE = 0 .. SYNACK = 10); UDP: 0
 *   2  u8   flags            bit 0: replies bypass the director (tunnel, direct); bit 1: no reply seen yet
 *                            (IPVS's NOOUTPUT); other bits 0 (ignored)
 *   3  u32  client address
 *   7  u16  client port
 *   9  u32  virtual address
 *  13  u16  virtual port
 *  15  u32  real server address
 *  19  u16  real server port
 *  21  u32  seconds left     of the entry's timeout in its state, when sent
 * </pre>
 *
 * A datagram carries at most {@link #MAX_ENTRIES} entries, so it stays within {@link #MAX_DATAGRAM} bytes (no IP
 * fragmentation on an Ethernet path). A datagram of another version, of the wrong length, or with an entry of
 * another protocol or an unknown state is refused whole ({@link Decoded#MALFORMED}); decoding never throws.
 *
 * <p>Threading: {@link Writer} is confined to its owner (a worker); {@link #decode} is stateless.
 */
public final class SyncMessage {
    public static final int VERSION = 1;
    public static final int HEADER = 4;
    public static final int ENTRY = 25;
    /** A datagram's size limit: a 1500-byte MTU less IP and UDP headers and some room for tunnels. */
    public static final int MAX_DATAGRAM = 1400;
    public static final int MAX_ENTRIES = (MAX_DATAGRAM - HEADER) / ENTRY;
    /** Flag bit: the connection's replies do not pass the director (tunnel, direct). */
    public static final int FLAG_NO_REPLIES = 1;
    /** Flag bit: no reply seen yet on such a connection ({@code IP_VS_CONN_F_NOOUTPUT}). */
    public static final int FLAG_NO_OUTPUT = 2;
    private static final TcpState[] STATES = TcpState.values();

    private SyncMessage() {
    }

    /**
     * One synced entry.
     *
     * @param state the TCP state; null for UDP
     */
    public record Entry(int protocol, TcpState state, int flags, int clientAddress, int clientPort,
                        int virtualAddress, int virtualPort, int realAddress, int realPort, long secondsLeft) {

        /** {@code e} as the active director sends it at {@code nowMillis}. */
        public static Entry of(TrackedConnection e, long nowMillis) {
            int flags = (e.replies() ? 0 : FLAG_NO_REPLIES) | (e.noOutput() ? FLAG_NO_OUTPUT : 0);
            return new Entry(e.protocol(), e.state(), flags, e.clientAddress(), e.clientPort(), e.virtualAddress(),
                    e.virtualPort(), e.realAddress(), e.realPort(), SyncMessage.secondsLeft(e.expiresAt(), nowMillis));
        }

        public boolean replies() {
            return (flags & FLAG_NO_REPLIES) == 0;
        }

        public boolean noOutput() {
            return (flags & FLAG_NO_OUTPUT) != 0;
        }

        @Override
        public String toString() {
            return (protocol == Ipv4.TCP ? "TCP " + state : "UDP") + " " + Ipv4.format(clientAddress) + ":"
                    + clientPort + " -> " + Ipv4.format(virtualAddress) + ":" + virtualPort + " -> "
                    + Ipv4.format(realAddress) + ":" + realPort + " " + secondsLeft + "s";
        }
    }

    /** Whole seconds left until {@code expiresAt}, rounded up, never below 0. */
    static long secondsLeft(long expiresAt, long nowMillis) {
        long left = expiresAt - nowMillis;
        return left <= 0 ? 0 : Math.min(0xFFFF_FFFFL, (left + 999) / 1000);
    }

    /** What {@link #decode} made of a datagram. */
    public enum Decoded {
        /** The entries were added to the list. */
        OK,
        /** Well-formed, of another sync id: ignored. */
        OTHER_ID,
        /** Another version, a wrong length, a bad entry: nothing was added. */
        MALFORMED
    }

    /**
     * Decodes the datagram between {@code d}'s position and limit into {@code out}, when its sync id is
     * {@code syncId}; {@code d}'s position is left unchanged. Never throws on any input.
     */
    public static Decoded decode(ByteBuffer d, int syncId, List<Entry> out) {
        int base = d.position();
        int length = d.remaining();
        if (length < HEADER || (d.get(base) & 0xFF) != VERSION) {
            return Decoded.MALFORMED;
        }
        int count = d.getShort(base + 2) & 0xFFFF;
        if (length != HEADER + count * ENTRY) {
            return Decoded.MALFORMED;
        }
        for (int i = 0, at = base + HEADER; i < count; i++, at += ENTRY) {
            int protocol = d.get(at) & 0xFF;
            int state = d.get(at + 1) & 0xFF;
            if (protocol == Ipv4.TCP ? state >= STATES.length : protocol != Ipv4.UDP || state != 0) {
                return Decoded.MALFORMED;
            }
        }
        if ((d.get(base + 1) & 0xFF) != syncId) {
            return Decoded.OTHER_ID;
        }
        for (int i = 0, at = base + HEADER; i < count; i++, at += ENTRY) {
            int protocol = d.get(at) & 0xFF;
            out.add(new Entry(protocol, protocol == Ipv4.TCP ? STATES[d.get(at + 1) & 0xFF] : null,
                    d.get(at + 2) & (FLAG_NO_REPLIES | FLAG_NO_OUTPUT), d.getInt(at + 3), d.getShort(at + 7) & 0xFFFF,
                    d.getInt(at + 9), d.getShort(at + 13) & 0xFFFF, d.getInt(at + 15), d.getShort(at + 19) & 0xFFFF,
                    d.getInt(at + 21) & 0xFFFF_FFFFL));
        }
        return Decoded.OK;
    }

    /**
     * Builds one datagram at a time in a buffer of {@link #MAX_DATAGRAM} bytes: {@link #add} entries until it says
     * the datagram is full, send {@link #datagram()}, then {@link #reset()}.
     */
    public static final class Writer {
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(MAX_DATAGRAM);
        private final int syncId;
        private int count;

        public Writer(int syncId) {
            this.syncId = syncId;
        }

        /** Entries in the datagram being built. */
        public int count() {
            return count;
        }

        public boolean isFull() {
            return count == MAX_ENTRIES;
        }

        /** Appends {@code e}; the caller first sends a full datagram. */
        public void add(Entry e) {
            if (isFull()) {
                throw new IllegalStateException("the datagram is full");
            }
            add(e.protocol(), e.state(), e.flags(), e.clientAddress(), e.clientPort(), e.virtualAddress(),
                    e.virtualPort(), e.realAddress(), e.realPort(), e.secondsLeft());
        }

        /** Appends tracked connection {@code e} as of {@code nowMillis}, without allocating. */
        public void add(TrackedConnection e, long nowMillis) {
            if (isFull()) {
                throw new IllegalStateException("the datagram is full");
            }
            int flags = (e.replies() ? 0 : FLAG_NO_REPLIES) | (e.noOutput() ? FLAG_NO_OUTPUT : 0);
            add(e.protocol(), e.state(), flags, e.clientAddress(), e.clientPort(), e.virtualAddress(),
                    e.virtualPort(), e.realAddress(), e.realPort(), secondsLeft(e.expiresAt(), nowMillis));
        }

        private void add(int protocol, TcpState state, int flags, int clientAddress, int clientPort,
                         int virtualAddress, int virtualPort, int realAddress, int realPort, long seconds) {
            int at = HEADER + count * ENTRY;
            buffer.put(at, (byte) protocol);
            buffer.put(at + 1, (byte) (state == null ? 0 : state.ordinal()));
            buffer.put(at + 2, (byte) flags);
            buffer.putInt(at + 3, clientAddress);
            buffer.putShort(at + 7, (short) clientPort);
            buffer.putInt(at + 9, virtualAddress);
            buffer.putShort(at + 13, (short) virtualPort);
            buffer.putInt(at + 15, realAddress);
            buffer.putShort(at + 19, (short) realPort);
            buffer.putInt(at + 21, (int) seconds);
            count++;
        }

        /** The datagram built so far, ready to send (position 0, limit its length). */
        public ByteBuffer datagram() {
            buffer.put(0, (byte) VERSION);
            buffer.put(1, (byte) syncId);
            buffer.putShort(2, (short) count);
            return buffer.clear().limit(HEADER + count * ENTRY);
        }

        /** Starts the next datagram. */
        public void reset() {
            count = 0;
            buffer.clear();
        }
    }
}
