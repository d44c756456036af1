package dev.ferry.schedule;

/**
 * How dh and sh turn a key into a bucket (option {@code hash}).
 * <ul>
 *   <li>{@code ipvs} (default): current kernels' {@code hash_32(v, bits)}, that is
 *       {@code (v * 0x61C88647) >>> (32 - bits)} in 32-bit unsigned arithmetic ({@code GOLDEN_RATIO_32},
 *       {@code include/linux/hash.h}); every bit of the address counts, and buckets match a Linux director's
 *       (spec §2.12, §2.13);</li>
 *   <li>{@code ipvs-legacy}: older kernels' {@code (v * 2654435761) & (buckets - 1)}, in which only the low bits of
 *       the value count (for IPv4 with 256 buckets, the last octet);</li>
 *   <li>{@code mixed}: a well-mixed 64-bit hash of Ferry's own, so every bit of the key counts.</li>
 * </ul>
 */
enum HashMode {
    IPVS, IPVS_LEGACY, MIXED;

    /** The kernel's {@code GOLDEN_RATIO_32}, the multiplier of {@code hash_32}. */
    static final int GOLDEN_RATIO_32 = 0x61C88647;
    /** The old kernels' multiplier, 2654435761. */
    static final int LEGACY_GOLDEN = 0x9E3779B1;

    static HashMode read(SchedulerOptions o) {
        return switch (o.choice("hash", "ipvs", "ipvs", "ipvs-legacy", "mixed")) {
            case "ipvs-legacy" -> IPVS_LEGACY;
            case "mixed" -> MIXED;
            default -> IPVS;
        };
    }

    /** The kernel's {@code hash_32(value, bits)}: the top {@code bits} bits of {@code value * GOLDEN_RATIO_32}. */
    static int hash32(int value, int bits) {
        return (value * GOLDEN_RATIO_32) >>> (32 - bits);
    }

    /**
     * The bucket of a 32-bit kernel value (host-order address, plus the port for sh) in a table of {@code 2^bits}
     * buckets, for the two kernel modes.
     */
    int kernelBucket(int value, int bits) {
        return this == IPVS_LEGACY ? (value * LEGACY_GOLDEN) & ((1 << bits) - 1) : hash32(value, bits);
    }
}
