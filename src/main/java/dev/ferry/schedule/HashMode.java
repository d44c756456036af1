package dev.ferry.schedule;

/**
 * How dh and sh turn a key into a bucket (option {@code hash}).
 * <ul>
 *   <li>{@code ipvs} (default): the kernel's multiplicative hash, bit for bit, so buckets match a Linux director's;
 *       for IPv4 only the last octet matters with 256 buckets (spec §2.12, §6);</li>
 *   <li>{@code mixed}: a well-mixed 64-bit hash, so every bit of the key counts.</li>
 * </ul>
 */
enum HashMode {
    IPVS, MIXED;

    static HashMode read(SchedulerOptions o) {
        return o.choice("hash", "ipvs", "ipvs", "mixed").equals("ipvs") ? IPVS : MIXED;
    }
}
