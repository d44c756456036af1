package dev.ferry.director;

import java.nio.ByteBuffer;

/**
 * Builds IPv4 packets for the director's tests and checks them, with its own straightforward checksum code (a
 * full RFC 1071 sum over byte arrays), independent of the director's incremental updates.
 */
public final class TestPackets {
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int ACK = 0x10;

    private TestPackets() {
    }

    public static int ip(String dotted) {
        String[] p = dotted.split("\\.");
        return (Integer.parseInt(p[0]) << 24) | (Integer.parseInt(p[1]) << 16) | (Integer.parseInt(p[2]) << 8)
                | Integer.parseInt(p[3]);
    }

    /** A packet's destination address and port (TCP or UDP), {@code 10.101.0.11:8080}. */
    public static String destination(byte[] packet) {
        int ihl = (packet[0] & 0x0F) * 4;
        int port = ((packet[ihl + 2] & 0xFF) << 8) | (packet[ihl + 3] & 0xFF);
        return (packet[16] & 0xFF) + "." + (packet[17] & 0xFF) + "." + (packet[18] & 0xFF) + "." + (packet[19] & 0xFF)
                + ":" + port;
    }

    public static byte[] tcp(String src, int sport, String dst, int dport, int flags, int ttl, byte[] payload) {
        byte[] l4 = new byte[20 + payload.length];
        ByteBuffer b = ByteBuffer.wrap(l4);
        b.putShort((short) sport).putShort((short) dport).putInt(1000).putInt((flags & ACK) != 0 ? 2000 : 0);
        b.put((byte) 0x50).put((byte) flags).putShort((short) 64240).putShort((short) 0).putShort((short) 0);
        b.put(payload);
        return ipv4(src, dst, 6, ttl, l4, true);
    }

    public static byte[] udp(String src, int sport, String dst, int dport, int ttl, byte[] payload,
                             boolean withChecksum) {
        byte[] l4 = new byte[8 + payload.length];
        ByteBuffer b = ByteBuffer.wrap(l4);
        b.putShort((short) sport).putShort((short) dport).putShort((short) l4.length).putShort((short) 0);
        b.put(payload);
        return ipv4(src, dst, 17, ttl, l4, withChecksum);
    }

    /** An ICMP error from {@code src} to {@code dst} quoting the first {@code quoteBytes} of {@code quoted}. */
    public static byte[] icmpError(String src, String dst, int type, int code, byte[] quoted, int quoteBytes) {
        byte[] msg = new byte[8 + Math.min(quoteBytes, quoted.length)];
        msg[0] = (byte) type;
        msg[1] = (byte) code;
        System.arraycopy(quoted, 0, msg, 8, msg.length - 8);
        int c = checksum(msg, 0, msg.length, 0);
        msg[2] = (byte) (c >>> 8);
        msg[3] = (byte) c;
        return ipv4(src, dst, 1, 64, msg, false);
    }

    static byte[] ipv4(String src, String dst, int protocol, int ttl, byte[] l4, boolean l4Checksum) {
        byte[] p = new byte[20 + l4.length];
        ByteBuffer b = ByteBuffer.wrap(p);
        b.put((byte) 0x45).put((byte) 0).putShort((short) p.length).putShort((short) 0x1234)
                .putShort((short) 0x4000).put((byte) ttl).put((byte) protocol).putShort((short) 0)
                .putInt(ip(src)).putInt(ip(dst));
        b.put(l4);
        if (l4Checksum) {
            setTransportChecksum(p);
        }
        setHeaderChecksum(p);
        return p;
    }

    /** Recomputes a packet's IP header checksum from scratch. */
    public static void setHeaderChecksum(byte[] p) {
        p[10] = 0;
        p[11] = 0;
        int c = checksum(p, 0, 20, 0);
        p[10] = (byte) (c >>> 8);
        p[11] = (byte) c;
    }

    /** Recomputes a TCP or UDP packet's transport checksum from scratch (pseudo-header included). */
    public static void setTransportChecksum(byte[] p) {
        int protocol = p[9] & 0xFF;
        int at = 20 + (protocol == 6 ? 16 : 6);
        p[at] = 0;
        p[at + 1] = 0;
        int c = checksum(p, 20, p.length - 20, pseudo(p));
        if (protocol == 17 && c == 0) {
            c = 0xFFFF;
        }
        p[at] = (byte) (c >>> 8);
        p[at + 1] = (byte) c;
    }

    public static boolean headerChecksumOk(byte[] p) {
        return checksum(p, 0, (p[0] & 0xF) * 4, 0) == 0;
    }

    /** Whether a TCP or UDP packet's transport checksum verifies (a UDP checksum of 0 means none). */
    public static boolean transportChecksumOk(byte[] p) {
        int ihl = (p[0] & 0xF) * 4;
        int protocol = p[9] & 0xFF;
        if (protocol == 17 && p[ihl + 6] == 0 && p[ihl + 7] == 0) {
            return true;
        }
        return checksum(p, ihl, p.length - ihl, pseudo(p)) == 0;
    }

    public static boolean icmpChecksumOk(byte[] p) {
        int ihl = (p[0] & 0xF) * 4;
        return checksum(p, ihl, p.length - ihl, 0) == 0;
    }

    private static long pseudo(byte[] p) {
        int ihl = (p[0] & 0xF) * 4;
        long s = 0;
        for (int i = 12; i < 20; i += 2) {
            s += ((p[i] & 0xFF) << 8) | (p[i + 1] & 0xFF);
        }
        return s + (p[9] & 0xFF) + (p.length - ihl);
    }

    static int checksum(byte[] data, int from, int length, long initial) {
        long sum = initial;
        int i = from;
        for (; i + 1 < from + length; i += 2) {
            sum += ((data[i] & 0xFF) << 8) | (data[i + 1] & 0xFF);
        }
        if (i < from + length) {
            sum += (data[i] & 0xFF) << 8;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    public static int u16(byte[] p, int at) {
        return ((p[at] & 0xFF) << 8) | (p[at + 1] & 0xFF);
    }

    public static int u32(byte[] p, int at) {
        return ByteBuffer.wrap(p, at, 4).getInt();
    }
}
