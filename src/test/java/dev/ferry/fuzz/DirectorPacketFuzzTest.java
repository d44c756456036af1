package dev.ferry.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ferry.director.DirectorFuzzHarness;
import dev.ferry.director.DirectorFuzzHarness.Outcome;
import io.netty.buffer.ByteBufUtil;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the director's packet parser and rewriter ({@code NatPipeline} with {@code Ipv4}, {@code NatRewrite},
 * {@code IcmpMessages}, {@code Ipip}) through VS/NAT, VS/TUN and VS/DR services ({@link DirectorFuzzHarness}). The
 * input is a sequence of up to eight packets, each {@code [control][addresses][ports][length: 2][bytes]}: the control
 * byte says which of the packet's fields to set so it can reach the services (source and destination from
 * {@link DirectorFuzzHarness#ADDRESSES}, ports from {@link DirectorFuzzHarness#PORTS}, the total length, the IP and
 * transport checksums) and how much time passes before it. Invariants, for every packet:
 * <ul>
 *   <li>never an exception, and never a read or write beyond the bytes received and the room an IPIP header needs
 *       (the segment ends there); bytes beyond the packet's total length change nothing (a second pipeline gets
 *       other bytes there and must do exactly the same);</li>
 *   <li>a drop is counted under exactly one reason, a packet written on counts none;</li>
 *   <li>a packet written on (rewritten, passed, wrapped in IPIP or framed) has a total length equal to the bytes
 *       written, a valid header checksum, its TTL one less, and a TCP, UDP or ICMP checksum that verifies (by an
 *       independent computation here) whenever the packet received had one that did, a UDP length that agrees when
 *       it agreed; an ICMP error's quoted header keeps a valid checksum;</li>
 *   <li>an ICMP error the director answers with is well formed (lengths, both checksums), goes to the packet's
 *       source and quotes the packet's own addresses.</li>
 * </ul>
 */
class DirectorPacketFuzzTest {
    private static final int MAX_PACKETS = 8;
    private static final long[] ELAPSED = {0, 1_000, 60_000, 600_000};

    @FuzzTest
    void packets(byte[] data) {
        try (DirectorFuzzHarness a = new DirectorFuzzHarness(); DirectorFuzzHarness b = new DirectorFuzzHarness()) {
            int at = 0;
            StringBuilder trail = new StringBuilder();
            for (int n = 0; n < MAX_PACKETS && at + 5 <= data.length; n++) {
                int control = data[at] & 0xff;
                int addresses = data[at + 1] & 0xff;
                int ports = data[at + 2] & 0xff;
                int length = Math.min((data[at + 3] & 0xff) << 8 | data[at + 4] & 0xff, data.length - at - 5);
                byte[] packet = Arrays.copyOfRange(data, at + 5, at + 5 + length);
                at += 5 + length;
                shape(packet, control, addresses, ports);
                long elapsed = ELAPSED[control >> 6];
                trail.append("\npacket ").append(n).append(": ").append(ByteBufUtil.hexDump(packet));
                String what = trail.toString();

                Outcome first = a.process(withJunk(packet, (byte) 0), packet.length, elapsed);
                Outcome second = b.process(withJunk(packet, (byte) 0xa5), packet.length, elapsed);
                assertThat(describe(second)).as(what + "\nbytes beyond the packet changed the outcome")
                        .isEqualTo(describe(first));
                check(packet, first, what + "\n-> " + describe(first));
            }
        }
    }

    /** Sets the fields the control byte asks for, so the fuzzer need not find addresses and checksums itself. */
    private static void shape(byte[] p, int control, int addresses, int ports) {
        if (p.length < 20 || (p[0] & 0xf0) != 0x40) {
            return;
        }
        int ihl = (p[0] & 0x0f) * 4;
        if ((control & 0x04) != 0) {
            u16(p, 2, p.length);
        }
        if ((control & 0x08) != 0) {
            u32(p, 12, DirectorFuzzHarness.ADDRESSES[(addresses & 0x0f) % DirectorFuzzHarness.ADDRESSES.length]);
            u32(p, 16, DirectorFuzzHarness.ADDRESSES[(addresses >> 4) % DirectorFuzzHarness.ADDRESSES.length]);
        }
        int protocol = p[9] & 0xff;
        if ((control & 0x10) != 0 && ihl >= 20 && p.length >= ihl + 4 && (protocol == 6 || protocol == 17)) {
            u16(p, ihl, DirectorFuzzHarness.PORTS[(ports & 0x0f) % DirectorFuzzHarness.PORTS.length]);
            u16(p, ihl + 2, DirectorFuzzHarness.PORTS[(ports >> 4) % DirectorFuzzHarness.PORTS.length]);
        }
        if ((control & 0x20) != 0 && protocol == 17 && ihl >= 20 && p.length >= ihl + 8) {
            u16(p, ihl + 4, total(p) - ihl);
        }
        if ((control & 0x02) != 0) {
            setTransportChecksum(p);
        }
        if ((control & 0x01) != 0 && ihl >= 20 && p.length >= ihl) {
            u16(p, 10, 0);
            u16(p, 10, checksum(p, 0, ihl, 0));
        }
    }

