package dev.ferry.transport;

/**
 * A certificate, key or passphrase file that cannot be used, with a message fit to show a person (it names the
 * file, what is wrong and what to do).
 */
public final class TlsFileException extends IllegalArgumentException {
    private final int certificate;
    private final String key;

    /**
     * @param certificate the index of the entry in {@code tls.certificates}
     * @param key         the key of that entry the problem is about: {@code cert}, {@code key} or
     *                    {@code key_password_file}
     */
    public TlsFileException(int certificate, String key, String message) {
        super(message);
        this.certificate = certificate;
        this.key = key;
    }

    /** The index of the entry in {@code tls.certificates}. */
    public int certificate() {
        return certificate;
    }

    /** {@code cert}, {@code key} or {@code key_password_file}. */
    public String key() {
        return key;
    }
}
