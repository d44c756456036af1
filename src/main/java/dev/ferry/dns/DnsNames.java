package dev.ferry.dns;

import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Domain names as the responder handles them: the presentation form of RFC 1035 section 5.1, labels joined by
 * {@code .}, without the final dot. A label's bytes are kept as bytes: a {@code .} or {@code \} byte inside a label,
 * and every byte outside printable ASCII, is written {@code \DDD}; so a label never splits or merges, the form is
 * canonical (equal names as bytes are equal strings), and a suffix test on {@code "." + origin} is label-aligned.
 * Case is folded for ASCII letters only (RFC 4343).
 *
 * <p>Threading: stateless.
 */
final class DnsNames {
    /** The most octets a name takes on the wire, its final zero octet included (RFC 1035 section 2.3.4). */
    static final int MAX_WIRE_LENGTH = 255;

    private DnsNames() {
    }

    /** Appends one label's bytes to {@code name}, escaping what needs it. */
    static void appendLabel(StringBuilder name, ByteBuf in, int from, int length) {
        for (int i = from; i < from + length; i++) {
            int b = in.getUnsignedByte(i);
            if (b <= 0x20 || b >= 0x7f || b == '.' || b == '\\') {
                name.append('\\').append((char) ('0' + b / 100)).append((char) ('0' + b / 10 % 10))
                        .append((char) ('0' + b % 10));
            } else {
                name.append((char) b);
            }
        }
    }

    /** {@code name} with ASCII capitals made small; other bytes are escaped and unchanged. */
    static String lowerCase(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                char[] chars = name.toCharArray();
                for (int j = i; j < chars.length; j++) {
                    if (chars[j] >= 'A' && chars[j] <= 'Z') {
                        chars[j] = (char) (chars[j] + ('a' - 'A'));
                    }
                }
                return new String(chars);
            }
        }
        return name;
    }

    /** The labels of {@code name} as bytes, escapes undone; the root (empty name) has none. */
    static List<byte[]> labels(String name) {
        List<byte[]> labels = new ArrayList<>();
        if (name.isEmpty()) {
            return labels;
        }
        ByteArrayOutputStream label = new ByteArrayOutputStream(64);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '\\' && i + 3 < name.length() && Character.isDigit(name.charAt(i + 1))) {
                label.write(Integer.parseInt(name, i + 1, i + 4, 10));
                i += 3;
            } else if (c == '\\' && i + 1 < name.length()) {
                label.write(name.charAt(++i));
            } else if (c == '.') {
                labels.add(label.toByteArray());
                label.reset();
            } else {
                label.write(c);
            }
        }
        labels.add(label.toByteArray());
        return labels;
    }

    /** The index in {@code name} where each label starts (for name compression: every suffix). */
    static int[] labelStarts(String name) {
        if (name.isEmpty()) {
            return new int[0];
        }
        int n = 1;
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) == '.') {
                n++;
            }
        }
        int[] starts = new int[n];
        for (int i = 0, k = 1; i < name.length(); i++) {
            if (name.charAt(i) == '.') {
                starts[k++] = i + 1;
            }
        }
        return starts;
    }
}
