package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The header fields of one message head, kept as the bytes they arrived in: each field is a span of the head's
 * bytes, so a field Ferry does not touch is never turned into strings and goes out again as one copy of its bytes.
 * Edits are removals (a mark on the span) and additions (strings, written after the received fields).
 *
 * <p>Names compare case-insensitively (RFC 9110 5.1); values are ISO-8859-1 strings, as received.
 *
 * <p>Threading: belongs to one message on one event loop.
 */
final class HeadFields implements HeaderFields {
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] COLON_SP = {':', ' '};
    /** ASCII lower case of every byte (other bytes map to themselves). */
    private static final byte[] LOWER = new byte[256];

    static {
        for (int i = 0; i < 256; i++) {
            LOWER[i] = (byte) (i >= 'A' && i <= 'Z' ? i + 32 : i);
        }
    }

    private final byte[] bytes;
    /** Per received field, five indexes into {@link #bytes}: name start, name end, value start, value end, line end. */
    private int[] spans;
    private int count;
    /**
     * A filter over the received names: bit {@link #bit} of each is set. Most lookups are for fields a request does
     * not have (hop-by-hop fields, forwarding fields), and the filter answers those without a scan.
     */
    private long names;
    /** Received fields taken out (null until the first removal). */
    private boolean[] removed;
    /** Fields added, as name, value, name, value...; null until the first addition. */
    private String[] added;
    private int addedCount;

    /**
     * @param bytes the head's bytes; the spans given to {@link #addReceived} index into them
     * @param expected how many fields the head holds (at most), to size the spans once
     */
    HeadFields(byte[] bytes, int expected) {
        this.bytes = bytes;
        this.spans = new int[Math.max(1, expected) * 5];
    }

    /** Records a received field: name {@code [ns, ne)}, value {@code [vs, ve)}, its line ending before {@code end}. */
    void addReceived(int ns, int ne, int vs, int ve, int end) {
        int i = count * 5;
        if (i + 5 > spans.length) {
            spans = Arrays.copyOf(spans, spans.length * 2);
        }
        spans[i] = ns;
        spans[i + 1] = ne;
        spans[i + 2] = vs;
        spans[i + 3] = ve;
        spans[i + 4] = end;
        count++;
        names |= bit(ne - ns, LOWER[bytes[ns] & 0xff]);
    }

    private static long bit(int length, int lowerFirst) {
        return 1L << ((length * 31 + lowerFirst) & 63);
    }

    /** Received fields, removed ones included (see {@link #isRemoved}). */
    int receivedCount() {
        return count;
    }

    boolean isRemoved(int i) {
        return removed != null && removed[i];
    }

    String name(int i) {
        int s = spans[i * 5];
        return new String(bytes, s, spans[i * 5 + 1] - s, StandardCharsets.ISO_8859_1);
    }

    String value(int i) {
        int s = spans[i * 5 + 2];
        return new String(bytes, s, spans[i * 5 + 3] - s, StandardCharsets.ISO_8859_1);
    }

    /** The value of received field {@code i} as a number when it is 1 to 18 ASCII digits, else -1 (no string made). */
    long digitsValue(int i) {
        int s = spans[i * 5 + 2];
        int n = spans[i * 5 + 3] - s;
        if (n == 0 || n > 18) {
            return -1;
        }
        long v = 0;
        for (int k = s; k < s + n; k++) {
            int c = bytes[k];
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** Whether received field {@code i} is named {@code name} (given in lower case). */
    boolean nameIs(int i, String name) {
        int s = spans[i * 5];
        int n = spans[i * 5 + 1] - s;
        if (n != name.length()) {
            return false;
        }
        for (int k = 0; k < n; k++) {
            if (LOWER[bytes[s + k] & 0xff] != (byte) name.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the value of received field {@code i} equals {@code value} exactly. */
    boolean valueIs(int i, String value) {
        return valueEquals(i, value, false);
    }

    /** Whether the value of received field {@code i} equals {@code value}, ignoring ASCII case. */
    boolean valueIsIgnoreCase(int i, String value) {
        return valueEquals(i, value, true);
    }

    private boolean valueEquals(int i, String value, boolean ignoreCase) {
        int s = spans[i * 5 + 2];
        int n = spans[i * 5 + 3] - s;
        if (n != value.length()) {
            return false;
        }
        for (int k = 0; k < n; k++) {
            int b = bytes[s + k] & 0xff;
            char c = value.charAt(k);
            if (ignoreCase ? LOWER[b] != LOWER[c & 0xff] : b != c) {
                return false;
            }
        }
        return true;
    }

    /** Index of the first received, not removed field named {@code name} (lower case) at or after {@code from}. */
    int indexOf(String name, int from) {
        if (name.isEmpty() || (names & bit(name.length(), name.charAt(0))) == 0) {
            return -1;
        }
        for (int i = from; i < count; i++) {
            if (nameIs(i, name) && !isRemoved(i)) {
                return i;
            }
        }
        return -1;
    }

    /** The first value of {@code name} (any case), or null. */
    @Override
    public String get(String name) {
        String lower = lowerCase(name);
        int i = indexOf(lower, 0);
        if (i >= 0) {
            return value(i);
        }
        for (int k = 0; k < addedCount; k++) {
            if (added[2 * k].equalsIgnoreCase(lower)) {
                return added[2 * k + 1];
            }
        }
        return null;
    }

    /** Every value of {@code name}, in order (received ones first). */
    @Override
    public List<String> getAll(String name) {
        String lower = lowerCase(name);
        List<String> all = new ArrayList<>(2);
        for (int i = indexOf(lower, 0); i >= 0; i = indexOf(lower, i + 1)) {
            all.add(value(i));
        }
        for (int k = 0; k < addedCount; k++) {
            if (added[2 * k].equalsIgnoreCase(lower)) {
                all.add(added[2 * k + 1]);
            }
        }
        return all;
    }

    @Override
    public boolean contains(String name) {
        return get(name) != null;
    }

    /** Whether a field {@code name} has exactly the value {@code value} (case-sensitive). */
    @Override
    public boolean contains(String name, String value) {
        String lower = lowerCase(name);
        for (int i = indexOf(lower, 0); i >= 0; i = indexOf(lower, i + 1)) {
            if (valueEquals(i, value, false)) {
                return true;
            }
        }
        for (int k = 0; k < addedCount; k++) {
            if (added[2 * k].equalsIgnoreCase(lower) && added[2 * k + 1].equals(value)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a comma-separated list field {@code name} (e.g. {@code Connection}) has {@code token}, any case. */
    @Override
    public boolean listHas(String name, String token) {
        String lower = lowerCase(name);
        for (int i = indexOf(lower, 0); i >= 0; i = indexOf(lower, i + 1)) {
            if (valueIsIgnoreCase(i, token) || (valueHasComma(i) && listContains(value(i), token))) {
                return true;
            }
        }
        return false;
    }

    private boolean valueHasComma(int i) {
        for (int k = spans[i * 5 + 2]; k < spans[i * 5 + 3]; k++) {
            if (bytes[k] == ',') {
                return true;
            }
        }
        return false;
    }

    private static boolean listContains(String list, String token) {
        int pos = 0;
        int n = list.length();
        while (pos <= n) {
            int comma = list.indexOf(',', pos);
            int end = comma < 0 ? n : comma;
            if (list.substring(pos, end).trim().equalsIgnoreCase(token)) {
                return true;
            }
            pos = end + 1;
        }
        return false;
    }

    /** Whether a message of {@code version} with these fields keeps its connection (RFC 9112 9.3). */
    boolean keepAlive(HttpVersion version) {
        if (listHas("connection", "close")) {
            return false;
        }
        return version.minorVersion() >= 1 || listHas("connection", "keep-alive");
    }

    /** Removes every field named {@code name} (any case), received or added. */
    @Override
    public void remove(String name) {
        String lower = lowerCase(name);
        for (int i = indexOf(lower, 0); i >= 0; i = indexOf(lower, i + 1)) {
            if (removed == null) {
                removed = new boolean[count];
            }
            removed[i] = true;
        }
        int kept = 0;
        for (int k = 0; k < addedCount; k++) {
            if (!added[2 * k].equalsIgnoreCase(lower)) {
                added[2 * kept] = added[2 * k];
                added[2 * kept + 1] = added[2 * k + 1];
                kept++;
            }
        }
        addedCount = kept;
    }

    /**
     * Removes every field, received or added, whose name in lower case is in {@code lowerNames} (non-empty names):
     * one pass over the fields whatever the number of names, so a head naming thousands of fields in
     * {@code Connection} costs no more than reading it.
     */
    void removeAll(Set<String> lowerNames) {
        if (lowerNames.isEmpty()) {
            return;
        }
        long wanted = 0;
        for (String n : lowerNames) {
            wanted |= bit(n.length(), LOWER[n.charAt(0) & 0xff]);
        }
        if ((names & wanted) != 0) {
            for (int i = 0; i < count; i++) {
                int s = spans[i * 5];
                int n = spans[i * 5 + 1] - s;
                if ((wanted & bit(n, LOWER[bytes[s] & 0xff])) != 0 && !isRemoved(i)
                        && lowerNames.contains(lowerName(s, n))) {
                    if (removed == null) {
                        removed = new boolean[count];
                    }
                    removed[i] = true;
                }
            }
        }
        int kept = 0;
        for (int k = 0; k < addedCount; k++) {
            if (!lowerNames.contains(lowerCase(added[2 * k]))) {
                added[2 * kept] = added[2 * k];
                added[2 * kept + 1] = added[2 * k + 1];
                kept++;
            }
        }
        addedCount = kept;
    }

    private String lowerName(int s, int n) {
        byte[] lower = new byte[n];
        for (int k = 0; k < n; k++) {
            lower[k] = LOWER[bytes[s + k] & 0xff];
        }
        return new String(lower, StandardCharsets.ISO_8859_1);
    }

    /** Adds a field after the received ones. {@code name} must be a valid token, {@code value} free of CR and LF. */
    @Override
    public void add(String name, String value) {
        if (added == null) {
            added = new String[8];
        } else if (2 * addedCount == added.length) {
            added = Arrays.copyOf(added, added.length * 2);
        }
        added[2 * addedCount] = name;
        added[2 * addedCount + 1] = value;
        addedCount++;
    }

    /** Replaces every field {@code name} with one field. */
    @Override
    public void set(String name, String value) {
        remove(name);
        add(name, value);
    }

    @Override
    public void forEach(java.util.function.BiConsumer<String, String> visitor) {
        for (int i = 0; i < count; i++) {
            if (!isRemoved(i)) {
                visitor.accept(name(i), value(i));
            }
        }
        for (int k = 0; k < addedCount; k++) {
            visitor.accept(added[2 * k], added[2 * k + 1]);
        }
    }

    /** Writes the fields, each ending in CRLF (not the empty line that ends the head). */
    void writeTo(ByteBuf out) {
        int i = 0;
        while (i < count) {
            if (isRemoved(i)) {
                i++;
                continue;
            }
            // A run of kept received fields goes out as one copy of its lines.
            int from = spans[i * 5];
            int j = i;
            while (j + 1 < count && !isRemoved(j + 1)) {
                j++;
            }
            out.writeBytes(bytes, from, spans[j * 5 + 4] - from);
            i = j + 1;
        }
        for (int k = 0; k < addedCount; k++) {
            out.writeCharSequence(added[2 * k], StandardCharsets.ISO_8859_1);
            out.writeBytes(COLON_SP);
            out.writeCharSequence(added[2 * k + 1], StandardCharsets.ISO_8859_1);
            out.writeBytes(CRLF);
        }
    }

    /** Bytes {@link #writeTo} writes, at most. */
    int sizeEstimate() {
        int n = count == 0 ? 0 : spans[count * 5 - 1] - spans[0];
        for (int k = 0; k < addedCount; k++) {
            n += added[2 * k].length() + added[2 * k + 1].length() + 4;
        }
        return n;
    }

    private static String lowerCase(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                return name.toLowerCase(java.util.Locale.ROOT);
            }
        }
        return name;
    }
}
