package dev.ferry.transport;

import io.netty.handler.ssl.OpenSslSessionTicketKey;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * The session ticket keys of one frontend (BoringSSL/OpenSSL provider): the first key encrypts new tickets, every key
 * decrypts (a ticket made with an older key is accepted and replaced by a fresh one). One set serves all the
 * frontend's certificates and outlives reloads, so a client resumes whichever certificate SNI picks and across a
 * reload.
 *
 * <p>Two kinds: keys from a file ({@code ticket_keys}: one base64 48-byte key per line, as {@code openssl rand
 * -base64 48} writes; the first line encrypts; rotated by whoever writes the file, then reload), or keys Ferry makes
 * and rotates every {@code ticket_key_rotation}, keeping the previous one for decryption for one more period, so a
 * ticket lives at most two periods. Rotation is lazy: {@link #rotateIfDue()} is asked on every new connection (one
 * volatile read when not due), since only handshakes use the keys; it takes "now" from an injected clock.
 *
 * <p>Threading: any thread; rotation and {@link #keys()} take this object's lock, the due check does not.
 */
public final class TicketKeys {
    private static final int KEY_BYTES = OpenSslSessionTicketKey.TICKET_KEY_SIZE;

    private final LongSupplier nanoTime;
    private final Random random;
    private final long periodNanos;
    private volatile long dueAt;
    private OpenSslSessionTicketKey[] keys;

    private TicketKeys(OpenSslSessionTicketKey[] keys, long periodNanos, LongSupplier nanoTime, Random random) {
        this.keys = keys;
        this.periodNanos = periodNanos;
        this.nanoTime = nanoTime;
        this.random = random;
        this.dueAt = periodNanos == 0 ? Long.MAX_VALUE : nanoTime.getAsLong() + periodNanos;
    }

    /** Keys Ferry makes: one now, a new one every {@code period}. */
    public static TicketKeys rotating(Duration period, LongSupplier nanoTime, Random random) {
        return new TicketKeys(new OpenSslSessionTicketKey[]{fresh(random)}, period.toNanos(), nanoTime, random);
    }

    /**
     * Rotating keys that continue {@code previous}'s (a reload that keeps Ferry's own keys): its keys stay, the
     * next rotation is due one {@code period} from now.
     */
    public static TicketKeys continuing(TicketKeys previous, Duration period, LongSupplier nanoTime, Random random) {
        return new TicketKeys(previous.keys(), period.toNanos(), nanoTime, random);
    }

    /** The keys of a {@code ticket_keys} file; never rotated by Ferry. */
    public static TicketKeys fixed(List<OpenSslSessionTicketKey> keys) {
        return new TicketKeys(keys.toArray(OpenSslSessionTicketKey[]::new), 0, () -> 0, new Random(0));
    }

    /** Whether these keys are Ferry's own (rotated), not a file's. */
    public boolean rotates() {
        return periodNanos != 0;
    }

    /** The keys now, the encrypting one first. */
    public synchronized OpenSslSessionTicketKey[] keys() {
        return keys.clone();
    }

    /** When due, makes a new encrypting key and keeps the last one for decryption; true when it rotated. */
    public boolean rotateIfDue() {
        long now = nanoTime.getAsLong();
        if (now - dueAt < 0) {
            return false;
        }
        synchronized (this) {
            if (now - dueAt < 0) {
                return false;
            }
            keys = new OpenSslSessionTicketKey[]{fresh(random), keys[0]};
            dueAt = now + periodNanos;
            return true;
        }
    }

    private static OpenSslSessionTicketKey fresh(Random random) {
        byte[] b = new byte[KEY_BYTES];
        random.nextBytes(b);
        return key(b);
    }

    private static OpenSslSessionTicketKey key(byte[] b) {
        int n = OpenSslSessionTicketKey.NAME_SIZE;
        int h = OpenSslSessionTicketKey.HMAC_KEY_SIZE;
        return new OpenSslSessionTicketKey(Arrays.copyOfRange(b, 0, n), Arrays.copyOfRange(b, n, n + h),
                Arrays.copyOfRange(b, n + h, KEY_BYTES));
    }

    /**
     * Reads a {@code ticket_keys} file: one key per line, base64 of 48 bytes (16 name, 16 HMAC, 16 AES); blank lines
     * and lines starting with {@code #} are skipped.
     *
     * @throws TlsFileException at {@code ticket_keys}, naming the file and line
     */
    public static List<OpenSslSessionTicketKey> read(Path file) {
        String text = PrivateKeys.readText(-1, "ticket_keys", file, "session ticket keys");
        List<OpenSslSessionTicketKey> keys = new ArrayList<>();
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            byte[] b;
            try {
                b = Base64.getDecoder().decode(line);
            } catch (IllegalArgumentException e) {
                throw new TlsFileException(-1, "ticket_keys", file + " line " + (i + 1) + " is not base64; each line"
                        + " is one key, made with: openssl rand -base64 48");
            }
            if (b.length != KEY_BYTES) {
                throw new TlsFileException(-1, "ticket_keys", file + " line " + (i + 1) + " holds " + b.length
                        + " bytes; a key is " + KEY_BYTES + " bytes (16 name, 16 HMAC, 16 AES-128), made with: "
                        + "openssl rand -base64 48");
            }
            keys.add(key(b));
        }
        if (keys.isEmpty()) {
            throw new TlsFileException(-1, "ticket_keys", file + " holds no key; write one per line (the first "
                    + "encrypts, all decrypt), made with: openssl rand -base64 48");
        }
        return keys;
    }
}