    private static byte[] withJunk(byte[] packet, byte junk) {
        byte[] out = Arrays.copyOf(packet, packet.length + 20);
        Arrays.fill(out, packet.length, out.length, junk);
        if (packet.length >= 20 && (packet[0] & 0xf0) == 0x40) {
            int total = total(packet);
            if (total >= (packet[0] & 0x0f) * 4 && total >= 20 && total < packet.length) {
                for (int i = total; i < packet.length; i++) {
                    out[i] = (byte) (junk == 0 ? packet[i] : ~packet[i]);
                }
            }
        }
        return out;
    }

    /** The outcome as text; an IPIP header's identification (a per-worker sequence of its own) left out. */
    private static String describe(Outcome o) {
        byte[] b = o.bytes().clone();
        if (b.length >= 20 && b[9] == 4) {
            b[4] = b[5] = b[10] = b[11] = 0;
        }
        return o.verdict() + " drops " + o.drops() + " mac " + Long.toHexString(o.frameDestination()) + " "
                + ByteBufUtil.hexDump(b);
    }

    private static void check(byte[] in, Outcome o, String what) {
        switch (o.verdict()) {
            case DROP -> assertThat(o.drops()).as(what + "\na drop counts one reason").isEqualTo(1);
            case FORWARD, FRAME -> {
                assertThat(o.drops()).as(what + "\nwritten on, no drop counted").isZero();
                byte[] out = o.bytes();
                wellFormed(out, what);
                if ((out[9] & 0xff) == 4 && (in[9] & 0xff) != 4) {
                    // Wrapped in IPIP: the outer header carries the inner packet's TTL, and the inner packet follows.
                    byte[] inner = Arrays.copyOfRange(out, (out[0] & 0x0f) * 4, out.length);
                    wellFormed(inner, what + "\n(the inner packet)");
                    assertThat(out[8]).as(what + "\nthe outer TTL").isEqualTo(inner[8]);
                    sameMeaning(in, inner, what);
                } else {
                    sameMeaning(in, out, what);
                }
            }
            case REPLY -> {
                assertThat(o.drops()).as(what + "\nat most one reason").isLessThanOrEqualTo(1);
                byte[] r = o.bytes();
                wellFormed(r, what);
                int ihl = (r[0] & 0x0f) * 4;
                assertThat(r[9]).as(what + "\nan ICMP message").isEqualTo((byte) 1);
                assertThat(r.length).as(what + "\nat most 576 bytes").isLessThanOrEqualTo(576);
                assertThat(r.length).as(what + "\nquotes a header and 8 bytes").isGreaterThanOrEqualTo(ihl + 8 + 20);
                assertThat(checksum(r, ihl, r.length - ihl, 0)).as(what + "\nthe ICMP checksum").isZero();
                assertThat(r[ihl] & 0xff).as(what + "\nan error").isIn(3, 11);
                assertThat(u32(r, 16)).as(what + "\nto the packet's source").isEqualTo(u32(in, 12));
                int quote = ihl + 8;
                assertThat(u32(r, quote + 12)).as(what + "\nquotes the source").isEqualTo(u32(in, 12));
                assertThat(u32(r, quote + 16)).as(what + "\nquotes the destination").isEqualTo(u32(in, 16));
                assertThat(r[quote + 9]).as(what + "\nquotes the protocol").isEqualTo(in[9]);
            }
        }
    }

    /** An IPv4 packet whose header agrees with itself and with its length. */
    private static void wellFormed(byte[] p, String what) {
        assertThat(p.length).as(what + "\nan IPv4 header").isGreaterThanOrEqualTo(20);
        assertThat(p[0] & 0xf0).as(what + "\nversion 4").isEqualTo(0x40);
        int ihl = (p[0] & 0x0f) * 4;
        assertThat(ihl).as(what + "\nheader length").isBetween(20, p.length);
        assertThat(total(p)).as(what + "\ntotal length = bytes written").isEqualTo(p.length);
        assertThat(checksum(p, 0, ihl, 0)).as(what + "\nheader checksum").isZero();
    }

