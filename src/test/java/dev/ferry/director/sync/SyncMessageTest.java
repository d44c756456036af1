package dev.ferry.director.sync;

import dev.ferry.director.packet.Ipv4;
import dev.ferry.director.sync.SyncMessage.Decoded;
import dev.ferry.director.sync.SyncMessage.Entry;
import dev.ferry.director.table.TcpState;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The sync datagram: what is written is read back; anything else is refused without an exception. */
class SyncMessageTest {
    private static final int ID = 7;

    private static Entry tcp(TcpState state, int clientPort, long seconds) {
        return new Entry(Ipv4.TCP, state, 0, Ipv4.parse("10.100.0.2"), clientPort, Ipv4.parse("10.200.0.100"), 80,
                Ipv4.parse("10.101.0.11"), 8080, seconds);
    }

    private static ByteBuffer copy(ByteBuffer datagram) {
        ByteBuffer b = ByteBuffer.allocate(datagram.remaining());
        b.put(datagram.duplicate()).flip();
        return b;
    }

    @Test
    void entriesComeBackAsTheyWereWritten() {
        SyncMessage.Writer w = new SyncMessage.Writer(ID);
        List<Entry> written = new ArrayList<>();
        int i = 0;
        for (TcpState s : TcpState.values()) {
            written.add(tcp(s, 40_000 + i++, i * 37L));
        }
        written.add(new Entry(Ipv4.UDP, null, 0, Ipv4.parse("192.168.255.254"), 65_535, Ipv4.parse("10.200.0.100"),
                53, Ipv4.parse("10.101.0.13"), 5353, 300));
        written.add(new Entry(Ipv4.TCP, TcpState.ESTABLISHED, SyncMessage.FLAG_NO_REPLIES | SyncMessage.FLAG_NO_OUTPUT,
                -1, 1, -2, 0, Ipv4.parse("10.100.0.12"), 80, 0xFFFF_FFFFL));
        written.forEach(w::add);
        ByteBuffer d = copy(w.datagram());
        assertThat(d.remaining()).isEqualTo(SyncMessage.HEADER + written.size() * SyncMessage.ENTRY);
        assertThat(d.get(0)).isEqualTo((byte) 1);
        assertThat(d.get(1)).isEqualTo((byte) ID);

        List<Entry> read = new ArrayList<>();
        assertThat(SyncMessage.decode(d, ID, read)).isEqualTo(Decoded.OK);
        assertThat(read).isEqualTo(written);
        assertThat(read.getLast().replies()).isFalse();
        assertThat(read.getLast().noOutput()).isTrue();
        assertThat(d.position()).as("left where it was").isZero();
    }

    @Test
    void aFullDatagramFitsTheLimitAndTheWriterStartsAgainAfterAReset() {
        SyncMessage.Writer w = new SyncMessage.Writer(ID);
        for (int i = 0; !w.isFull(); i++) {
            w.add(tcp(TcpState.ESTABLISHED, i, 900));
        }
        assertThat(w.count()).isEqualTo(SyncMessage.MAX_ENTRIES).isEqualTo(55);
        assertThat(w.datagram().remaining()).isLessThanOrEqualTo(SyncMessage.MAX_DATAGRAM);
        w.reset();
        w.add(tcp(TcpState.CLOSE, 1, 10));
        List<Entry> read = new ArrayList<>();
        assertThat(SyncMessage.decode(copy(w.datagram()), ID, read)).isEqualTo(Decoded.OK);
        assertThat(read).containsExactly(tcp(TcpState.CLOSE, 1, 10));
    }

    @Test
    void anotherSyncIdIsIgnoredAndBadDatagramsAreRefusedWhole() {
        SyncMessage.Writer w = new SyncMessage.Writer(ID);
        w.add(tcp(TcpState.ESTABLISHED, 1, 900));
        w.add(tcp(TcpState.SYN_RECV, 2, 60));
        byte[] good = new byte[w.datagram().remaining()];
        w.datagram().get(good);
        List<Entry> out = new ArrayList<>();

        assertThat(SyncMessage.decode(ByteBuffer.wrap(good), ID + 1, out)).isEqualTo(Decoded.OTHER_ID);
        for (int cut = 0; cut < good.length; cut++) {
            assertThat(SyncMessage.decode(ByteBuffer.wrap(good, 0, cut), ID, out)).as("cut at %d", cut)
                    .isEqualTo(Decoded.MALFORMED);
        }
        byte[] longer = java.util.Arrays.copyOf(good, good.length + 1);
        assertThat(SyncMessage.decode(ByteBuffer.wrap(longer), ID, out)).isEqualTo(Decoded.MALFORMED);
        byte[] version = good.clone();
        version[0] = 2;
        assertThat(SyncMessage.decode(ByteBuffer.wrap(version), ID, out)).isEqualTo(Decoded.MALFORMED);
        byte[] protocol = good.clone();
        protocol[SyncMessage.HEADER + SyncMessage.ENTRY] = 1; // the second entry is ICMP
        assertThat(SyncMessage.decode(ByteBuffer.wrap(protocol), ID, out)).isEqualTo(Decoded.MALFORMED);
        byte[] state = good.clone();
        state[SyncMessage.HEADER + 1] = (byte) TcpState.values().length;
        assertThat(SyncMessage.decode(ByteBuffer.wrap(state), ID, out)).isEqualTo(Decoded.MALFORMED);
        assertThat(out).as("nothing of a refused datagram").isEmpty();
    }

    @Test
    void randomBytesNeverThrow() {
        SplittableRandom random = new SplittableRandom(19);
        List<Entry> out = new ArrayList<>();
        int ok = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[random.nextInt(0, 200)];
            random.nextBytes(b);
            if (random.nextBoolean() && b.length > 4) {
                b[0] = 1; // often a plausible header
                b[2] = 0;
                b[3] = (byte) ((b.length - 4) / SyncMessage.ENTRY);
            }
            if (SyncMessage.decode(ByteBuffer.wrap(b), b.length > 1 ? b[1] & 0xFF : 0, out) == Decoded.OK) {
                ok++;
            }
        }
        assertThat(out).allSatisfy(e -> assertThat(e.protocol()).isIn(Ipv4.TCP, Ipv4.UDP));
        assertThat(ok).isGreaterThanOrEqualTo(0);
    }

    @Test
    void secondsLeftRoundUpAndNeverGoNegative() {
        assertThat(SyncMessage.secondsLeft(10_001, 0)).isEqualTo(11);
        assertThat(SyncMessage.secondsLeft(10_000, 0)).isEqualTo(10);
        assertThat(SyncMessage.secondsLeft(5, 10)).isZero();
    }
}
