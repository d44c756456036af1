package dev.ferry.transport;

/**
 * A certificate, key, passphrase, CA, OCSP or ticket key file (or a TLS setting the provider cannot take) that cannot
 * be used, with a message fit to show a person (it names the file, what is wrong and what to do).
 */
public final class TlsFileException extends IllegalArgumentException {
    private final int certificate;
    private final String key;

    /**
     * @param certificate the index of the entry in {@code tls.certificates}, or -1 for a key of {@code tls} itself
     * @param key         the key the problem is about: in a certificate entry {@code cert}, {@code key},
     *                    {@code key_password_file} or {@code ocsp}; else a key of {@code tls} ({@code ca},
     *                    {@code ciphers}, {@code ticket_keys}, ...)
     */
    public TlsFileException(int certificate, String key, String message) {
        super(message);
        this.certificate = certificate;
        this.key = key;
    }

    /** The index of the entry in {@code tls.certificates}; -1 when {@link #key()} is a key of {@code tls} itself. */
    public int certificate() {
        return certificate;
    }

    /** The key, within the certificate entry or (certificate -1) within {@code tls}. */
    public String key() {
        return key;
    }

    /** The key's path below {@code tls}: {@code certificates[0].key} or {@code ca}. */
    public String path() {
        return certificate < 0 ? key : "certificates[" + certificate + "]." + key;
    }
}