    /** {@code out} is {@code in} forwarded: TTL one less, and whatever verified in {@code in} verifies in {@code out}. */
    private static void sameMeaning(byte[] in, byte[] out, String what) {
        assertThat(out[8] & 0xff).as(what + "\nTTL one less").isEqualTo((in[8] & 0xff) - 1);
        assertThat(out[9]).as(what + "\nthe protocol").isEqualTo(in[9]);
        assertThat(out.length).as(what + "\nthe length").isEqualTo(total(in));
        byte[] original = Arrays.copyOf(in, total(in));
        int ihl = (out[0] & 0x0f) * 4;
        if (fragment(original)) {
            return;
        }
        int protocol = out[9] & 0xff;
        if (transportChecksumOk(original)) {
            assertThat(transportChecksumOk(out)).as(what + "\nthe transport checksum verifies").isTrue();
        }
        if (protocol == 17 && out.length >= ihl + 8 && u16(original, ihl + 4) == original.length - ihl) {
            assertThat(u16(out, ihl + 4)).as(what + "\nthe UDP length").isEqualTo(out.length - ihl);
        }
        if (protocol == 1 && out.length >= ihl + 8 + 20) {
            int quote = ihl + 8;
            int quotedIhl = (out[quote] & 0x0f) * 4;
            if (quotedIhl >= 20 && out.length >= quote + quotedIhl && checksum(original, quote, quotedIhl, 0) == 0) {
                assertThat(checksum(out, quote, quotedIhl, 0)).as(what + "\nthe quoted header's checksum").isZero();
            }
        }
    }

    private static boolean fragment(byte[] p) {
        return (u16(p, 6) & 0x3fff) != 0;
    }

    private static int total(byte[] p) {
        return u16(p, 2);
    }

    /** Whether the TCP, UDP or ICMP checksum verifies (a UDP checksum of 0 means none and counts as verifying). */
    static boolean transportChecksumOk(byte[] p) {
        int ihl = (p[0] & 0x0f) * 4;
        int total = Math.min(total(p), p.length);
        int protocol = p[9] & 0xff;
        if (total < ihl) {
            return false;
        }
        return switch (protocol) {
            case 6 -> total >= ihl + 20 && checksum(p, ihl, total - ihl, pseudo(p, ihl, total)) == 0;
            case 17 -> total >= ihl + 8 && (u16(p, ihl + 6) == 0
                    || checksum(p, ihl, total - ihl, pseudo(p, ihl, total)) == 0);
            case 1 -> total >= ihl + 8 && checksum(p, ihl, total - ihl, 0) == 0;
            default -> false;
        };
    }

    private static void setTransportChecksum(byte[] p) {
        int ihl = (p[0] & 0x0f) * 4;
        int total = Math.min(total(p), p.length);
        int protocol = p[9] & 0xff;
        int at = switch (protocol) {
            case 6 -> 16;
            case 17 -> 6;
            case 1 -> 2;
            default -> -1;
        };
        if (at < 0 || ihl < 20 || total < ihl + at + 2) {
            return;
        }
        u16(p, ihl + at, 0);
        int sum = checksum(p, ihl, total - ihl, protocol == 1 ? 0 : pseudo(p, ihl, total));
        u16(p, ihl + at, protocol == 17 && sum == 0 ? 0xffff : sum);
    }

    private static long pseudo(byte[] p, int ihl, int total) {
        return (long) u16(p, 12) + u16(p, 14) + u16(p, 16) + u16(p, 18) + (p[9] & 0xff) + (total - ihl);
    }

    /** RFC 1071: the one's complement of the one's complement sum; 0 over data that holds a right checksum. */
    static int checksum(byte[] b, int from, int length, long initial) {
        long sum = initial;
        int end = from + length;
        for (int i = from; i + 1 < end; i += 2) {
            sum += (b[i] & 0xff) << 8 | b[i + 1] & 0xff;
        }
        if ((length & 1) != 0) {
            sum += (b[end - 1] & 0xff) << 8;
        }
        while (sum >> 16 != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    private static int u16(byte[] p, int at) {
        return at + 1 < p.length ? (p[at] & 0xff) << 8 | p[at + 1] & 0xff : 0;
    }

    private static int u32(byte[] p, int at) {
        return u16(p, at) << 16 | u16(p, at + 2);
    }

    private static void u16(byte[] p, int at, int v) {
        if (at + 1 < p.length) {
            p[at] = (byte) (v >> 8);
            p[at + 1] = (byte) v;
        }
    }

    private static void u32(byte[] p, int at, int v) {
        u16(p, at, v >>> 16);
        u16(p, at + 2, v & 0xffff);
    }
}
