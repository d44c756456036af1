package dev.ferry.backend;

/**
 * Cookie values whose signature was checked, with what they say, so that a client sending the same value on every
 * request (a browser's keep-alive connection does) costs one HMAC, not one per request. A direct-mapped table of
 * {@value #SLOTS} slots indexed by the value's hash: a slot holds the last value verified there, and a lookup is
 * answered only when the value is equal to it character for character, so a collision costs a new check and never
 * lends one value's verdict to another. Only signatures are kept: times ({@code max_age}, {@code idle}) and the
 * server's membership are judged on every request by the caller.
 *
 * <p>Threading: any thread, lock-free. Entries are immutable and their fields final, so an entry read through the
 * plain array is seen whole (JLS 17.5); a racing writer only replaces a slot, which costs a later lookup a check.
 * The table belongs to one signing key: a new key makes a new {@link StickyCookie} and with it a new table.
 */
final class VerifiedValues {
    private static final int SLOTS = 4096;

    /** What a verified value says: its server id, and for insert mode its first and last seen times. */
    record Entry(String value, long id, long firstSeen, long lastSeen) {
    }

    private final Entry[] slots = new Entry[SLOTS];

    /** The entry of {@code value} if it was verified and is still in its slot, else null. */
    Entry get(String value) {
        Entry e = slots[slot(value)];
        return e != null && e.value.equals(value) ? e : null;
    }

    /** Records {@code value} as verified; answers its entry. */
    Entry put(String value, long id, long firstSeen, long lastSeen) {
        Entry e = new Entry(value, id, firstSeen, lastSeen);
        slots[slot(value)] = e;
        return e;
    }

    private static int slot(String value) {
        int h = value.hashCode();
        return (h ^ (h >>> 16)) & (SLOTS - 1);
    }
}
